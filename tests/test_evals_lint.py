"""The linter on phoenix.evals evaluators: what it reads of them (templates, mappings, metrics),
what it cannot read (never reported, skipped with a reason), and a differential test against
the real packages: generated evaluator modules, linted as text and run through the client's own
evaluator runner with the seven keywords. The linter reports an error exactly when Phoenix
fails, and says what the runtime binder says of the object the same text makes."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phx_tasklint.core import judge, spec
from phx_tasklint.core.model import CallSite, Kind
from phx_tasklint.lint import Report, lint, sources
from phx_tasklint.lint.modules import Module
from phx_tasklint.runtime import binder
from tests.oracle import EXAMPLE, TRACE_ID, phoenix_runner_error

pytest.importorskip("phoenix.evals")
pytest_plugins = ["pytester"]

HEADER = (
    "from typing import Any, Mapping\n"
    "from phoenix.client import AsyncClient, Client\n"
    "from phoenix.evals import ClassificationEvaluator, LLMEvaluator, bind_evaluator, "
    "create_classifier, create_evaluator\n"
    "from phoenix.evals import metrics\n\n"
    "ds: Any = None\nllm: Any = None\n\n\ndef task(input):\n    return input\n\n\n"
)


class _Config:
    phoenix_version = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


def run_lint(body: str, evaluator: str = "ev", sync: bool = True) -> Report:
    call = f"experiments.run_experiment(dataset=ds, task=task, evaluators=[{evaluator}])"
    main = (
        f"def main():\n    Client().{call}\n"
        if sync
        else f"async def main():\n    await AsyncClient().{call}\n"
    )
    text = HEADER + body + "\n\n" + main
    return lint([sources.from_bytes(text.encode(), "generated.py")], _Config())


def codes(report: Report) -> set[str]:
    return {f.diagnostic.code for f in report.findings}


# --------------------------------------------------------------------------------------------
# What is read, and what is not


_SUBCLASS = (
    "from phoenix.evals import Evaluator\n\n"
    "class Base(Evaluator):\n"
    "    def __init__(self{params}):\n"
    "        super().__init__(name='length', kind='code'{schema})\n\n"
    "    def _evaluate(self, eval_input):\n"
    "        return []\n\n"
    "class Length(Base):\n"
    "    pass\n\n"
)


@pytest.mark.parametrize(
    ("params", "schema", "evaluator", "expected"),
    [
        ("", "", "Length()", {"PHX509"}),
        # a schema stated anywhere, or kwargs passed on that may hold one: fields unknown
        ("", ", input_schema=Model", "Length()", set()),
        (", **kw", ", **kw", "Length()", set()),
        # a mapping tells the fields: its keys, resolved as paths
        ("", "", "bind_evaluator(evaluator=Length(), input_mapping={'output': 'output'})", set()),
        (
            "",
            "",
            "bind_evaluator(evaluator=Length(), input_mapping={'output': 'outputs.text'})",
            {"PHX504"},
        ),
    ],
)
def test_a_users_evaluator_subclass_is_judged_by_its_schema_and_mapping(
    params: str, schema: str, evaluator: str, expected: set[str]
) -> None:
    body = "Model: Any = None\n" + _SUBCLASS.format(params=params, schema=schema)
    report = run_lint(body, evaluator)
    assert codes(report) == expected
    phx509 = [f for f in report.findings if f.diagnostic.code == "PHX509"]
    # placed where the instance is made, named by what its __init__ passes on
    assert all("`length`" in f.diagnostic.message for f in phx509)


def test_a_subclass_of_an_llm_evaluator_is_not_judged_by_schema() -> None:
    body = (
        "class Judge(LLMEvaluator):\n"
        "    def __init__(self):\n"
        "        super().__init__(name='j', llm=llm, prompt_template='{output}')\n\n"
    )
    assert codes(run_lint(body, "Judge()")) == set()


def test_a_template_held_in_a_name_and_a_message_list() -> None:
    body = (
        "T = 'Is {output} right for {query}?'\n"
        "ev = ClassificationEvaluator(name='c', llm=llm, prompt_template=T, choices=['y'])\n"
        "msgs = LLMEvaluator(name='m', llm=llm, prompt_template=[\n"
        "    {'role': 'user', 'content': 'Q: {{input}} {{context}}'}])\n"
    )
    report = run_lint(body)
    assert [(f.location.line, f.diagnostic.code) for f in report.findings] == [
        (HEADER.count("\n") + 1, "PHX501")
    ]
    assert "`query`" in report.findings[0].diagnostic.message
    assert codes(run_lint(body, "msgs")) == {"PHX501"}


def test_a_mapping_held_in_a_name_and_spread() -> None:
    body = (
        "@create_evaluator(name='g')\ndef g(question, answer):\n    return 1.0\n\n"
        "M = {'question': 'input.question', 'answer': 'output'}\n"
        "ev = bind_evaluator(evaluator=g, input_mapping=M)\n"
        "spread = bind_evaluator(evaluator=g, input_mapping={**M})\n"
        "half = bind_evaluator(evaluator=g, input_mapping={'question': 'input.question'})\n"
    )
    assert codes(run_lint(body)) == set()
    assert codes(run_lint(body, "spread")) == set()  # the spread may hold `answer`
    assert codes(run_lint(body, "half")) == {"PHX501"}


def test_what_cannot_be_read_is_skipped_with_a_reason() -> None:
    body = (
        "def make() -> Any:\n    return {}\n\n"
        "@create_evaluator(name='g')\ndef g(question):\n    return 1.0\n\n"
        "ev = bind_evaluator(evaluator=g, input_mapping=make())\n"
        "ctor = ClassificationEvaluator(name='c', llm=llm, prompt_template=f'{g}', choices=['y'])\n"
        "schema = LLMEvaluator(name='s', llm=llm, prompt_template='{q}', input_schema=Any)\n"
    )
    for name in ("ev", "ctor", "schema"):
        assert codes(run_lint(body, name)) == set(), name
    report = run_lint("class Mine:\n    pass\n\nev = metrics.NoSuchMetric(llm=llm)\n")
    assert codes(report) == set()
    assert report.skipped, "a skip must say why"


def test_a_mapping_bound_in_place_is_not_followed() -> None:
    """`ev.bind({...})` changes the object's mapping where it stands: the linter does not follow
    which mapping is in force at the hand-off, so it reports no unmapped field."""
    body = (
        "@create_evaluator(name='g')\ndef ev(question):\n    return 1.0\n\n"
        "ev.bind({'question': 'input.question'})\n"
    )
    assert codes(run_lint(body)) == set()
    assert codes(run_lint(body.replace("ev.bind", "other.bind"))) == {"PHX501"}


def test_an_async_function_is_fine_on_the_async_client_only() -> None:
    body = "@create_evaluator(name='g')\nasync def ev(output):\n    return 1.0\n"
    assert codes(run_lint(body, sync=True)) == {"PHX006"}
    assert codes(run_lint(body, sync=False)) == set()


def test_a_method_or_a_second_decorator_is_not_read() -> None:
    body = (
        "import functools\n\n"
        "@create_evaluator(name='g')\n@functools.lru_cache\ndef ev(question):\n    return 1.0\n"
    )
    report = run_lint(body)
    assert codes(report) == set() and report.skipped


def test_prebuilt_metrics_through_the_generated_table() -> None:
    assert codes(run_lint("", "metrics.exact_match")) == {"PHX506"}
    mapped = (
        "ev = bind_evaluator(evaluator=metrics.exact_match, "
        "input_mapping={'expected': 'expected.answer', 'output': 'output.answer'})\n"
    )
    assert codes(run_lint(mapped)) == set()


# --------------------------------------------------------------------------------------------
# Differential: generated evaluator modules, the linter against the client's runner

KEYWORDS = spec.EVALUATOR_NAMES
OTHERS = ("question", "answer", "x", "context", "kwargs")
KINDS = (
    Kind.POSITIONAL_OR_KEYWORD,
    Kind.POSITIONAL_OR_KEYWORD,
    Kind.KEYWORD_ONLY,
    Kind.POSITIONAL_ONLY,
    Kind.VAR_KEYWORD,
)
ANNOTATIONS = ("", "Any", "dict", "str", "int", "str | None", "Mapping[str, Any]")
PATHS = ("input", "input.question", "$.input.question", "expected.answer", "output", "trace_id")
BAD_PATHS = ("inputs.question", "row.x", "answer")
LAMBDAS = ("lambda input: input", "lambda x: x", "lambda input, row: row", "lambda: 1")


def _params(chosen: list[tuple[str, Kind, bool]]) -> list[tuple[str, Kind, bool]]:
    """A valid parameter list: kinds in order, positional defaults trailing."""
    chosen.sort(key=lambda p: p[1])
    out, seen = [], False
    for name, kind, default in chosen:
        if kind in (Kind.POSITIONAL_ONLY, Kind.POSITIONAL_OR_KEYWORD):
            seen = seen or default
            default = seen
        out.append((name, kind, default and kind is not Kind.VAR_KEYWORD))
    return out


def _render(params: list[tuple[str, Kind, bool]], annotations: dict[str, str]) -> str:
    parts: list[str] = []
    for i, (name, kind, default) in enumerate(params):
        if kind is Kind.KEYWORD_ONLY and not any(k is Kind.KEYWORD_ONLY for _, k, _ in params[:i]):
            parts.append("*")
        star = "**" if kind is Kind.VAR_KEYWORD else ""
        note = f": {annotations[name]}" if name in annotations else ""
        parts.append(f"{star}{name}{note}{' = None' if default else ''}")
        if kind is Kind.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1][1] != kind):
            parts.append("/")
    return ", ".join(parts)


@st.composite
def modules(draw: st.DrawFn) -> tuple[str, bool, Any]:
    names = draw(st.lists(st.sampled_from(KEYWORDS + OTHERS), max_size=3, unique=True))
    chosen = []
    for name in names:
        kind = draw(st.sampled_from(KINDS))
        if kind is Kind.VAR_KEYWORD and any(k is kind for _, k, _ in chosen):
            kind = Kind.POSITIONAL_OR_KEYWORD
        chosen.append((name, kind, draw(st.booleans())))
    params = _params(chosen)
    mapping: dict[str, str] | None = None
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from([p[0] for p in params] + ["stray"]), unique=True))
        mapping = {
            key: draw(st.sampled_from(PATHS + BAD_PATHS).map(repr) | st.sampled_from(LAMBDAS))
            for key in keys[:3]
        }
    # annotations only where the value is known: a whole keyword, unmapped (what a path or a
    # function extracts, and the task's `output`, depend on the values)
    annotations = {
        n: a
        for n, k, _ in params
        if k is not Kind.VAR_KEYWORD
        and n in KEYWORDS
        and n != "output"
        and n not in (mapping or {})
        and (a := draw(st.sampled_from(ANNOTATIONS)))
    }
    prefix = "async " if draw(st.booleans()) else ""
    body = (
        f"@create_evaluator(name='g')\n{prefix}def g({_render(params, annotations)}):\n"
        "    return 1.0\n\n"
    )
    if mapping is not None:
        items = ", ".join(f"{key!r}: {value}" for key, value in mapping.items())
        body += f"ev = bind_evaluator(evaluator=g, input_mapping={{{items}}})\n"
    else:
        body += "ev = g\n"
    return body, draw(st.booleans()), draw(st.sampled_from((None, 1, "four", {"answer": "4"})))


@pytest.mark.slow
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_linter_agrees_with_phoenix_on_generated_evaluators(case: tuple[str, bool, Any]) -> None:
    body, sync, output = case
    namespace: dict[str, Any] = {}
    exec(compile(HEADER + body, "<generated>", "exec"), namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        error = phoenix_runner_error(
            namespace["ev"],
            "evaluator",
            example=EXAMPLE,
            output=output,
            trace_id=TRACE_ID,
            sync_client=sync,
        )
    report = run_lint(body, sync=sync)
    errors = [f.diagnostic for f in report.findings if f.diagnostic.severity == "error"]
    assert (error is not None) == bool(errors), (
        f"{body}on {'Client' if sync else 'AsyncClient'}, output={output!r}\n"
        f"Phoenix: {error}\nlinter: {[(d.code, d.message) for d in errors]}"
    )
    # and the runtime binder, on the object the same text made, says the same
    live = binder.check_callable(namespace["ev"], "evaluator", sync_client=sync)
    said = sorted((f.diagnostic.code, f.diagnostic.message) for f in report.findings)
    assert said == sorted((d.code, d.message) for d in live), body


def test_the_generated_parameter_lists_compile() -> None:
    params = _params([("output", Kind.POSITIONAL_ONLY, False), ("x", Kind.KEYWORD_ONLY, True)])
    assert _render(params, {"x": "int"}) == "output, /, *, x: int = None"


def test_advice_fits_what_the_user_can_change() -> None:
    """A prebuilt metric's schema is not the user's to annotate; a phoenix.evals object's name
    is its own, so a dict key does not rename it."""
    report = run_lint("", "metrics.exact_match, metrics.exact_match")
    messages = {f.diagnostic.code: f.diagnostic.message for f in report.findings}
    assert "map a path into it" in messages["PHX506"]
    assert "annotate" not in messages["PHX506"]
    assert "a dict key does not rename them" in messages["PHX404"]
    own = "@create_evaluator(name='g')\ndef ev(output, expected: str):\n    return 1.0\n"
    (finding,) = run_lint(own).findings
    assert "annotate it as `dict[str, Any]`" in finding.diagnostic.message
    # functions the client names by their own name: a dict key renames them
    (plain,) = judge.check_call(CallSite("run_experiment", evaluator_names=("f", "f")))
    assert "a dict `{name: evaluator}` does it" in plain.message


def test_the_pytest_marker_hands_the_tests_arguments_by_name() -> None:
    """Hoisted on `@pytest.mark.phoenix`, a phoenix.evals object receives the test's
    parametrized arguments beside `input`, `output` and `trace_id` (the client's own pytest
    adapter, run below): a field named after one of them is found, so none is reported as
    unresolved; what fails whatever the test passes still is."""
    from phoenix.client.pytest.context import _as_evaluator, _invoke_evaluator
    from phoenix.evals import create_evaluator as evals_evaluator

    @evals_evaluator(name="faithful")
    def faithful(input: Any, output: Any, context: Any) -> float:
        return 1.0

    wrapped = _as_evaluator(faithful)
    given = {"input": {"context": "c"}, "output": "x", "context": "c", "trace_id": TRACE_ID}
    assert _invoke_evaluator(wrapped, given)["score"] == 1.0
    body = (
        "import pytest\n\n"
        "@create_evaluator(name='faithful')\ndef faithful(input, output, context):\n"
        "    return 1.0\n\n"
        "@create_evaluator(name='pos')\ndef pos(output, /):\n    return 1.0\n\n"
        "@pytest.mark.phoenix(dataset='d', evaluators=[faithful, pos])\n"
        "@pytest.mark.parametrize('input,context', [('q', 'c')])\n"
        "def test_rag(input, context):\n    pass\n"
    )
    report = lint([sources.from_bytes((HEADER + body).encode(), "test_gen.py")], _Config())
    assert codes(report) == {"PHX503"}


@pytest.mark.parametrize(
    "bind",
    [
        "metrics.exact_match.bind({'expected': 'expected.answer'})",
        "from phoenix.evals.metrics import exact_match as em\n"
        "em.bind({'expected': 'expected.answer'})",
    ],
)
def test_a_prebuilt_metric_bound_in_place_has_an_unknown_mapping(bind: str) -> None:
    """Phoenix's docs reuse a metric with `.bind(...)`: the mapping in force where it is handed
    over is not followed, so nothing about its fields is reported (the oracle: it works)."""
    from phoenix.evals.metrics import exact_match

    try:
        exact_match.bind({"expected": "expected.answer"})
        error = phoenix_runner_error(
            exact_match,
            "evaluator",
            example=EXAMPLE,
            output="4",
            trace_id=TRACE_ID,
            sync_client=True,
        )
        assert error is None, error
    finally:
        exact_match.unbind()
    assert codes(run_lint(bind + "\n", "metrics.exact_match")) == set()
    assert codes(run_lint("", "metrics.exact_match")) == {"PHX506"}


# A user's Evaluator subclass that has its fields some other way than an input schema passed to
# `Evaluator.__init__` (each works in Phoenix: the oracle runs it below).
_OWN_WAY = {
    "bound-in-init": "        self.bind({'output': 'output'})\n",
    "mapping-set": "        self._input_mapping = {'output': 'output'}\n",
    "schema-property": ("    @property\n    def input_schema(self):\n        return In\n"),
    "own-evaluate": (
        "    def evaluate(self, eval_input, input_mapping=None):\n"
        "        return self._evaluate(eval_input)\n"
    ),
    "own-required-fields": (
        "    def _get_required_fields(self, input_mapping):\n        return {'output'}\n"
    ),
}


@pytest.mark.parametrize("member", list(_OWN_WAY), ids=list(_OWN_WAY))
def test_an_evaluator_subclass_with_fields_its_own_way_is_no_phx509(member: str) -> None:
    from phx_tasklint.runtime.binder import check_callable

    extra = _OWN_WAY[member]
    in_init = extra.startswith("        ")
    body = (
        "from pydantic import BaseModel\nfrom phoenix.evals import Evaluator, Score\n\n"
        "class In(BaseModel):\n    output: str\n\n"
        "class L(Evaluator):\n"
        "    def __init__(self):\n"
        "        super().__init__(name='l', kind='code')\n"
        + (extra if in_init else "")
        + "\n    def _evaluate(self, eval_input):\n"
        "        return [Score(name='l', score=1.0)]\n"
        + ("" if in_init else "\n" + extra)
        + "\nev = L()\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(HEADER + body, "<generated>", "exec"), namespace)
    error = phoenix_runner_error(
        namespace["ev"],
        "evaluator",
        example=EXAMPLE,
        output="4",
        trace_id=TRACE_ID,
        sync_client=True,
    )
    assert error is None, error
    assert codes(run_lint(body)) == set()
    assert check_callable(namespace["ev"], "evaluator") == []


def test_a_prebuilt_llm_metric_validates_its_str_fields() -> None:
    """`ConcisenessEvaluator(llm=...)` as Phoenix's quickstart hands it: its schema's `input: str`
    is validated, and a dataset example's input is a dict (the oracle: every evaluation fails)."""
    from phoenix.evals.metrics import ConcisenessEvaluator

    error = phoenix_runner_error(
        ConcisenessEvaluator(llm=object()),
        "evaluator",
        example=EXAMPLE,
        output="4",
        trace_id=TRACE_ID,
        sync_client=True,
    )
    assert error is not None and "Input should be a valid string" in error
    body = (
        "from phoenix.evals.metrics import ConcisenessEvaluator\n\n"
        "ev = ConcisenessEvaluator(llm=llm)\n"
    )
    found = run_lint(body).findings
    assert [(f.diagnostic.code, f.diagnostic.param) for f in found] == [("PHX506", "input")]
    assert "map a path into it" in found[0].diagnostic.message


