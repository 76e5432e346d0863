"""phx-tasklint's mypy adapter: `plugins = ["mypy_plugin"]` (or `["phx_tasklint.mypy"]`)."""

from mypy_plugin.plugin import __version__, plugin

__all__ = ["__version__", "plugin"]
