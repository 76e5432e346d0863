"""Differential test: `phx_tasklint.runtime.binder` against the installed arize-phoenix-client.

Generated signatures (tests/strategies.py) are judged by Phoenix itself (tests/oracle.py) and by
our runtime adapter; both must agree on *whether* Phoenix fails and on *what* it binds. The
oracle is itself checked against Phoenix's real per-example runners and against hand-picked
cases from phoenix/RULES.md §4.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import (
    EXAMPLE,
    TRACE_ID,
    Verdict,
    phoenix_evaluator_verdict,
    phoenix_runner_error,
    phoenix_task_verdict,
)
from strategies import Generated, generated_functions

pytestmark = pytest.mark.slow

Role = Literal["task", "evaluator"]
ROLES: tuple[Role, ...] = ("task", "evaluator")
# The rules whose violation makes Phoenix fail at validation, bind or call time (DESIGN.md §4).
BINDING_CODES = frozenset({"PHX001", "PHX002", "PHX003", "PHX004", "PHX005", "PHX006"})

# Values a task could have produced (after jsonify), handed to evaluators as `output`.
outputs = st.sampled_from([None, 1, "four", {"answer": "four"}, [1, 2]])
trace_ids = st.sampled_from([None, TRACE_ID])

differential = settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def phoenix_verdict(
    fn: Callable[..., Any], role: Role, *, output: Any, trace_id: str | None, sync_client: bool
) -> Verdict:
    if role == "task":
        return phoenix_task_verdict(fn, EXAMPLE, sync_client=sync_client)
    return phoenix_evaluator_verdict(
        fn, output=output, example=EXAMPLE, trace_id=trace_id, sync_client=sync_client
    )


@dataclass(frozen=True)
class Proxy:
    """A bound non-dict mapping (Phoenix's or our `ExampleProxy`), compared by its items."""

    items: dict[str, Any]


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, Mapping):
        return Proxy(normalise(dict(value)))
    if isinstance(value, list | tuple):
        return type(value)(normalise(item) for item in value)
    return value


def describe(gen: Generated, role: Role, sync_client: bool, verdict: Verdict, ours: object) -> str:
    return (
        f"\n--- {role}, sync_client={sync_client}\n{gen.source}"
        f"phoenix: ok={verdict.ok} stage={verdict.stage} error={verdict.error}\n"
        f"ours:    {ours}"
    )


def error_codes(diagnostics: list[Any]) -> list[str]:
    return sorted(d.code for d in diagnostics if d.severity == "error" and d.code in BINDING_CODES)


@pytest.mark.parametrize("role", ROLES)
@differential
@given(gen=generated_functions(), output=outputs, trace_id=trace_ids)
def test_verdict_agreement(role: Role, gen: Generated, output: Any, trace_id: str | None) -> None:
    """Phoenix fails (any stage) ⇔ check_callable reports an error among PHX001–PHX006."""
    from phx_tasklint.runtime.binder import check_callable

    for sync_client in (True, False):
        verdict = phoenix_verdict(
            gen.fn, role, output=output, trace_id=trace_id, sync_client=sync_client
        )
        diagnostics = check_callable(gen.fn, role, sync_client=sync_client)
        ours = [(d.code, d.severity, d.message) for d in diagnostics]
        assert bool(error_codes(diagnostics)) == (not verdict.ok), describe(
            gen, role, sync_client, verdict, ours
        )