# --------------------------------------------------------------------------------------------
# The pytest marker: a phoenix.evals evaluator gets the test's parametrized arguments by name,
# `output`, `input` (every parametrized argument, unless one is named so) and `trace_id`. Where
# the linter reads the test's parametrize names it judges the fields against exactly those; the
# pytest guard reads the case's `callspec.params`. Both are compared with the client's own
# plugin functions on each case.


def _pytest_error(evaluator: Any, params: dict[str, Any]) -> str | None:
    """What the client's pytest plugin does with a hoisted evaluator on one test case: the eval
    input as `_eval_input_for` builds it (plus the traced test's `trace_id`), the evaluator
    wrapped and called as the session does; the error, or None."""
    from phoenix.client.pytest.context import _as_evaluator, _invoke_evaluator
    from phoenix.client.pytest.session import _eval_input_for

    item = SimpleNamespace(callspec=SimpleNamespace(params=params))
    eval_input = _eval_input_for(item, "the output")  # type: ignore[arg-type]
    eval_input.setdefault("trace_id", TRACE_ID)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            _invoke_evaluator(_as_evaluator(evaluator), eval_input)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _marked_test(names: Sequence[str], fixtures: Sequence[str] = ()) -> str:
    args = ", ".join([*names, *fixtures])
    cases = f"[({', '.join(repr(n) for n in names)},)]" if names else "[()]"
    parametrize = f"@pytest.mark.parametrize({', '.join(names)!r}, {cases})\n" if names else ""
    return (
        "\n\nimport pytest\n\n"
        "@pytest.mark.phoenix(dataset='d', evaluators=[ev])\n"
        f"{parametrize}def test_case({args}):\n    pass\n"
    )


