"""`plugins = ["phx_tasklint.mypy"]` enables phx-tasklint's mypy plugin (code: mypy_plugin/)."""

from mypy_plugin.plugin import __version__, plugin  # noqa: F401
