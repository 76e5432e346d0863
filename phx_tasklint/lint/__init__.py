"""The linter: sources in, findings out (PHX000 from reading, the rest from the engine).

The engine works on CPython's `ast`, and only on the files the prefilter lets through; libcst
is imported by `fixes` alone, to rewrite the defs that `--fix` edits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from phx_tasklint.lint.findings import Finding, merged
from phx_tasklint.lint.modindex import module_name

# The prefilter (and its `ast`) is imported by the functions that screen sources: `merge` serves
# runs answered from the cache, which read no source.
if TYPE_CHECKING:
    from phx_tasklint.lint.definitions import ModuleFinder
    from phx_tasklint.lint.engine import HandOff, Result
    from phx_tasklint.lint.sources import Source


class LintConfig(Protocol):
    @property
    def phoenix_version(self) -> str: ...
    @property
    def task_runners(self) -> tuple[str, ...]: ...
    @property
    def evaluator_runners(self) -> tuple[str, ...]: ...


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    handoffs: list[HandOff] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def wrappers(config: LintConfig) -> frozenset[str]:
    from phx_tasklint.lint import prefilter

    return prefilter.wrapper_names((*config.task_runners, *config.evaluator_runners))


def is_candidate(source: Source, config: LintConfig) -> bool:
    """Both prefilter stages on a loaded source (the file pipeline runs them on bytes first)."""
    from phx_tasklint.lint import prefilter, pyast

    if not source.text:
        return False
    extra = wrappers(config)
    if not prefilter.mentions(source.text.encode("utf-8", "surrogatepass"), extra):
        return False
    try:
        tree = pyast.parse(source.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        return False
    return prefilter.has_handoff(tree, extra)


def analyse(
    candidates: Iterable[Source], config: LintConfig, find_module: ModuleFinder
) -> list[Result]:
    """One engine result per candidate file."""
    from phx_tasklint.lint.engine import Engine

    engine = Engine(config, find_module)
    return [engine.analyse(source) for source in candidates]


def merge(problems: Iterable[Finding], results: Iterable[Result]) -> Report:
    """Findings of several candidates, each reported once with every call that hands its
    definition over (each file's analysis saw its own calls), in path/line order."""
    found = list(problems)
    report = Report()
    for result in results:
        report.skipped.update(result.skipped)
        report.handoffs.extend(result.handoffs)
        report.errors.extend(result.errors)
        found.extend(result.findings)
    report.findings = merged(found)
    report.findings.sort(key=Finding.sort_key)
    return report


def lint(sources: Sequence[Source], config: LintConfig) -> Report:
    """Lint loaded sources in memory (the CLI streams files through `checking` instead)."""
    by_module = {module_name(s.path): s for s in sources if s.kind == "python" and s.text}
    candidates = [s for s in sources if is_candidate(s, config)]
    from phx_tasklint.lint.definitions import InMemory

    results = analyse(candidates, config, InMemory(by_module)) if candidates else []
    return merge((p for s in sources for p in s.problems), results)