def _lint_marked(body: str, names: Sequence[str], fixtures: Sequence[str] = ()) -> Report:
    text = HEADER + body + _marked_test(names, fixtures)
    return lint([sources.from_bytes(text.encode(), "test_marked.py")], _Config())


def _agree(body: str, names: Sequence[str], fixtures: Sequence[str] = ()) -> list[str]:
    """The linter's and the guard's error codes on `ev` under the marker, after checking that
    each reports an error exactly when the client's plugin fails the case."""
    from phx_tasklint.runtime.guarding import marker_findings

    namespace: dict[str, Any] = {}
    exec(compile(HEADER + body, "<generated>", "exec"), namespace)
    params = {name: name for name in [*names, *fixtures]}  # a fixture's `params=` counts too
    error = _pytest_error(namespace["ev"], params)
    linted = [
        f.diagnostic
        for f in _lint_marked(body, names, fixtures).findings
        if f.diagnostic.severity == "error"
    ]
    guarded = [
        f.diagnostic
        for f in marker_findings([namespace["ev"]], params)
        if f.diagnostic.severity == "error"
    ]
    shown = f"{body}parametrized {names}, fixtures {fixtures}\nPhoenix: {error}\n"
    assert (error is not None) == bool(linted), f"{shown}linter: {[d.message for d in linted]}"
    assert (error is not None) == bool(guarded), f"{shown}guard: {[d.message for d in guarded]}"
    return sorted({d.code for d in linted})


