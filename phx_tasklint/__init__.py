"""phx-tasklint: find broken Arize Phoenix experiment tasks and evaluators before they run."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

# The runtime API is loaded on first use, so `phx-tasklint --version` stays instant.
_RUNTIME = (
    "BindingError",
    "ExampleProxy",
    "OutputError",
    "arun_evaluator",
    "arun_task",
    "bind_evaluator",
    "bind_task",
    "check_callable",
    "run_evaluator",
    "run_task",
)
# The opt-in guard (`phx_tasklint.runtime.guarding`); nothing is patched until `guard()` is called.
_GUARD = ("GuardError", "GuardWarning", "guard", "guarded")
__all__ = [
    "Diagnostic",
    "Signature",
    "__version__",
    *_RUNTIME,
    *_GUARD,
    "load_ipython_extension",
    "unload_ipython_extension",
]

if TYPE_CHECKING:
    from typing import Any

    from phx_tasklint.core.model import Diagnostic as Diagnostic
    from phx_tasklint.core.model import Signature as Signature
    from phx_tasklint.runtime import (
        BindingError as BindingError,
    )
    from phx_tasklint.runtime import (
        ExampleProxy as ExampleProxy,
    )
    from phx_tasklint.runtime import (
        OutputError as OutputError,
    )
    from phx_tasklint.runtime import (
        arun_evaluator as arun_evaluator,
    )
    from phx_tasklint.runtime import (
        arun_task as arun_task,
    )
    from phx_tasklint.runtime import (
        bind_evaluator as bind_evaluator,
    )
    from phx_tasklint.runtime import (
        bind_task as bind_task,
    )
    from phx_tasklint.runtime import (
        check_callable as check_callable,
    )
    from phx_tasklint.runtime import (
        run_evaluator as run_evaluator,
    )
    from phx_tasklint.runtime import (
        run_task as run_task,
    )
    from phx_tasklint.runtime.guarding import GuardError as GuardError
    from phx_tasklint.runtime.guarding import GuardWarning as GuardWarning
    from phx_tasklint.runtime.guarding import guard as guard
    from phx_tasklint.runtime.guarding import guarded as guarded


def __getattr__(name: str) -> Any:
    if name in _RUNTIME:
        from phx_tasklint import runtime

        return getattr(runtime, name)
    if name in _GUARD:
        from phx_tasklint.runtime import guarding

        return getattr(guarding, name)
    if name in ("Diagnostic", "Signature"):
        from phx_tasklint.core import model

        return getattr(model, name)
    raise AttributeError(f"module 'phx_tasklint' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext phx_tasklint`: guard Phoenix's experiment entry points in this session, and show
    what stops an experiment as a short table of findings instead of a traceback."""
    from phx_tasklint.runtime import notebook_guard

    notebook_guard.load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext phx_tasklint`: remove the guard it installed."""
    from phx_tasklint.runtime import notebook_guard

    notebook_guard.unload(ipython)