@pytest.mark.parametrize("role", ROLES)
@differential
@given(gen=generated_functions(), output=outputs, trace_id=trace_ids)
def test_binding_agreement(role: Role, gen: Generated, output: Any, trace_id: str | None) -> None:
    """Where Phoenix binds, we bind the same args and kwargs (as fresh copies); else we refuse."""
    from phx_tasklint.runtime.binder import BindingError, bind_evaluator, bind_task, check_callable

    # The AsyncClient binds sync and async callables alike; the sync-runner refusal of async
    # callables (PHX006) is not a binding matter and is covered by test_verdict_agreement.
    verdict = phoenix_verdict(gen.fn, role, output=output, trace_id=trace_id, sync_client=False)

    def bind() -> inspect.BoundArguments:
        if role == "task":
            return bind_task(gen.fn, EXAMPLE)
        return bind_evaluator(gen.fn, output=output, example=EXAMPLE, trace_id=trace_id)

    if not verdict.bound:
        with pytest.raises(BindingError):
            bind()
        return
    try:
        bound = bind()
    except BindingError as exc:
        ours = [(d.code, d.message) for d in exc.diagnostics]
        raise AssertionError(describe(gen, role, False, verdict, ours)) from exc
    shown = describe(gen, role, False, verdict, f"args={bound.args!r} kwargs={bound.kwargs!r}")
    assert normalise(bound.args) == normalise(verdict.args), shown
    assert normalise(bound.kwargs) == normalise(verdict.kwargs), shown
    shared = [EXAMPLE["input"], EXAMPLE["output"], EXAMPLE["metadata"]]
    if isinstance(output, dict | list):
        shared.append(output)
    for value in (*bound.args, *bound.kwargs.values()):
        assert all(value is not original for original in shared), f"not a copy: {value!r}{shown}"
    if not verdict.ok:  # bound, then failed in the call: at least the checker must see it
        assert error_codes(check_callable(gen.fn, role, sync_client=False)), shown


@pytest.mark.parametrize("role", ROLES)
@differential
@given(gen=generated_functions(), output=outputs, trace_id=trace_ids)
def test_oracle_matches_phoenix_runners(
    role: Role, gen: Generated, output: Any, trace_id: str | None
) -> None:
    """The staged oracle gives the same error (repr) as Phoenix's real per-example runners."""
    assert inspect.signature(gen.fn) == gen.spec.signature()
    for sync_client in (True, False):
        verdict = phoenix_verdict(
            gen.fn, role, output=output, trace_id=trace_id, sync_client=sync_client
        )
        runner_error = phoenix_runner_error(
            gen.fn, role, example=EXAMPLE, output=output, trace_id=trace_id, sync_client=sync_client
        )
        assert verdict.error == runner_error, describe(gen, role, sync_client, verdict, "-")


# --- hand-picked cases (phoenix/RULES.md §3, §4, §6) -------------------------------------------

OUTPUT = {"answer": "four"}
# Symbols of RULES.md §4: I input, E expected, M metadata, X example, O output, T trace_id.
SYMBOLS: dict[str, Any] = {
    "I": EXAMPLE["input"],
    "E": EXAMPLE["output"],
    "M": EXAMPLE["metadata"],
    "X": Proxy(EXAMPLE),
    "O": OUTPUT,
    "T": TRACE_ID,
}


def call_shape(verdict: Verdict) -> str:
    """The bound call in RULES.md §4 notation, e.g. `f(O, input=I)`."""

    def symbol(value: Any) -> str:
        found = [name for name, known in SYMBOLS.items() if normalise(value) == known]
        return found[0] if found else repr(value)

    parts = [symbol(v) for v in verdict.args] + [
        f"{k}={symbol(v)}" for k, v in verdict.kwargs.items()
    ]
    return f"f({', '.join(parts)})"