_EV = "@create_evaluator(name='g')\ndef g({params}):\n    return 1.0\n\n"


@pytest.mark.parametrize(
    ("params", "mapping", "names", "fixtures", "expected"),
    [
        # a field named after a parametrized argument is handed over; a typo is not
        ("output, question", None, ["question"], [], []),
        ("output, qestion", None, ["question"], [], ["PHX501"]),
        # `expected` arrives only when the test is parametrized with it
        ("output, expected", None, ["question"], [], ["PHX501"]),
        ("output, expected", None, ["question", "expected"], [], []),
        ("output, reference, metadata", None, [], [], ["PHX501"]),
        # `input` holds every parametrized argument, unless one is named `input`
        ("input, output, trace_id", None, [], [], []),
        ("q", {"q": "'input.question'"}, ["question"], [], []),
        ("q", {"q": "'input'"}, ["input"], [], []),
        ("q", {"q": "'question'"}, ["question"], [], []),
        ("q", {"q": "'expected.answer'"}, ["question"], [], ["PHX504"]),
        ("q = None", {"q": "'expected.answer'"}, ["question"], [], []),
        ("q", {"q": "lambda question: question"}, ["question"], [], []),
        ("q", {"q": "lambda output, expected: expected"}, ["question"], [], ["PHX505"]),
        ("q", {"q": "lambda output, question: question"}, ["question"], [], []),
        # a test's parametrized fixture is handed over by its name too
        ("output, context", None, ["question"], ["context"], []),
        # the values are the test's: an annotation is not judged (a str `expected` runs here)
        ("output, expected: str", None, ["expected"], [], []),
        ("output, /", None, ["question"], [], ["PHX503"]),
    ],
)
def test_the_pytest_marker_judges_fields_against_the_tests_arguments(
    params: str,
    mapping: dict[str, str] | None,
    names: list[str],
    fixtures: list[str],
    expected: list[str],
) -> None:
    body = _EV.format(params=params)
    if mapping is None:
        body += "ev = g\n"
    else:
        items = ", ".join(f"{k!r}: {v}" for k, v in mapping.items())
        body += f"ev = bind_evaluator(evaluator=g, input_mapping={{{items}}})\n"
    assert _agree(body, names, fixtures) == expected


