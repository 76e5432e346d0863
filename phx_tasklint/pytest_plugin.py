"""The guard for Phoenix's pytest plugin: a `pytest.mark.phoenix(evaluators=...)` whose evaluators
Phoenix cannot run fails collection, before any test runs (Phoenix itself finds out only after
each test, as a failed evaluation and a warning).

Registered, it is on: by name (`-p phx_tasklint.pytest_plugin`, `PYTEST_PLUGINS`, a conftest's
`pytest_plugins`), or by `phx_tasklint.pytest_options` (the installed `pytest11` entry point) when
`--phx-guard` or `phx_tasklint_guard = true` asks for it. Nothing here asks whether it is wanted:
the entry point lives in a module of its own, so loading this one is the opt-in. Findings Phoenix
runs with anyway are shown as warnings, at the test.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from phx_tasklint.core import spec

if TYPE_CHECKING:
    from phx_tasklint.runtime.localrun import PreflightFinding


def _findings(items: list[object]) -> Iterator[tuple[pytest.Item, list[PreflightFinding]]]:
    from phx_tasklint.runtime.guarding import marker_findings

    for item in items:
        if not isinstance(item, pytest.Item):
            continue
        marker = item.get_closest_marker(spec.PYTEST_MARKER)
        if marker is None:
            continue
        # the case's parametrized arguments, by fixture too, as the client reads them
        callspec = getattr(item, "callspec", None)
        params = list(getattr(callspec, "params", None) or ())
        found = marker_findings(marker.kwargs.get(spec.PYTEST_MARKER_EVALUATORS), params)
        if found:
            yield item, found


@pytest.hookimpl(hookwrapper=True)  # the old style, which any pytest >= 7 loads
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if report.outcome != "passed":
        return
    from phx_tasklint.runtime.guarding import GuardWarning, stops

    refused: list[str] = []
    stopped: list[PreflightFinding] = []
    seen: set[tuple[str, str, str]] = set()  # a marker on a class or module: said once
    for item, found in _findings(list(report.result)):
        for finding in found:
            key = (finding.who, finding.diagnostic.code, finding.diagnostic.message)
            if key in seen:
                continue
            seen.add(key)
            if stops(finding):
                stopped.append(finding)
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
        codes = ", ".join(sorted({f.diagnostic.code for f in stopped}))
        report.longrepr = (
            f"phx-tasklint: Phoenix would fail these pytest.mark.phoenix evaluators ({codes}) on "
            "every test, after it ran:\n" + "\n".join(f"  {line}" for line in refused)
        )
        report.result = []
