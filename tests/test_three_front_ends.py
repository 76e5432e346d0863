"""One fixture set, three front ends: the linter, the mypy plugin and the runtime binder report
the same codes on the same hand-offs (the runtime leg is in tests/test_fixtures.py, per
hand-off; this file adds mypy, per call site).

The only differences allowed are listed in EXCEPTIONS, each with the reason one front end cannot
see what the other sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

from phx_tasklint.core import spec
from phx_tasklint.lint import lint, sources
from tests.snippets import SIGNATURE_RULES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODULES = sorted(
    p.relative_to(FIXTURES).as_posix()
    for p in FIXTURES.rglob("*.py")
    if not {"mypy", "demo"} & set(p.relative_to(FIXTURES).parts)
)
_ERROR = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error: .*\[phx-(?P<name>[a-z-]+)\]$")

# (path, first line of the call site, code, front end that does not report it): why
EXCEPTIONS = {
    ("callables.py", 90, "PHX002", "mypy"): "the factory `make_task` is unannotated, so mypy "
    "types its result as Any; the linter follows the returned inner def",
    ("callables.py", 93, "PHX005", "mypy"): "the decorator `unwrapped` is unannotated, so mypy "
    "types the decorated function as Any; the linter reads the wrapper",
    ("callables.py", 93, "PHX102", "mypy"): "same decorator: mypy sees Any",
    ("messages.py", 44, "PHX005", "mypy"): "the decorator `hidden` is typed `Callable[..., Any]`, "
    "which says nothing of its wrapper's parameters (the plugin skips `Callable[..., X]`); the "
    "linter reads the wrapper",
    ("messages.py", 44, "PHX102", "mypy"): "same decorator: typed `Callable[..., Any]`",
    ("returns.py", 109, "PHX201", "mypy"): "an unannotated generator: the linter infers the "
    "generator from `yield`, mypy judges annotations only",
    ("evaluators.py", 43, "PHX002", "mypy"): "`@pytest.mark.phoenix` is a pytest marker, "
    "untyped; only the linter reads its evaluators",
    ("legacy.py", 27, "PHX002", "mypy"): "the legacy `phoenix.experiments` module is not "
    "installed here (it needs arize-phoenix < 14), so mypy sees Any",
    ("legacy.py", 27, "PHX203", "mypy"): "legacy module not installed",
    ("legacy.py", 28, "PHX202", "mypy"): "legacy module not installed",
    ("flow.py", 25, "PHX006", "mypy"): "`solve` is defined again (async) before this call: "
    "mypy keeps the first definition of a redefined name [no-redef]; the linter judges the one "
    "that reaches the call, as Python runs it",
    ("flow.py", 25, "PHX002", "linter"): "same redefinition: mypy judges the first `solve`",
    ("evals_objects.py", 169, "PHX509", "mypy"): "the plugin reads create_evaluator defs and "
    "bind_evaluator calls, not a user's phoenix.evals Evaluator subclass",
}
# Return types the linter reads from a def's `return` statements (no return annotation): mypy
# types an unannotated def's result as Any, and the runtime binder judges annotations only (its
# `run` sees the value itself).
_INFERRED = {
    "mypy": "no return annotation: mypy types the result as Any; the linter reads the def's "
    "`return` statements",
    "runtime": "no return annotation: the binder judges annotations (`run` sees the value "
    "returned); the linter reads the def's `return` statements",
}
EXCEPTIONS.update(
    {
        ("inferred_returns.py", line, code, front_end): reason
        for line, code in (
            (175, "PHX203"),
            (176, "PHX203"),
            (177, "PHX203"),
            (178, "PHX202"),
            (179, "PHX202"),
            (180, "PHX202"),
            (181, "PHX202"),
            (199, "PHX201"),
            (200, "PHX201"),
            (201, "PHX201"),
            (202, "PHX201"),
            (203, "PHX201"),
            (209, "PHX201"),
            (209, "PHX202"),
        )
        for front_end, reason in _INFERRED.items()
    }
)


def runtime_exceptions(path: str, site_line: int) -> set[str]:
    """The codes the runtime binder is known not to report on the call site at `site_line`
    (tests/test_fixtures.py compares the runtime leg per hand-off)."""
    return {
        code
        for p, line, code, front_end in EXCEPTIONS
        if front_end == "runtime" and p == path and line == site_line
    }


class _Config:
    phoenix_version = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


Site = tuple[str, int, int]


def linter_sites(monkeypatch: pytest.MonkeyPatch) -> dict[Site, set[str]]:
    monkeypatch.chdir(FIXTURES)
    loaded = [sources.load(Path(m), m) for m in MODULES]
    sites: dict[Site, set[str]] = {}
    for h in lint(loaded, _Config()).handoffs:
        key = (h.path, h.site_lines[0], h.site_lines[1])
        sites.setdefault(key, set()).update(c for c in h.codes if c in SIGNATURE_RULES)
    return sites


def mypy_errors(tmp_path: Path) -> list[tuple[str, int, str]]:
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\nplugins = phx_tasklint.mypy\nignore_missing_imports = True\n"
        "check_untyped_defs = True\n"
    )
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-incremental",
            *MODULES,
        ]
    )
    assert status in (0, 1), stdout + stderr
    assert "INTERNAL ERROR" not in stdout + stderr
    out = []
    for line in stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            code = spec.RULES_BY_NAME[match["name"]].code
            out.append((match["path"], int(match["line"]), code))
    return out


@pytest.mark.slow
def test_mypy_reports_what_the_linter_reports_per_call_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = linter_sites(monkeypatch)
    errors = mypy_errors(tmp_path)
    assert len(sites) > 40 and len(errors) > 30
    by_site: dict[Site, set[str]] = {site: set() for site in sites}
    unplaced = []
    for path, line, code in errors:
        if code not in SIGNATURE_RULES:
            continue  # a call-site rule (`bind_evaluator(f, m)`): the rule snippets compare those
        home = [s for s in sites if s[0] == path and s[1] <= line <= s[2]]
        if not home:
            unplaced.append((path, line, code))
        for site in home:
            by_site[site].add(code)
    assert not unplaced, f"mypy reports where the linter sees no hand-off: {unplaced}"
    differences = set()
    for site, linted in sites.items():
        for code in linted - by_site[site]:
            differences.add((site[0], site[1], code, "mypy"))
        for code in by_site[site] - linted:
            differences.add((site[0], site[1], code, "linter"))
    unexplained = sorted(differences - set(EXCEPTIONS))
    stale = sorted({e for e in EXCEPTIONS if e[3] != "runtime"} - differences)
    assert not unexplained, f"front ends disagree: {unexplained}"
    assert not stale, f"documented exceptions that no longer happen: {stale}"