def test_the_pytest_marker_messages_speak_of_the_tests_keywords() -> None:
    typo = _lint_marked(_EV.format(params="output, qestion") + "ev = g\n", ["question"])
    (finding,) = typo.findings
    assert "is no keyword the test passes" in finding.diagnostic.message
    assert "rename `qestion` to `question`" in finding.diagnostic.message
    unmapped = _lint_marked(_EV.format(params="output, expected") + "ev = g\n", ["question"])
    (finding,) = unmapped.findings
    message = finding.diagnostic.message
    assert "after each test has run" in message
    assert "parametrize the test with `expected`" in message
    assert "(`question`, `output`, `input` and `trace_id`)" in message
    root = _lint_marked(
        _EV.format(params="q") + "ev = bind_evaluator(evaluator=g, input_mapping={'q': 'row.q'})\n",
        ["question"],
    )
    (finding,) = root.findings
    assert "starts at `row`, which is no keyword the test passes" in finding.diagnostic.message
    assert "parametrized arguments are under `input`" in finding.diagnostic.message
    function = _lint_marked(
        _EV.format(params="q")
        + "ev = bind_evaluator(evaluator=g, input_mapping={'q': lambda output, gold: gold})\n",
        ["question"],
    )
    (finding,) = function.findings
    assert "`gold`, named after no keyword the test passes" in finding.diagnostic.message


