"""phoenix.evals evaluators through the runtime binder, against the installed arize-phoenix-evals
run through the client's own wrapper (issue 19's measured table, one fixture row each)."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import re
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from phx_tasklint.core import evals_judge, spec
from phx_tasklint.core.model import (
    Context,
    EvalsField,
    EvalsSignature,
    Kind,
    MappingEntry,
    Param,
)
from phx_tasklint.runtime import binder
from phx_tasklint.runtime.explain import explain, render
from tests.oracle import EXAMPLE, TRACE_ID, phoenix_runner_error

pytest.importorskip("phoenix.evals")

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "evals_objects.py"
_EXPECT = re.compile(r"#\s*expect:\s*(PHX\d{3}(?:\s*,\s*PHX\d{3})*)")
# What the runtime binder cannot see, by code: only the call that made the object shows it.
NOT_SEEN_AT_RUNTIME = {"PHX508": "positional `bind_evaluator(...)`: the object is the same"}
# The task output every row is evaluated on (the example's expected output, as a dict).
OUTPUT: dict[str, Any] = {"answer": "4"}
# Phoenix's error for each failing row, as the client records it (a substring of its repr).
PHOENIX_ERRORS = {
    "unmapped": "Path not found: ",
    "half_bound": "Path not found: answer",
    "wrong_root": "Path not found: inputs.question",
    "lambda_unknown": "missing 1 required positional argument: 'row'",
    "lone_x": "Path not found: x",
    "catch_all": "Path not found: kwargs",
    "async_on_sync": spec.EVALS_ASYNC_ERROR.split(": ", 1)[1],
    "positional_only": "positional-only arguments passed as keyword arguments",
    "expected_str": "Input should be a valid string",
    "exact_match": "Input should be a valid string",
    "classifier": "Path not found: ",
    "bare": "is not a callable object",
    "no_fields": "Cannot determine input fields",
}
# Rows Phoenix cannot finish without a real LLM: their fields resolve, then the call fails.
NEEDS_AN_LLM = {"classifier_mapped"}


def _load() -> ModuleType:
    loaded = importlib.util.spec_from_file_location("_evals_objects_fixture", FIXTURE)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the positional bind_evaluator row
        loaded.loader.exec_module(module)
    return module


MODULE = _load()


def _expected_codes() -> dict[str, set[str]]:
    """Each top-level name bound to an evaluator -> the codes expected anywhere in its
    statement (decorators included) or on a line that hands it over."""
    text = FIXTURE.read_text()
    lines = text.splitlines()
    out: dict[str, set[str]] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names, first = [node.name], min([node.lineno, *(d.lineno for d in node.decorator_list)])
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names, first = [t.id for t in targets if isinstance(t, ast.Name)], node.lineno
        else:
            continue
        codes: set[str] = set()
        for line in lines[first - 1 : (node.end_lineno or node.lineno)]:
            match = _EXPECT.search(line)
            if match:
                codes.update(c.strip() for c in match.group(1).split(","))
        for name in names:
            out[name] = codes
    for node in ast.walk(ast.parse(text)):
        # `evaluators=[name]` on a line that expects codes: that object's findings too
        if isinstance(node, ast.keyword) and node.arg == "evaluators":
            match = _EXPECT.search(lines[node.lineno - 1])
            for elt in getattr(node.value, "elts", []):
                if match and isinstance(elt, ast.Name):
                    out[elt.id] = out[elt.id] | {c.strip() for c in match.group(1).split(",")}
    return out


EXPECTED = _expected_codes()
HANDED_OVER = [
    name.id
    for node in ast.walk(ast.parse(FIXTURE.read_text()))
    if isinstance(node, ast.keyword) and node.arg == "evaluators"
    for name in getattr(node.value, "elts", [])
    if isinstance(name, ast.Name)
]


def test_every_evaluator_of_the_fixture_is_handed_over() -> None:
    assert len(HANDED_OVER) >= 20
    assert set(HANDED_OVER) <= set(EXPECTED)


@pytest.mark.parametrize("name", HANDED_OVER)
def test_runtime_reports_what_the_fixture_expects(name: str) -> None:
    obj = getattr(MODULE, name)
    found = binder.check_callable(obj, "evaluator", sync_client=True, runner="run")
    expected = EXPECTED[name] - set(NOT_SEEN_AT_RUNTIME)
    assert {d.code for d in found} == expected, [d.message for d in found]
    # the false alarm of issue 19: the object's `__call__(*args, **kwargs)` is not judged
    assert not {"PHX005", "PHX102"} & {d.code for d in found}


@pytest.mark.parametrize("name", [n for n in HANDED_OVER if n not in NEEDS_AN_LLM])
def test_phoenix_fails_exactly_where_the_runtime_reports_an_error(name: str) -> None:
    """Each row through the client's own evaluator runner (dry run, sync Client): Phoenix's
    error, or none, against the runtime binder's error-level findings."""
    obj = getattr(MODULE, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        error = phoenix_runner_error(
            obj, "evaluator", example=EXAMPLE, output=OUTPUT, trace_id=TRACE_ID, sync_client=True
        )
    found = binder.check_callable(obj, "evaluator", sync_client=True)
    errors = [d for d in found if d.severity == "error"]
    if name in PHOENIX_ERRORS:
        assert error is not None and PHOENIX_ERRORS[name] in error, error
        assert errors, f"Phoenix fails with {error}; the binder says {found}"
    else:
        assert error is None, error
        assert not errors, errors


def test_the_async_row_works_on_the_async_client() -> None:
    obj = MODULE.async_on_sync
    error = phoenix_runner_error(
        obj, "evaluator", example=EXAMPLE, output=OUTPUT, trace_id=TRACE_ID, sync_client=False
    )
    assert error is None
    assert binder.check_callable(obj, "evaluator", sync_client=False) == []


def test_messages_say_when_and_what_instead() -> None:
    (d,) = binder.check_callable(MODULE.unmapped, "evaluator", runner="run")
    assert "Path not found: answer` (or another of them)" in d.message
    assert "only after every task has run" in d.message
    assert "input_mapping={'answer': 'input.answer'}" in d.message
    (d,) = binder.check_callable(MODULE.wrong_root, "evaluator", runner="evaluate")
    assert "from the first evaluation on" in d.message and "write `input.question`" in d.message
    (d,) = binder.check_callable(MODULE.bare, "evaluator")
    assert d.code == "PHX406" and "@create_evaluator(name='bare')" in d.message


def test_explain_shows_where_each_field_comes_from() -> None:
    text = render(explain(MODULE.half_bound, "evaluator"))
    assert "question  ← mapping path `input.question`" in text
    assert "answer    ← nothing — `Path not found: answer`  [PHX501]" in text
    assert "*args" not in text and "PHX005" not in text


def test_run_calls_an_evals_object_as_the_client_does() -> None:
    scores = binder.run_evaluator(MODULE.exact_match_mapped, output=OUTPUT, example=EXAMPLE)
    assert [s["score"] for s in scores] == [1.0]
    with pytest.raises(ValueError, match="Path not found: answer"):
        binder.call_evaluator(MODULE.half_bound, output=OUTPUT, example=EXAMPLE)
    result = asyncio.run(
        binder.acall_evaluator(MODULE.async_on_sync, output=OUTPUT, example=EXAMPLE)
    )
    assert result.score == 1.0


def test_binding_an_evals_object_says_why_there_is_nothing_to_bind() -> None:
    with pytest.raises(TypeError, match=r"phoenix\.evals evaluator"):
        binder.bind_evaluator(MODULE.works, output=OUTPUT, example=EXAMPLE)


def test_a_class_from_elsewhere_is_never_read_as_an_evals_object() -> None:
    class Lookalike:
        def __init__(self) -> None:
            self.name = "x"
            self.input_schema = None
            self._input_mapping = {"a": "inputs.a"}

        def __call__(self, *args: Any, **kwargs: Any) -> float:
            return 1.0

    assert binder.evals_signature(Lookalike()) is None
    assert "phoenix.evals" in sys.modules  # (loaded by the fixture; the binder never imports it)


# --------------------------------------------------------------------------------------------
# The judge on what a front end could not see: unknowns are never reported


def _sig(*fields: EvalsField, **kw: Any) -> EvalsSignature:
    return EvalsSignature(fields=fields, **kw)


@pytest.mark.parametrize(
    ("path", "root"),
    [
        ("input.question", "input"),
        ("$.input.question", "input"),
        ("input['q']", "input"),
        ("inputs", "inputs"),
        ("$..question", None),
        ("*.x", None),
        ("input question", None),
    ],
)
def test_path_root(path: str, root: str | None) -> None:
    assert evals_judge.path_root(path) == root


def test_unknowns_are_never_reported() -> None:
    judge = evals_judge.check_evals
    assert judge(EvalsSignature(fields=None, mapping=(MappingEntry("q", path="inputs.q"),))) == []
    incomplete = _sig(EvalsField("question"), mapping=(), mapping_complete=False)
    assert judge(incomplete) == []
    assert judge(_sig(EvalsField("question"), mapping=(MappingEntry("question"),))) == []
    deeper = _sig(EvalsField("q"), mapping=(MappingEntry("q", path="$..q"),))
    assert judge(deeper) == []
    unknown_async = EvalsSignature(fields=(), is_async=None)
    assert judge(unknown_async, Context(sync_runner=True)) == []


@pytest.mark.parametrize(
    ("params", "fails"),
    [
        ((), True),
        ((Param("x"),), False),
        ((Param("input"),), False),
        ((Param("x", Kind.VAR_POSITIONAL),), False),
        ((Param("x", Kind.KEYWORD_ONLY),), True),
        ((Param("k", Kind.VAR_KEYWORD),), True),
        ((Param("input"), Param("output")), False),
        ((Param("input"), Param("row")), True),
        ((Param("input"), Param("row", has_default=True)), False),
        ((Param("input", Kind.POSITIONAL_ONLY), Param("output")), True),
        ((Param("input"), Param("a", Kind.VAR_POSITIONAL)), True),
        ((Param("input"), Param("a", Kind.VAR_POSITIONAL), Param("k", Kind.VAR_KEYWORD)), False),
    ],
)
def test_mapping_functions(params: tuple[Param, ...], fails: bool) -> None:
    """Each shape as phoenix.evals' own mapping-function binder treats it, through the
    client's runner, and as the judge does."""
    from phoenix.evals import bind_evaluator, create_evaluator

    @create_evaluator(name="m")
    def m(q: Any) -> float:
        return 1.0

    function = define(params)
    bound = bind_evaluator(evaluator=m, input_mapping={"q": function})
    error = phoenix_runner_error(
        bound, "evaluator", example=EXAMPLE, output=OUTPUT, trace_id=TRACE_ID, sync_client=True
    )
    assert (error is not None) is fails, error
    assert binder.check_callable(bound, "evaluator") == evals_judge.check_evals(
        _sig(EvalsField("q", annotation=None), mapping=(MappingEntry("q", lambda_params=params),))
    )
    sig = _sig(EvalsField("q"), mapping=(MappingEntry("q", lambda_params=params),))
    assert bool(evals_judge.check_evals(sig)) is fails


def render_params(params: tuple[Param, ...]) -> str:
    """Python source for a parameter list (`/` and `*` where the kinds need them)."""
    parts: list[str] = []
    for i, p in enumerate(params):
        if p.kind is Kind.KEYWORD_ONLY and not any(
            q.kind in (Kind.KEYWORD_ONLY, Kind.VAR_POSITIONAL) for q in params[:i]
        ):
            parts.append("*")
        star = {Kind.VAR_POSITIONAL: "*", Kind.VAR_KEYWORD: "**"}.get(p.kind, "")
        parts.append(f"{star}{p.name}{'=None' if p.has_default else ''}")
        last_positional = p.kind is Kind.POSITIONAL_ONLY and (
            i + 1 == len(params) or params[i + 1].kind is not Kind.POSITIONAL_ONLY
        )
        if last_positional:
            parts.append("/")
    return ", ".join(parts)


def define(params: tuple[Param, ...], prefix: str = "", body: str = "return 1.0") -> Any:
    namespace: dict[str, Any] = {}
    exec(f"{prefix}def fn({render_params(params)}):\n    {body}\n", namespace)
    return namespace["fn"]


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="phoenix-evals profile"):
        evals_judge.check_evals(_sig(), Context(evals_profile="0.1"))


