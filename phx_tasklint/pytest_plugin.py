"""The guard for Phoenix's pytest plugin: a `pytest.mark.phoenix(evaluators=...)` whose evaluators
Phoenix cannot run fails collection, before any test runs (Phoenix itself finds out only after
each test, as a failed evaluation and a warning).

Opt-in: `-p phx_tasklint.pytest_plugin`, `--phx-guard`, or `phx_tasklint_guard = true` in the
ini file. The plugin is also registered through a `pytest11` entry point (under this module's
name, so that `-p` with it loads nothing twice), where its hooks do nothing unless opted in.
Findings Phoenix runs with anyway are shown as warnings.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

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


def _opted_in(config: pytest.Config) -> bool:
    plugins = config.getoption("plugins", None) or []
    return bool(config.getoption(_OPTION, False) or config.getini(_INI) or _NAME in plugins)


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


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report: pytest.CollectReport = yield
    if not collector.config.stash.get(_ENABLED, False) or report.outcome != "passed":
        return report
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
    return report