@pytest.mark.parametrize(
    "test",
    [
        # on a class: its tests' arguments are not read
        "@pytest.mark.phoenix(dataset='d', evaluators=[ev])\nclass TestSuite:\n"
        "    @pytest.mark.parametrize('question', ['q'])\n"
        "    def test_a(self, question):\n        pass\n",
        # argument names that are no literal
        "NAMES = 'question'\n\n@pytest.mark.phoenix(dataset='d', evaluators=[ev])\n"
        "@pytest.mark.parametrize(NAMES, ['q'])\ndef test_a(question):\n    pass\n",
        # a mark kept in a name may parametrize the test
        "cases = pytest.mark.parametrize('answer', ['a'])\n\n"
        "@pytest.mark.phoenix(dataset='d', evaluators=[ev])\n@cases\ndef test_a():\n    pass\n",
    ],
    ids=["class", "names-in-a-variable", "mark-in-a-name"],
)
def test_the_pytest_marker_with_unknown_arguments_judges_no_field(test: str) -> None:
    body = _EV.format(params="output, answer") + "ev = g\n\n\nimport pytest\n\n" + test
    report = lint([sources.from_bytes((HEADER + body).encode(), "test_marked.py")], _Config())
    assert codes(report) == set()
    # the same evaluator where the arguments are read: `answer` is found by nothing
    assert codes(_lint_marked(_EV.format(params="output, answer") + "ev = g\n", [])) == {"PHX501"}


