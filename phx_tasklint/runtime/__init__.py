"""The runtime adapter: Phoenix's binding on live callables (`binder`), the local dry run
(`localrun`, `datasets`) and `explain`. This package exports the binder's public API."""

from phx_tasklint.runtime.binder import *  # noqa: F403  (the binder's `__all__`)
from phx_tasklint.runtime.binder import __all__ as __all__
