"""The linter against Phoenix itself: generated signatures, rendered into modules that hand each
one to a sync and an async runner, must get an error in PHX001–PHX006 exactly when the installed
arize-phoenix-client (tests/oracle.py) fails on them.

Signatures are linted in batches (one module of many `def`s per hypothesis example) because a
lint run costs far more than a hand-off; each batch compares every function on its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from oracle import EXAMPLE, TRACE_ID, phoenix_evaluator_verdict, phoenix_task_verdict
from strategies import (
    POSITIONAL_ONLY,
    POSITIONAL_OR_KEYWORD,
    ParamSpec,
    SignatureSpec,
    compile_spec,
    render,
    signature_specs,
)

from phx_tasklint.lint import lint, sources

Role = Literal["task", "evaluator"]
BATCH = 50  # specs per example; each is handed to both runners: 100 functions per module
EXAMPLES = 20  # per role: 1000 specs, 2000 hand-offs
SIGNATURE_ERRORS = frozenset({"PHX001", "PHX002", "PHX003", "PHX004", "PHX005", "PHX006"})
TASK_OUTPUT: dict[str, Any] = {"answer": "4"}
# (name prefix, sync runner?) — `s` functions go to the module function, `a` ones to AsyncClient
RUNNERS = (("s", True), ("a", False))


@dataclass(frozen=True)
class _Config:
    phoenix_version: str = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


def module_source(specs: list[SignatureSpec], role: Role) -> str:
    lines = [
        "from phoenix.client import AsyncClient",
        "from phoenix.client.experiments import run_experiment",
        "",
        "ds = None",
        "",
        "",
        "def good_task(input):",
        "    return input",
        "",
        "",
    ]
    for i, spec in enumerate(specs):
        for prefix, _ in RUNNERS:
            lines += [render(spec, f"{prefix}{i}"), ""]

    def hand_off(name: str) -> str:
        return f"task={name}" if role == "task" else f"task=good_task, evaluators=[{name}]"

    lines += [f"run_experiment(dataset=ds, {hand_off(f's{i}')})" for i in range(len(specs))]
    lines += ["", "", "async def main():"]
    lines += [
        f"    await AsyncClient().experiments.run_experiment(dataset=ds, {hand_off(f'a{i}')})"
        for i in range(len(specs))
    ]
    return "\n".join(lines) + "\n"


def phoenix_fails(spec: SignatureSpec, name: str, role: Role, sync_client: bool) -> bool:
    fn = compile_spec(spec, name)
    if role == "task":
        verdict = phoenix_task_verdict(fn, EXAMPLE, sync_client=sync_client)
    else:
        verdict = phoenix_evaluator_verdict(
            fn, output=TASK_OUTPUT, example=EXAMPLE, trace_id=TRACE_ID, sync_client=sync_client
        )
    return not verdict.ok


def compare(specs: list[SignatureSpec], role: Role) -> Counter[bool]:
    """Lint one batch and ask Phoenix about each function; returns how many Phoenix failed
    (True) and passed (False)."""
    seen: Counter[bool] = Counter()
    text = module_source(specs, role)
    report = lint([sources.from_bytes(text.encode(), "generated.py")], _Config())
    assert not report.errors, report.errors
    assert not [f for f in report.findings if f.diagnostic.code == "PHX000"]
    flagged: dict[str, set[str]] = {}
    for finding in report.findings:
        d = finding.diagnostic
        if d.severity == "error" and d.code in SIGNATURE_ERRORS and finding.function:
            assert d.role == role, finding
            flagged.setdefault(finding.function, set()).add(d.code)
    disagreements = []
    for i, spec in enumerate(specs):
        for prefix, sync_client in RUNNERS:
            name = f"{prefix}{i}"
            fails = phoenix_fails(spec, name, role, sync_client)
            seen[fails] += 1
            if fails != (name in flagged):
                runner = "sync" if sync_client else "async"
                disagreements.append(
                    f"{runner} {role}: Phoenix {'fails' if fails else 'passes'}, linter "
                    f"{sorted(flagged.get(name, ())) or 'silent'}: {render(spec, name).strip()}"
                )
    note(text)
    assert not disagreements, "\n".join(disagreements)
    return seen


_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_batches = st.lists(signature_specs(), min_size=BATCH, max_size=BATCH)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["task", "evaluator"])
def test_linter_agrees_with_phoenix(role: Role) -> None:
    # How many functions this test compared, and how many Phoenix rejected (it must see both).
    seen: Counter[bool] = Counter()

    @_settings
    @given(_batches)
    def run(specs: list[SignatureSpec]) -> None:
        seen.update(compare(specs, role))

    run()
    assert seen.total() >= 2 * BATCH * EXAMPLES >= 1000  # >= 500 signatures, each on both runners
    assert seen[True] >= 100 and seen[False] >= 100, seen


HARNESS_CASES = {
    "async-task": (
        "task",
        SignatureSpec((ParamSpec("input", POSITIONAL_OR_KEYWORD),), True),
        {"s0"},
    ),
    "async-evaluator": (
        "evaluator",
        SignatureSpec((ParamSpec("output", POSITIONAL_OR_KEYWORD),), True),
        {"s0"},
    ),
    "positional-only": (
        "task",
        SignatureSpec(
            (ParamSpec("input", POSITIONAL_ONLY), ParamSpec("expected", POSITIONAL_ONLY))
        ),
        {"s0", "a0"},
    ),
    "good": ("evaluator", SignatureSpec((ParamSpec("output", POSITIONAL_OR_KEYWORD),)), set()),
}


@pytest.mark.parametrize(("role", "spec", "expected"), HARNESS_CASES.values(), ids=HARNESS_CASES)
def test_harness_reaches_both_runners(role: Role, spec: SignatureSpec, expected: set[str]) -> None:
    """The batch module hands `s*` to the sync runner and `a*` to the async one: a signature
    Phoenix rejects only on the sync runner is flagged only on `s0`."""
    report = lint([sources.from_bytes(module_source([spec], role).encode(), "g.py")], _Config())
    flagged = {f.function for f in report.findings if f.diagnostic.code in SIGNATURE_ERRORS}
    assert flagged == expected
    for prefix, sync_client in RUNNERS:
        name = f"{prefix}0"
        assert phoenix_fails(spec, name, role, sync_client) == (name in expected)