def test_the_marker_keywords_read_from_parametrize_and_usefixtures() -> None:
    from phx_tasklint.lint.runners import marker_keywords

    text = (
        "import pytest\nfrom pytest import mark\n\n"
        "@pytest.mark.phoenix(evaluators=[])\n"
        "@mark.parametrize('a, b', [(1, 2)])\n"
        "@pytest.mark.parametrize(argnames=['c'], argvalues=[3])\n"
        "@pytest.mark.parametrize(('d',), [(4,)])\n"
        "@pytest.mark.usefixtures('db')\n"
        "@pytest.mark.asyncio\n"
        "def test_x(a, b, c, d, tmp_path):\n    pass\n"
    )
    module = Module.parse(sources.from_bytes(text.encode(), "test_x.py"), "test_x")
    assert module is not None
    marker = next(c for c in module.calls if ast.unparse(c.func) == "pytest.mark.phoenix")
    assert marker_keywords(module, marker) == (
        "a",
        "b",
        "c",
        "d",
        "tmp_path",
        "db",
        "output",
        "input",
        "trace_id",
    )


# whole keywords only: a path into a value is found or not by the test's values, which no front
# end judges (the hand-picked cases above take `input.question`)
TEST_ARGUMENTS = ("question", "answer", "expected", "input", "metadata", "context")
FLAT_PATHS = ("input", "output", "trace_id", "question", "expected", "inputs", "row")


