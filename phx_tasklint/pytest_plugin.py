"""The guard for Phoenix's pytest plugin: a `pytest.mark.phoenix(evaluators=...)` whose evaluators
Phoenix cannot run fails collection, before any test runs (Phoenix itself finds out only after
each test, as a failed evaluation and a warning).

Opt-in: loading it by name (`-p phx_tasklint.pytest_plugin`, `PYTEST_PLUGINS`, a conftest's
`pytest_plugins`), `--phx-guard`, or `phx_tasklint_guard = true` in the ini file. The plugin is
also registered through a `pytest11` entry point (under this module's name, so that `-p` with it
loads nothing twice); loaded that way alone, its hooks do nothing. Findings Phoenix runs with
anyway are shown as warnings.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from phx_tasklint.core import spec

if TYPE_CHECKING:
    from phx_tasklint.runtime.localrun import PreflightFinding

_NAME = __name__  # what `-p` names this plugin by
_INI = "phx_tasklint_guard"
_OPTION = "phx_guard"
_ENABLED = pytest.StashKey[bool]()


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


def _loaded_by_entry_point(config: pytest.Config) -> bool:
    me = sys.modules[__name__]
    return any(plugin is me for plugin, _ in config.pluginmanager.list_plugin_distinfo())


def _opted_in(config: pytest.Config) -> bool:
    if config.getoption(_OPTION, False) or config.getini(_INI):
        return True
    if not _loaded_by_entry_point(config):
        return True  # loaded by name
    # named too, which found it loaded already
    named = [
        *(config.getoption("plugins", None) or []),
        *os.environ.get("PYTEST_PLUGINS", "").split(","),
    ]
    return _NAME in (n.strip() for n in named)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ENABLED] = _opted_in(config)


def _findings(items: list[object]) -> Iterator[tuple[pytest.Item, list[PreflightFinding]]]:
    from phx_tasklint.runtime.guarding import marker_findings

    for item in items:
        if not isinstance(item, pytest.Item):
            continue
        marker = item.get_closest_marker(spec.PYTEST_MARKER)
        if marker is None:
            continue
        found = marker_findings(marker.kwargs.get(spec.PYTEST_MARKER_EVALUATORS))
        if found:
            yield item, found


@pytest.hookimpl(hookwrapper=True)  # the old style: installed, it loads into any pytest >= 7
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if not collector.config.stash.get(_ENABLED, False) or report.outcome != "passed":
        return
    from phx_tasklint.runtime.guarding import GuardWarning

    refused: list[str] = []
    seen: set[tuple[str, str, str]] = set()  # a marker on a class or module: said once
    for item, found in _findings(list(report.result)):
        for finding in found:
            key = (finding.who, finding.diagnostic.code, finding.diagnostic.message)
            if key in seen:
                continue
            seen.add(key)
            if finding.refused:
                refused.append(f"{item.nodeid}: {finding.line()}")
            else:
                _, line, _ = item.location  # the warning points at the test
                warnings.warn_explicit(
                    f"{item.nodeid}: {finding.line()}",
                    GuardWarning,
                    str(item.path),
                    (line or 0) + 1,
                )
    if refused:
        report.outcome = "failed"
        report.longrepr = (
            "phx-tasklint: Phoenix would fail these pytest.mark.phoenix evaluators on every "
            "test, after it ran:\n" + "\n".join(f"  {line}" for line in refused)
        )
        report.result = []
