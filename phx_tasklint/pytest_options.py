"""The `pytest11` entry point of an installed phx-tasklint, named `phx_tasklint.guard`: the
`--phx-guard` flag and the `phx_tasklint_guard` ini option, and nothing else unless one of them
is set or `-p phx_tasklint.guard` names the entry point. Then it registers
`phx_tasklint.pytest_plugin` under its module name, so a `-p` or a conftest naming that plugin
too loads nothing twice.

`-p phx_tasklint.guard` works because pytest looks a `-p` name up among entry point names before
importing it as a module (and before autoloading the others), so no module of that name exists:
importing one would replace the `phx_tasklint.guard` function with it.
"""

from __future__ import annotations

import pytest

_PLUGIN = "phx_tasklint.pytest_plugin"
_INI = "phx_tasklint_guard"
_OPTION = "phx_guard"
_ENTRY_POINT = "phx_tasklint.guard"  # its name in pyproject.toml


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--phx-guard",
        action="store_true",
        dest=_OPTION,
        help="phx-tasklint: fail collection when a pytest.mark.phoenix evaluator cannot run.",
    )
    parser.addini(
        _INI,
        "phx-tasklint: check pytest.mark.phoenix evaluators at collection (like --phx-guard).",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    named = _ENTRY_POINT in (config.getoption("plugins", None) or [])
    if named or config.getoption(_OPTION, False) or config.getini(_INI):
        config.pluginmanager.import_plugin(_PLUGIN)
