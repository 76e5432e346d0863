"""The linter: sources in, findings out (PHX000 from reading, the rest from the engine)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from phx_tasklint.findings import Finding
from phx_tasklint.lint.engine import Engine, HandOff, LintConfig
from phx_tasklint.sources import Source

# A file can only hand something to Phoenix if it names Phoenix or a configured wrapper.
_MARKERS = ("phoenix", "run_experiment", "evaluate_experiment", "resume_", "create_evaluator")


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    handoffs: list[HandOff] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def is_candidate(source: Source, config: LintConfig) -> bool:
    text = source.text
    if not text:
        return False
    markers = _MARKERS + tuple(
        name.rsplit(".", 1)[-1] for name in (*config.task_runners, *config.evaluator_runners)
    )
    return any(marker in text for marker in markers)


def lint(sources: Sequence[Source], config: LintConfig) -> Report:
    engine = Engine(sources, config)
    result = engine.run(s for s in sources if is_candidate(s, config))
    report = Report(skipped=result.skipped, handoffs=result.handoffs, errors=result.errors)
    for source in sources:
        report.findings.extend(source.problems)
    report.findings.extend(result.findings)
    report.findings.sort(key=Finding.sort_key)
    return report
