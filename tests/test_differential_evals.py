"""Differential test: phoenix.evals evaluators, the runtime binder against the real packages.

Generated `create_evaluator` functions (field names from the binding keywords and others,
defaults, parameter kinds, annotations, async) with optional input mappings (paths with valid
and invalid roots, mapping functions) are run through the client's own evaluator runner with
the seven keywords on a sample example (dry run, tests/oracle.py). Whether Phoenix fails must
be whether the runtime binder reports an error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phx_tasklint.core import spec
from phx_tasklint.core.model import Kind, Param
from phx_tasklint.runtime import binder
from tests.oracle import EXAMPLE, TRACE_ID, phoenix_runner_error
from tests.test_evals_runtime import define, render_params

pytest.importorskip("phoenix.evals")
pytestmark = pytest.mark.slow

KEYWORDS = spec.EVALUATOR_NAMES
# Names that are no keyword (pydantic refuses `_x` and shadows BaseModel's own attributes:
# those are not evaluators a user can build, so they are not generated).
OTHERS = ("question", "answer", "x", "context", "args", "kwargs")
KINDS = (
    Kind.POSITIONAL_OR_KEYWORD,
    Kind.POSITIONAL_OR_KEYWORD,
    Kind.KEYWORD_ONLY,
    Kind.POSITIONAL_ONLY,
    Kind.VAR_POSITIONAL,
    Kind.VAR_KEYWORD,
)
# Annotations for fields that receive a whole keyword (others would be judged by value).
ANNOTATIONS = ("", "Any", "dict", "str", "int", "dict | None", "str | None", "Mapping[str, Any]")
# Paths into the sample example that exist, and paths whose root is no keyword.
GOOD_PATHS = (
    "input",
    "input.question",
    "$.input.question",
    "input['question']",
    "expected.answer",
    "metadata.source",
    "output",
    "trace_id",
    "",
)
BAD_PATHS = ("inputs.question", "row.x", "answer", "$.query")
LAMBDA_NAMES = ("input", "output", "expected", "row", "x")
OUTPUTS = (None, 1, "four", {"answer": "4"}, [1, 2])


@dataclass(frozen=True)
class Case:
    params: tuple[Param, ...]
    annotations: dict[str, str]
    is_async: bool
    mapping: dict[str, str | tuple[Param, ...]] | None
    sync: bool
    output: Any

    def source(self) -> str:
        """The evaluator as a user would write it (for the failure message)."""
        parts = render_params(self.params)
        for name, annotation in self.annotations.items():
            parts = parts.replace(name, f"{name}: {annotation}", 1)
        prefix = "async " if self.is_async else ""
        mapped = "" if self.mapping is None else f"\nmapped with {self.mapping}"
        runner = "Client" if self.sync else "AsyncClient"
        return f"{prefix}def f({parts})  # on {runner}, output={self.output!r}{mapped}"


def _ordered(params: list[Param]) -> tuple[Param, ...]:
    """A valid Python parameter list: kinds in order, positional defaults trailing."""
    params.sort(key=lambda p: p.kind)
    out: list[Param] = []
    seen_default = False
    for p in params:
        if p.kind in (Kind.POSITIONAL_ONLY, Kind.POSITIONAL_OR_KEYWORD):
            seen_default = seen_default or p.has_default
            p = Param(p.name, p.kind, seen_default)
        out.append(p)
    return tuple(out)


@st.composite
def params_strategy(draw: st.DrawFn, names: tuple[str, ...], most: int) -> tuple[Param, ...]:
    chosen = draw(st.lists(st.sampled_from(names), max_size=most, unique=True))
    params: list[Param] = []
    for name in chosen:
        kind = draw(st.sampled_from(KINDS))
        if any(p.kind is kind for p in params) and kind in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD):
            kind = Kind.POSITIONAL_OR_KEYWORD
        default = kind not in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD) and draw(st.booleans())
        params.append(Param(name, kind, default))
    return _ordered(params)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    params = draw(params_strategy(KEYWORDS + OTHERS, 4))
    mapping: dict[str, str | tuple[Param, ...]] | None = None
    if draw(st.booleans()):
        keys = [p.name for p in params] + ["stray"]
        mapping = {}
        for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
            kind = draw(st.sampled_from(("good", "good", "bad", "function")))
            if kind == "function":
                mapping[key] = draw(params_strategy(LAMBDA_NAMES, 3))
            else:
                mapping[key] = draw(st.sampled_from(GOOD_PATHS if kind == "good" else BAD_PATHS))
    annotations: dict[str, str] = {}
    for p in params:
        whole = p.name in KEYWORDS and p.name != "output" and p.name not in (mapping or {})
        if whole and p.kind not in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD):
            annotation = draw(st.sampled_from(ANNOTATIONS))
            if annotation:
                annotations[p.name] = annotation
    return Case(
        params=params,
        annotations=annotations,
        is_async=draw(st.booleans()),
        mapping=mapping,
        sync=draw(st.booleans()),
        output=draw(st.sampled_from(OUTPUTS)),
    )


def build(case: Case) -> Any:
    from phoenix.evals import bind_evaluator, create_evaluator

    prefix = "async " if case.is_async else ""
    function = define(case.params, prefix)
    hints: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    exec("from typing import Any, Mapping", namespace)
    for name, annotation in case.annotations.items():
        hints[name] = eval(annotation, namespace)
    function.__annotations__ = hints
    evaluator = create_evaluator(name="generated")(function)
    if case.mapping is None:
        return evaluator
    mapping = {
        key: value if isinstance(value, str) else define(value)
        for key, value in case.mapping.items()
    }
    return bind_evaluator(evaluator=evaluator, input_mapping=mapping)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_runtime_binder_agrees_with_phoenix(case: Case) -> None:
    evaluator = build(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        error = phoenix_runner_error(
            evaluator,
            "evaluator",
            example=EXAMPLE,
            output=case.output,
            trace_id=TRACE_ID,
            sync_client=case.sync,
        )
    found = binder.check_callable(evaluator, "evaluator", sync_client=case.sync)
    errors = [d for d in found if d.severity == "error"]
    assert (error is not None) == bool(errors), (
        f"{case.source()}\nPhoenix: {error}\nbinder: {[(d.code, d.message) for d in found]}"
    )
