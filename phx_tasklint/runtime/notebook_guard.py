"""`%load_ext phx_tasklint`: the guard in an IPython / Jupyter session.

Loading installs the guard (`guarding.guard`); unloading removes the one it installed (a guard
already active stays). A `GuardError` shows itself in IPython as a short table of its findings
(code, callable, message) instead of a traceback through Phoenix's client and the guard's
wrapper: it renders itself (`GuardError._render_traceback_`, IPython's own hook), so IPython
still records it for `%tb` and `%debug`, and no exception handler of the session is replaced.
Any other BindingError keeps IPython's usual traceback.
"""

from __future__ import annotations

from typing import Any

from phx_tasklint.runtime.guarding import GuardHandle, active_guard, guard

# by id of the shell: the guard its extension installed (a guard already active is left alone)
_HANDLES: dict[int, GuardHandle] = {}


def load(shell: Any) -> None:
    active = active_guard() is not None
    handle = guard()
    if not active:
        _HANDLES[id(shell)] = handle


def unload(shell: Any) -> None:
    handle = _HANDLES.pop(id(shell), None)
    if handle is not None:
        handle.remove()
