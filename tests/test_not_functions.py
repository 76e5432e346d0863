"""Hand-offs that are not plain functions, in the linter: what each resolves to, what is counted
as resolved or skipped, and the names Phoenix records (fixtures/not_functions.py holds the
three-front-end cases); and the class attributes every front end reads the same way."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from phx_tasklint.core.attributes import instance_attributes
from phx_tasklint.lint import Report, lint, sources

HEADER = """\
import functools
from phoenix.client.experiments import create_evaluator, run_experiment
"""


class _Config:
    phoenix_version = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


def check(tmp_path: Path, body: str) -> Report:
    path = tmp_path / "handoffs.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return lint([sources.load(path, "handoffs.py")], _Config())


def codes_by_line(report: Report) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for f in report.findings:
        out.setdefault(f.location.line - HEADER.count("\n"), []).append(f.diagnostic.code)
    return {line: sorted(found) for line, found in out.items()}


def test_a_none_among_the_evaluators_is_reported_and_evaluators_none_is_not(
    tmp_path: Path,
) -> None:
    report = check(
        tmp_path,
        """\
        def task(input):
            return input
        nothing = None
        run_experiment(dataset=1, task=task, evaluators=None)
        run_experiment(dataset=1, task=task, evaluators=nothing)
        run_experiment(dataset=1, task=task, evaluators=[nothing])
        run_experiment(dataset=1, task=task, evaluators={"off": None})
        run_experiment(dataset=1, task=f"{task}")
        """,
    )
    assert codes_by_line(report) == {6: ["PHX007"], 7: ["PHX007"], 8: ["PHX007"]}
    assert "`None`" in report.findings[0].diagnostic.message


def test_documentation_placeholders_are_skipped_with_their_reason(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """\
        run_experiment(dataset=1, task=..., evaluators=[...])
        """,
    )
    assert report.findings == []
    assert report.skipped == {"placeholder (...)": 2}
    assert report.handoffs == []


def test_phoenix_evals_objects_are_judged_by_how_they_resolve_fields(tmp_path: Path) -> None:
    """Not by experiment rules (`faithfulness(answer, context)` is no PHX002): by their fields,
    which the keywords and the mapping fill. The metrics are read from the generated table
    (core/evals_metrics.py)."""
    report = check(
        tmp_path,
        """\
        import phoenix.evals as evals
        from phoenix.evals import ClassificationEvaluator, bind_evaluator
        from phoenix.evals import create_evaluator as evals_evaluator
        from phoenix.evals.metrics import exact_match

        @evals_evaluator(name="faithfulness")
        def faithfulness(answer, context):
            return 1.0

        judge = ClassificationEvaluator(name="tone", llm=None, prompt_template="{output}")
        run_experiment(
            dataset=1,
            task=lambda input: input,
            evaluators=[
                judge,
                bind_evaluator(evaluator=exact_match, input_mapping={}),
                exact_match,
                evals.metrics.exact_match,
                faithfulness,
            ],
        )
        """,
    )
    # `exact_match(output: str, expected: str)` is handed the expected-output dict
    metric = ("PHX506",)
    found = sorted((f.location.line, f.diagnostic.code) for f in report.findings)
    # and the three record their scores under one name, `exact_match`: Phoenix keeps one
    twice = [(line, "PHX404") for line in (19, 20)]
    metric_lines = [(line, c) for line in (18, 19, 20) for c in metric]
    assert found == sorted([(9, "PHX501"), *metric_lines, *twice])
    assert not report.skipped
    evaluators = [h for h in report.handoffs if h.role == "evaluator"]
    assert [h.codes for h in evaluators] == [(), metric, metric, metric, ("PHX501",)]


def test_create_evaluator_names_decide_duplicates(tmp_path: Path) -> None:
    """Phoenix records the `name=` given to `create_evaluator`: a constant is that name, a
    computed one is unknown, and a dict key does not rename an Evaluator object."""
    report = check(
        tmp_path,
        """\
        def named(name):
            @create_evaluator(name=name)
            def evaluator(output):
                return 1.0
            return evaluator
        def fixed():
            @create_evaluator(name="match")
            def evaluator(output):
                return 1.0
            return evaluator
        def unnamed():
            @create_evaluator()
            def evaluator(output):
                return 1.0
            return evaluator
        run_experiment(dataset=1, task=lambda input: 1, evaluators=[named("a"), named("b")])
        run_experiment(dataset=1, task=lambda input: 1, evaluators=[fixed(), fixed()])
        run_experiment(dataset=1, task=lambda input: 1, evaluators={"a": fixed(), "b": fixed()})
        run_experiment(dataset=1, task=lambda input: 1, evaluators=[unnamed(), fixed()])
        run_experiment(dataset=1, task=lambda input: 1, evaluators=[unnamed(), unnamed()])
        """,
    )
    assert codes_by_line(report) == {17: ["PHX404"], 18: ["PHX404"], 20: ["PHX404"]}
    messages = [f.diagnostic.message for f in report.findings]
    assert "named `match`" in messages[0] and "named `evaluator`" in messages[2]


def test_a_class_decorator_is_followed_to_what_phoenix_sees(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """\
        class Traced:
            def __init__(self, fn):
                self.fn = fn
            def __call__(self, *args, **kwargs):
                return self.fn(*args, **kwargs)
        class Kept:
            def __init__(self, fn):
                functools.wraps(fn)(self)
        class Retry:
            def __init__(self, times):
                self.times = times
            def __call__(self, fn):
                def wrapper(*args, **kwargs):
                    return fn(*args, **kwargs)
                return wrapper
        @Traced
        def traced(input):
            return input
        @Kept
        def kept(input):
            return input
        @Retry(3)
        def retried(input):
            return input
        run_experiment(dataset=1, task=traced)
        run_experiment(dataset=1, task=kept)
        run_experiment(dataset=1, task=retried)
        """,
    )
    assert codes_by_line(report) == {17: ["PHX005", "PHX102"], 23: ["PHX005", "PHX102"]}


def test_a_class_takes_the_init_it_inherits_from_a_visible_base(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """\
        class Base:
            def __init__(self, output, question):
                self.output = output
        class Child(Base):
            pass
        class Made:
            def __new__(cls, output):
                return 1.0
        run_experiment(dataset=1, task=lambda input: 1, evaluators=[Child, Made])
        """,
    )
    # the instances inherit `output` alone from the visible base: no score (PHX202 where the
    # class is handed over)
    assert codes_by_line(report) == {2: ["PHX002"], 9: ["PHX202"]}
    assert report.skipped == {"class with __new__ or a metaclass": 1}


def _class(source: str) -> ast.ClassDef:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.ClassDef)
    return node


@pytest.mark.parametrize(
    ("source", "attributes"),
    [
        ("class A:\n    x = 1\n    y: int\n", ("x",)),
        (
            "class A:\n    def __init__(self, v):\n        self.v = v\n        self.setup()\n"
            "    def setup(self):\n        self.score = type(self).__name__\n",
            ("__init__", "score", "setup", "v"),
        ),
        ("class A:\n    def __enter__(self):\n        return self\n", ("__enter__",)),
        ("class A:\n    def __init__(self):\n        helper(self)\n", None),
        ("class A:\n    def __init__(self, **kw):\n        self.__dict__.update(kw)\n", None),
        ("class A:\n    def __init__(self):\n        setattr(self, 'score', 1)\n", None),
        ("class A:\n    def __getattr__(self, name):\n        return 1\n", None),
        ("class A:\n    __slots__ = ('score',)\n", None),
        ("@decorate\nclass A:\n    pass\n", None),
        ("class A(metaclass=Meta):\n    pass\n", None),
        ("class A:\n    m = lambda self: keep(self)\n", None),
    ],
    ids=[
        "body",
        "self-stores",
        "returns-self",
        "hands-self-on",
        "dict",
        "setattr",
        "getattr",
        "slots",
        "decorated",
        "metaclass",
        "lambda-hands-self-on",
    ],
)
def test_instance_attributes(source: str, attributes: tuple[str, ...] | None) -> None:
    assert instance_attributes(_class(source)) == attributes


def test_a_property_handed_over_is_what_it_holds_not_its_getter(tmp_path: Path) -> None:
    """`Grader().score` is the getter's value (here a lambda): judging the getter `score(self)`
    as the evaluator would report PHX001 on code Phoenix runs fine."""
    report = check(
        tmp_path,
        """\
        import functools
        class Grader:
            @property
            def score(self):
                return lambda output: 1.0
            @functools.cached_property
            def label(self):
                return lambda output: "ok"
            @label.setter
            def named(self, value):
                pass
            def plain(self):
                return 1.0
        g = Grader()
        run_experiment(dataset=1, task=lambda input: 1, evaluators=[g.score, g.label, g.named])
        run_experiment(dataset=1, task=lambda input: 1, evaluators=[Grader().plain])
        """,
    )
    # the plain method, bound, takes no parameters: still judged
    assert codes_by_line(report) == {12: ["PHX001"]}
    assert report.skipped == {"property: what it holds is not read": 3}