@st.composite
def marked_modules(draw: st.DrawFn) -> tuple[str, list[str]]:
    names = draw(st.lists(st.sampled_from(KEYWORDS + OTHERS), max_size=3, unique=True))
    chosen = []
    for name in names:
        kind = draw(st.sampled_from(KINDS))
        if kind is Kind.VAR_KEYWORD and any(k is kind for _, k, _ in chosen):
            kind = Kind.POSITIONAL_OR_KEYWORD
        chosen.append((name, kind, draw(st.booleans())))
    params = _params(chosen)
    prefix = "async " if draw(st.booleans()) else ""
    body = f"@create_evaluator(name='g')\n{prefix}def g({_render(params, {})}):\n    return 1.0\n\n"
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from([p[0] for p in params] + ["stray"]), unique=True))
        values = st.sampled_from(FLAT_PATHS).map(repr) | st.sampled_from(LAMBDAS)
        items = ", ".join(f"{key!r}: {draw(values)}" for key in keys[:3])
        body += f"ev = bind_evaluator(evaluator=g, input_mapping={{{items}}})\n"
    else:
        body += "ev = g\n"
    return body, draw(st.lists(st.sampled_from(TEST_ARGUMENTS), max_size=3, unique=True))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(marked_modules())
def test_linter_and_guard_agree_with_the_pytest_plugin_on_generated_cases(
    case: tuple[str, list[str]],
) -> None:
    body, names = case
    _agree(body, names)


def test_the_pytest_guard_judges_each_case_by_its_arguments(pytester: pytest.Pytester) -> None:
    """The guard reads each case's `callspec.params`, fixtures' `params=` included: a field
    named after one is found, `expected` of a test not parametrized with it is not."""
    pytester.makepyfile(
        test_marked=(
            "import pytest\nfrom phoenix.evals import create_evaluator\n\n"
            "@create_evaluator(name='grounded')\ndef grounded(output, context):\n"
            "    return 1.0\n\n"
            "@create_evaluator(name='exact')\ndef exact(output, expected):\n    return 1.0\n\n"
            "@pytest.fixture(params=['c'])\ndef context(request):\n    return request.param\n\n"
            "@pytest.mark.phoenix(dataset='d', evaluators=[grounded])\n"
            "@pytest.mark.parametrize('question', ['q'])\n"
            "def test_found(question, context):\n    pass\n\n"
            "@pytest.mark.phoenix(dataset='d', evaluators=[exact])\n"
            "@pytest.mark.parametrize('question', ['q'])\n"
            "def test_missing(question):\n    pass\n"
        )
    )
    result = pytester.runpytest_inprocess(
        "--collect-only", "-q", "-p", "phx_tasklint.pytest_plugin"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert "test_marked.py::test_missing[q]: exact: PHX501" in out
    assert "test_found" not in out.split("ERROR collecting")[1]


def test_an_f_string_template_without_placeholders_is_read_as_its_text() -> None:
    """`f"Q: {{question}}"` is the text `Q: {question}` (mypy and the binder read it so); an
    f-string with a placeholder is text the linter cannot know."""
    made = "ClassificationEvaluator(name='f', llm=llm, prompt_template={}, choices=['y'])"
    plain = run_lint("ev = " + made.format('f"Q: {{question}}"'))
    assert codes(plain) == {"PHX501"}
    assert "`question`" in plain.findings[0].diagnostic.message
    assert codes(run_lint("x = 'a'\nev = " + made.format('f"Q: {x}"'))) == set()