# id, role, source (without body), sync_client, expected: the call, or "stage: repr prefix"
CASES = [
    ("task-no-params", "task", "def f()", False, "validate: ValueError('Task function must"),
    ("task-input", "task", "def f(input)", False, "f(I)"),
    ("task-typo-gets-input", "task", "def f(inputs)", False, "f(I)"),
    ("task-output-gets-input", "task", "def f(output)", False, "f(I)"),
    ("task-example", "task", "def f(example)", False, "f(X)"),
    ("task-kwonly-single", "task", "def f(*, input)", False, "bind: TypeError('too many"),
    ("task-kwonly-default-single", "task", "def f(*, x=1)", False, "bind: TypeError('too many"),
    ("task-varkw-single", "task", "def f(**kwargs)", False, "bind: TypeError('too many"),
    ("task-varargs-single", "task", "def f(*args)", False, "f(I)"),
    ("task-posonly-single", "task", "def f(input, /)", False, "f(I)"),
    ("task-posonly-pair", "task", "def f(input, expected, /)", False, "bind: TypeError(\"'input"),
    ("task-posonly-first", "task", "def f(input, /, expected)", False, "bind: TypeError(\"'input"),
    ("task-posonly-default", "task", "def f(input, x=1, /)", False, "bind: TypeError(\"'input"),
    ("task-all-defaults", "task", "def f(x=1, y=2)", False, "f()"),
    ("task-two-unknown", "task", "def f(x, y)", False, "validate: ValueError('Invalid"),
    ("task-input-varargs", "task", "def f(input, *args)", False, "validate: ValueError('Invalid"),
    ("task-args-kwargs", "task", "def f(*args, **kwargs)", False, "validate: ValueError('Invalid"),
    ("task-varkw-gets-nothing", "task", "def f(input, **kwargs)", False, "f(I)"),
    ("task-output-name", "task", "def f(output, expected)", False, "validate: ValueError('Inva"),
    ("task-output-default", "task", "def f(input, output=None)", False, "f(I)"),
    ("task-varargs-named-known", "task", "def f(*metadata, **kw)", False, "f(metadata=M)"),
    ("task-kwonly-unknown", "task", "def f(input, *, k)", False, "validate: ValueError('Invalid"),
    ("task-kwonly-pair", "task", "def f(*, input, expected)", False, "f(input=I, expected=E)"),
    ("task-gap", "task", "def f(input, x=1, expected=None)", False, "f(I, expected=E)"),
    ("task-async-sync", "task", "async def f(input)", True, "call: RuntimeError('Task is async"),
    ("task-async-async", "task", "async def f(input)", False, "f(I)"),
    ("eval-no-params", "evaluator", "def f()", False, "validate: ValueError('Evaluation"),
    ("eval-output", "evaluator", "def f(output)", False, "f(O)"),
    ("eval-unknown-gets-output", "evaluator", "def f(x)", False, "f(O)"),
    ("eval-trace-id", "evaluator", "def f(trace_id)", False, "f(T)"),
    ("eval-output-example", "evaluator", "def f(output, example)", False, "f(O, X)"),
    ("eval-output-expected", "evaluator", "def f(output, expected)", False, "f(O, E)"),
    ("eval-varargs-known", "evaluator", "def f(output, *input)", False, 'bind: TypeError("got'),
    ("eval-varkw-known", "evaluator", "def f(output, **input)", False, "f(O, input=I)"),
    ("eval-input-unknown", "evaluator", "def f(input, x)", False, "validate: ValueError('Inv"),
    ("eval-kwonly-single", "evaluator", "def f(*, output)", False, "bind: TypeError('too many"),
    ("eval-async-sync", "evaluator", "async def f(output)", True, "call: NotImplementedError("),
    ("eval-async-async", "evaluator", "async def f(output)", False, "f(O)"),
]


@pytest.mark.parametrize(
    ("role", "source", "sync_client", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_oracle_regression(role: Role, source: str, sync_client: bool, expected: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"{source}:\n    return 1\n", namespace)
    fn = namespace["f"]
    verdict = phoenix_verdict(fn, role, output=OUTPUT, trace_id=TRACE_ID, sync_client=sync_client)
    if verdict.ok:
        assert call_shape(verdict) == expected, verdict
    else:
        assert f"{verdict.stage}: {verdict.error}".startswith(expected), verdict
    runner_error = phoenix_runner_error(
        fn, role, example=EXAMPLE, output=OUTPUT, trace_id=TRACE_ID, sync_client=sync_client
    )
    assert runner_error == verdict.error
