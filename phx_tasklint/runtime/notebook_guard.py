"""`%load_ext phx_tasklint`: the guard in an IPython / Jupyter session.

Loading installs the guard (`guarding.guard`) and makes a `BindingError` the guard raises show as
a short table of its findings (code, callable, message) in place of a traceback through
Phoenix's client and the guard's wrapper, which says nothing more. Any other BindingError keeps
IPython's usual traceback.
"""

from __future__ import annotations

import textwrap
from typing import Any

from phx_tasklint.runtime.binder import BindingError
from phx_tasklint.runtime.guarding import GuardError, GuardHandle, active_guard, guard

# by id of the shell: the guard its extension installed (a guard already active is left alone)
_HANDLES: dict[int, GuardHandle] = {}
_WIDTH = 100  # where a message wraps in the table


def findings_table(error: GuardError) -> str:
    """The error as a table: a header line, then one row per finding."""
    rows = [(f.diagnostic.code, f.who, f.diagnostic.message) for f in error.findings]
    code_width = max(len("code"), *(len(code) for code, _, _ in rows))
    who_width = max(len("callable"), *(len(who) for _, who, _ in rows))
    indent = code_width + who_width + 4
    refused = sorted({f.diagnostic.code for f in error.findings if f.refused})
    lines = [
        f"phx-tasklint: Phoenix would fail this experiment ({', '.join(refused)}); "
        f"`{error.callee}` was not called, nothing was run.",
        "",
        f"{'code':<{code_width}}  {'callable':<{who_width}}  message",
    ]
    for code, who, message in rows:
        wrapped = textwrap.wrap(message, max(40, _WIDTH - indent)) or [""]
        lines.append(f"{code:<{code_width}}  {who:<{who_width}}  {wrapped[0]}")
        lines += [" " * indent + rest for rest in wrapped[1:]]
    return "\n".join(lines)


def _show(
    shell: Any, etype: type[BaseException], value: BaseException, tb: Any, tb_offset: Any = None
) -> list[str]:
    """IPython's custom exception handler: it shows what it returns itself (`run_code` drops the
    result), through `_showtraceback`, which a kernel turns into the cell's error output."""
    if not isinstance(value, GuardError):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return []
    shown = [findings_table(value)]
    shell._showtraceback(etype, value, shown)
    return shown


def load(shell: Any) -> None:
    active = active_guard() is not None
    handle = guard()
    if not active:
        _HANDLES[id(shell)] = handle
    shell.set_custom_exc((BindingError,), _show)


def unload(shell: Any) -> None:
    handle = _HANDLES.pop(id(shell), None)
    if handle is not None:
        handle.remove()
    if getattr(shell, "custom_exceptions", ()) == (BindingError,):
        shell.set_custom_exc((), None)
