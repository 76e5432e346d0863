"""The fixtures state their expected findings inline (`# expect: PHX002`, or `PHX002@19` to pin
the finding's 1-based column, as the text output prints it); every front end that can see a
fixture must report exactly those."""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from phx_tasklint.lint import Report, lint, sources
from phx_tasklint.runtime.binder import check_callable
from tests.snippets import SIGNATURE_RULES
from tests.test_three_front_ends import EXCEPTIONS, runtime_exceptions

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SUFFIXES = (".py", ".ipynb", ".md")
_CODE = r"PHX\d{3}(?:@\d+)?"
_EXPECT = re.compile(rf"#\s*expect:\s*(?P<codes>{_CODE}(?:\s*,\s*{_CODE})*)")
Key = tuple[str, int | None, int, str]  # path, cell, line, code
Expected = tuple[str, int | None, int, str, int | None]  # ... and the column, if pinned


class _Config:
    phoenix_version = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


def fixture_files() -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.suffix in SUFFIXES and not {"mypy"} & set(p.relative_to(FIXTURES).parts)
    )


def _lines_with_cells(path: Path) -> Iterator[tuple[int | None, int, str]]:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        for number, cell in enumerate(cells, start=1):
            source = cell["source"]
            text = source if isinstance(source, str) else "".join(source)
            for line_no, line in enumerate(text.splitlines(), start=1):
                yield number, line_no, line
    else:
        for line_no, line in enumerate(path.read_text().splitlines(), start=1):
            yield None, line_no, line


def expectations() -> set[Expected]:
    out: set[Expected] = set()
    for path in fixture_files():
        rel = path.relative_to(FIXTURES).as_posix()
        for cell, line_no, line in _lines_with_cells(path):
            match = _EXPECT.search(line)
            if match:
                for item in re.split(r"\s*,\s*", match.group("codes")):
                    code, _, column = item.partition("@")
                    out.add((rel, cell, line_no, code, int(column) if column else None))
    return out


def compare(found: set[Expected], expected: set[Expected]) -> tuple[list[str], list[str]]:
    """(missing, unexpected): a pinned expectation needs a finding at its column, an unpinned
    one a finding on its line; every finding needs an expectation on its line."""
    columns: dict[Key, list[int | None]] = {}
    for f in found:
        columns.setdefault(f[:4], []).append(f[4])
    missing = []
    for e in sorted(expected, key=str):
        key, column = e[:4], e[4]
        if key not in columns:
            missing.append(str(key))
        elif column is not None and column not in columns[key]:
            missing.append(f"{key} at column {column}, found at {sorted(columns[key])}")
    expected_keys = {e[:4] for e in expected}
    unexpected = sorted(str(key) for key in columns if key not in expected_keys)
    return missing, unexpected


def run_linter(monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(FIXTURES)
    loaded = [sources.load(p, p.relative_to(FIXTURES).as_posix()) for p in fixture_files()]
    return lint(loaded, _Config())


def test_linter_reports_exactly_the_inline_expectations(monkeypatch: pytest.MonkeyPatch) -> None:
    report = run_linter(monkeypatch)
    found = {
        (f.location.path, f.location.cell, f.location.line, f.diagnostic.code, f.location.column)
        for f in report.findings
    }
    expected = expectations()
    assert len(expected) > 50
    assert any(e[4] is not None for e in expected)  # some fixtures pin a column
    missing, unexpected = compare(found, expected)
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"


@pytest.mark.parametrize(
    ("found_column", "pinned", "missing"),
    [(19, None, False), (19, 19, False), (5, 19, True)],
    ids=["unpinned", "pinned-here", "pinned-elsewhere"],
)
def test_a_pinned_column_must_match(found_column: int, pinned: int | None, missing: bool) -> None:
    found = {("a.py", None, 3, "PHX002", found_column)}
    assert compare(found, {("a.py", None, 3, "PHX002", pinned)}) == (
        [f"{('a.py', None, 3, 'PHX002')} at column 19, found at [5]"] if missing else [],
        [],
    )


def _import_fixture(path: str) -> Any:
    module_name = path.removesuffix(".py").replace("/", ".")
    try:
        return importlib.import_module(module_name)
    except ImportError:
        return None  # e.g. the legacy phoenix.experiments or phoenix.evals, not installed here
    except ValueError:
        return None  # Phoenix rejected a decorated evaluator at import: the fixture's point


def test_runtime_agrees_with_linter_on_every_importable_hand_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = run_linter(monkeypatch)
    monkeypatch.syspath_prepend(str(FIXTURES))
    compared = 0
    excused: set[tuple[str, int, str]] = set()
    for handoff in report.handoffs:
        if not handoff.path.endswith(".py"):
            continue
        module = _import_fixture(handoff.path)
        if module is None:
            continue
        try:
            obj = eval(handoff.expression, dict(vars(module)))  # our own fixtures
        except NameError:
            continue  # a name local to a function body
        if hasattr(obj, "evaluate"):
            continue  # an Evaluator object: Phoenix uses it as-is
        diagnostics = check_callable(
            obj,
            handoff.role,
            sync_client=handoff.context.sync_runner,
            profile=handoff.context.profile,
        )
        runtime_codes = tuple(sorted({d.code for d in diagnostics} & SIGNATURE_RULES))
        linted = tuple(c for c in handoff.codes if c in SIGNATURE_RULES)
        unseen = runtime_exceptions(handoff.path, handoff.site_lines[0]) - set(runtime_codes)
        excused |= {(handoff.path, handoff.site_lines[0], c) for c in unseen & set(linted)}
        assert runtime_codes == tuple(c for c in linted if c not in unseen), (handoff, diagnostics)
        compared += 1
    listed = {
        (path, line, code) for path, line, code, front_end in EXCEPTIONS if front_end == "runtime"
    }
    assert not listed - excused, f"runtime exceptions that no longer happen: {listed - excused}"
    for name in list(sys.modules):
        if name.split(".")[0] in {p.stem for p in FIXTURES.glob("*.py")} | {"pkg"}:
            del sys.modules[name]
    assert compared >= 50, compared