# --------------------------------------------------------------------------------------------
# Template variables, as the linter will read them, against phoenix.evals' own reading

TEMPLATES = [
    "Q: {question} A: {answer}",
    "Q: {{question}} A: {{ answer }}",
    "{{#items}}{{name}}{{/items}} {{total}}",
    "{{^empty}}none{{/empty}}{{{raw}}} {{&amp}}",
    "{{user.name}} and {{user.age}}",
    "{input.question} vs {output}",
    'Answer as JSON: {{"label": "x"}} for {question}',
    "{{! a comment }}{{question}}",
    "no variables at all",
    "{0} and {}",
    "literal braces {{ and }} only",
    "{{question}} and {answer}",
    "{x!r:>10}",
]


@pytest.mark.parametrize("text", TEMPLATES)
def test_template_fields_are_the_packages(text: str) -> None:
    from phoenix.evals.llm.prompts import PromptTemplate, detect_template_format

    from phx_tasklint.core.evals_templates import template_fields, template_format

    assert template_format(text) == detect_template_format(text).value
    fields = template_fields(text)
    assert fields is not None
    # (the package lists them from a set: the order is its own)
    assert sorted(f.name for f in fields) == sorted(PromptTemplate(template=text).variables)
    assert all(f.required and f.annotation is None for f in fields)


@pytest.mark.parametrize(
    "text", ["{{> partial}}", "{{=<% %>=}}", "{{#a}}x", "{a} {", "{{#a}}{{/b}}"]
)
def test_templates_beyond_the_reader_are_unknown(text: str) -> None:
    from phx_tasklint.core.evals_templates import template_fields

    assert template_fields(text) is None


def test_a_dotted_fstring_field_is_looked_up_as_a_path() -> None:
    """`{input.question}` is a field named `input.question`, which phoenix.evals finds."""
    from phoenix.evals import ClassificationEvaluator

    from phx_tasklint.core.evals_templates import template_fields

    text = "Q: {input.question} A: {output}"
    evaluator = ClassificationEvaluator(name="c", llm=None, prompt_template=text, choices=["a"])
    error = phoenix_runner_error(
        evaluator, "evaluator", example=EXAMPLE, output=OUTPUT, trace_id=TRACE_ID, sync_client=True
    )
    assert error is not None and "Path not found" not in error  # it got as far as the LLM
    fields = template_fields(text)
    assert fields is not None
    assert evals_judge.check_evals(EvalsSignature(fields, source="template")) == []
    assert binder.check_callable(evaluator, "evaluator") == []
