"""The `pytest11` entry point of an installed phx-tasklint: the `--phx-guard` flag and the
`phx_tasklint_guard` ini option, and nothing else unless one of them is set. Then it registers
`phx_tasklint.pytest_plugin` under its module name, so a `-p` or a conftest naming that plugin
too loads nothing twice.
"""

from __future__ import annotations

import pytest

_PLUGIN = "phx_tasklint.pytest_plugin"
_INI = "phx_tasklint_guard"
_OPTION = "phx_guard"


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
    if config.getoption(_OPTION, False) or config.getini(_INI):
        config.pluginmanager.import_plugin(_PLUGIN)
