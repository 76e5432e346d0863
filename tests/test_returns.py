"""Return types read from a def's `return` statements when it has no return annotation (the
linter's `lint/returns.py` and `lint/exprtypes.py`), the judge's rule for several ways out of a
def, and the attributes of plain classes along their bases.

Every evaluator the linter reports here is also run and its result handed to Phoenix's own
scorer, which must fail; every one it leaves alone whose result it could read must pass."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from phoenix.client.resources.experiments.evaluators import _default_eval_scorer

from phx_tasklint.core import judge
from phx_tasklint.core.model import Param, ReturnSource, Signature, TypeExpr
from phx_tasklint.lint import Report, lint, sources

HEADER = """\
import datetime
import functools
import sys
from dataclasses import dataclass
from phoenix.client.experiments import create_evaluator, run_experiment
"""


class _Config:
    phoenix_version = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


def check(tmp_path: Path, body: str, role: str = "evaluator", name: str = "f") -> Report:
    handed = f"task={name}" if role == "task" else f"task=lambda input: input, evaluators=[{name}]"
    text = HEADER + textwrap.dedent(body) + f"\nrun_experiment(dataset=1, {handed})\n"
    path = tmp_path / "returns.py"
    path.write_text(text)
    return lint([sources.load(path, "returns.py")], _Config())


def codes(report: Report) -> list[str]:
    return sorted(f.diagnostic.code for f in report.findings)


# (id, body defining `f(output)`, codes the linter reports)
EVALUATORS = [
    ("swapped-tuple", "def f(output):\n    return 'good', 0.9\n", ["PHX203"]),
    ("ordered-tuple", "def f(output):\n    return 0.9, 'good'\n", []),
    ("one-tuple", "def f(output):\n    return (float(len(output)),)\n", ["PHX203"]),
    (
        "locals-in-the-wrong-order",
        """\
        def f(output):
            if output:
                label, score = "yes", 1.0
            label = "yes" if output else "no"
            score = 1.0 if output else 0.0
            return label, score
        """,
        ["PHX203"],
    ),
    ("forgot-return", "def f(output):\n    score = float(bool(output))\n", ["PHX202"]),
    (
        "bare-return",
        "def f(output):\n    if output:\n        return\n    return None\n",
        ["PHX202"],
    ),
    ("list-of-floats", "def f(output):\n    return [1.0, 0.5]\n", ["PHX202"]),
    ("list-of-mixed", "def f(output):\n    return [1.0, 'a']\n", ["PHX202"]),
    ("list-of-dicts", "def f(output):\n    return [{'score': 1.0}, {'label': 'x'}]\n", []),
    ("set", "def f(output):\n    return {1.0}\n", ["PHX202"]),
    ("bool", "def f(output):\n    return not output\n", []),
    ("comparison", "def f(output):\n    return output == 'x'\n", []),
    ("f-string", "def f(output):\n    return f'{output}'\n", []),
    ("str-method", "def f(output):\n    return ' '.join(output).strip()\n", []),
    ("arithmetic", "def f(output):\n    return len(output) / 2\n", []),
    ("dict", "def f(output):\n    return {'score': 1.0, 'label': 'ok'}\n", []),
    ("empty-tuple", "def f(output):\n    return ()\n", []),
    (
        "every-way-out-swapped",
        "def f(output):\n    if output:\n        return 'a', 1.0\n    return 'b', 0.0, 'why'\n",
        ["PHX203"],
    ),
    (
        "ways-out-disagree",
        "def f(output):\n    if output:\n        return 1.0\n    return 'b', 0.0\n",
        [],
    ),
    (
        "dataclass",
        "@dataclass\nclass R:\n    score: float\ndef f(output):\n    return R(1.0)\n",
        ["PHX202"],
    ),
    (
        "helper-annotated",
        "def g(x) -> tuple[str, float]:\n    return 'a', 1.0\n"
        "def f(output):\n    return g(output)\n",
        ["PHX203"],
    ),
    ("numeric-string", "def f(output):\n    return '0.5', 'label'\n", []),
    ("unknown-call", "def f(output):\n    return output.score()\n", []),
    ("parameter", "def f(output):\n    return output\n", []),
]
# Bodies the linter must leave alone: their end cannot be reached, or they stand for no body.
NEVER_ENDS = [
    ("raises", "def f(output):\n    raise ValueError(output)\n"),
    ("stub-ellipsis", "def f(output):\n    ...\n"),
    ("stub-docstring", "def f(output):\n    '''Scores.'''\n"),
    ("stub-pass", "def f(output):\n    pass\n"),
    ("exits", "def f(output):\n    sys.exit(1)\n"),
    ("assert-false", "def f(output):\n    assert False, 'todo'\n"),
    ("endless", "def f(output):\n    while True:\n        if output:\n            return 1.0\n"),
    (
        "if-else-both-leave",
        "def f(output):\n    if output:\n        return 1.0\n    else:\n        raise ValueError\n",
    ),
    (
        "try-every-way-leaves",
        """\
        def f(output):
            try:
                return float(output)
            except ValueError:
                raise
            finally:
                print("done")
        """,
    ),
    (
        "match-catch-all",
        """\
        def f(output):
            match output:
                case "a":
                    return 1.0
                case _:
                    return 0.0
        """,
    ),
    (
        "for-else-raises",
        "def f(output):\n    for x in output:\n        return 1.0\n"
        "    else:\n        raise ValueError\n",
    ),
    (
        "nested-def-returns",
        "def f(output):\n    def g():\n        return 1.0\n    raise ValueError(g)\n",
    ),
    # a helper of the checked files that never returns stops the path like `raise`
    (
        "helper-always-raises",
        "def fail(why):\n    raise ValueError(why)\n\ndef f(output):\n    fail(output)\n",
    ),
    (
        "helper-of-a-helper",
        "def fail(why):\n    raise ValueError(why)\n\ndef bail(why):\n    fail(why)\n\n"
        "def f(output):\n    bail(output)\n",
    ),
    (
        "helper-annotated-noreturn",
        "from typing import NoReturn\n\ndef fail(why) -> NoReturn:\n    log(why)\n\n"
        "def f(output):\n    fail(output)\n",
    ),
    (
        "awaited-async-helper",
        "async def fail(why):\n    raise ValueError(why)\n\n"
        "async def f(output):\n    await fail(output)\n",
    ),
]
ENDS = [  # reached ends: an evaluator returning nothing there is reported
    ("while-break", "def f(output):\n    while True:\n        break\n"),
    (
        "try-handler-ends",
        "def f(output):\n    try:\n        return 1.0\n    except Exception:\n        print('x')\n",
    ),
    (
        "match-no-catch-all",
        "def f(output):\n    match output:\n        case 'a':\n            print(1)\n",
    ),
    ("with", "def f(output):\n    with open('x') as fh:\n        fh.read()\n"),
    # calls that run nothing of the helper, or through what may catch, are taken to return
    (
        "generator-helper",
        "def fail(why):\n    raise ValueError(why)\n    yield\n\n"
        "def f(output):\n    fail(output)\n",
    ),
    (
        "async-helper-not-awaited",
        "async def fail(why):\n    raise ValueError(why)\n\ndef f(output):\n    fail(output)\n",
    ),
    (
        "decorated-helper",
        "@functools.lru_cache\ndef fail(why):\n    raise ValueError(why)\n\n"
        "def f(output):\n    fail(output)\n",
    ),
    (
        "helper-annotated-none",
        "def fail(why) -> None:\n    raise ValueError(why)\n\ndef f(output):\n    fail(output)\n",
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in EVALUATORS], ids=[c[0] for c in EVALUATORS]
)
def test_evaluator_returns(tmp_path: Path, body: str, expected: list[str]) -> None:
    assert codes(check(tmp_path, body)) == expected


@pytest.mark.parametrize("body", [c[1] for c in NEVER_ENDS], ids=[c[0] for c in NEVER_ENDS])
def test_a_def_whose_end_cannot_be_reached_is_not_reported(tmp_path: Path, body: str) -> None:
    found = codes(check(tmp_path, body))
    # an async evaluator is handed to the sync run_experiment here: that is PHX006's business
    assert found == (["PHX006"] if body.startswith("async") else [])


@pytest.mark.parametrize("body", [c[1] for c in ENDS], ids=[c[0] for c in ENDS])
def test_a_def_whose_end_can_be_reached_returns_none(tmp_path: Path, body: str) -> None:
    # the handler path returns None while the `try` returns a float: only when every way out
    # draws PHX202 is it reported
    found = codes(check(tmp_path, body))
    assert found == ([] if "return 1.0" in body else ["PHX202"])


def _run(body: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(HEADER + textwrap.dedent(body), "returns.py", "exec"), namespace)
    return namespace["f"]("yes")


@pytest.mark.parametrize(
    ("body", "expected"),
    [c[1:] for c in EVALUATORS if c[0] not in ("unknown-call", "parameter", "numeric-string")],
    ids=[c[0] for c in EVALUATORS if c[0] not in ("unknown-call", "parameter", "numeric-string")],
)
def test_phoenix_fails_exactly_on_what_is_reported(body: str, expected: list[str]) -> None:
    """The oracle: Phoenix's default scorer on the value each evaluator returns for "yes"."""
    result = _run(body)
    try:
        _default_eval_scorer(result)
    except (ValueError, TypeError):
        failed = True
    else:
        failed = False
    assert failed == bool(expected), result


TASKS = [
    ("set", "def f(input):\n    return {1, 2}\n", ["PHX201"]),
    ("set-call", "def f(input):\n    return set(input)\n", ["PHX201"]),
    ("set-comprehension", "def f(input):\n    return {x for x in input}\n", ["PHX201"]),
    ("generator-expression", "def f(input):\n    return (x for x in input)\n", ["PHX201"]),
    ("datetime", "def f(input):\n    return datetime.datetime.now()\n", ["PHX201"]),
    ("nested-date", "def f(input):\n    return {'d': datetime.date.today()}\n", ["PHX201"]),
    ("int-keys", "def f(input):\n    return {1: 'a'}\n", ["PHX201"]),
    ("lambda", "def f(input):\n    return lambda: input\n", ["PHX201"]),
    ("dict", "def f(input):\n    return {'a': [1, 2], 'b': None}\n", []),
    ("none", "def f(input):\n    print(input)\n", []),
    ("async-set", "async def f(input):\n    return {1}\n", ["PHX201"]),
    ("paths-disagree", "def f(input):\n    if input:\n        return {1}\n    return [1]\n", []),
    (
        "decorated",
        "def deco(fn):\n    @functools.wraps(fn)\n    def w(*a, **k):\n"
        "        return list(fn(*a, **k))\n    return w\n"
        "@deco\ndef f(input):\n    return {1}\n",
        [],
    ),
    ("cached", "@functools.cache\ndef f(input):\n    return {1}\n", ["PHX201"]),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in TASKS], ids=[c[0] for c in TASKS])
def test_task_returns(tmp_path: Path, body: str, expected: list[str]) -> None:
    found = [c for c in codes(check(tmp_path, body, role="task")) if c != "PHX006"]
    assert found == expected


def test_a_custom_scorer_takes_the_result(tmp_path: Path) -> None:
    body = (
        "@create_evaluator(scorer=lambda r: {'score': sum(r)})\n"
        "def f(output):\n    return [1.0, 0.0]\n"
    )
    assert codes(check(tmp_path, body)) == []
    assert codes(check(tmp_path, body.replace("scorer=lambda r: {'score': sum(r)}", ""))) == [
        "PHX202"
    ]


def test_the_message_names_the_lines_read(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        "def f(output):\n    if output:\n        return 'a', 1.0\n    return 'b', 0.0\n",
    )
    first = HEADER.count("\n") + 3
    (finding,) = report.findings
    assert f"(type inferred from `return` at lines {first} and {first + 1})" in (
        finding.diagnostic.message
    )
    report = check(tmp_path, "def f(output):\n    x = 1\n    print(x)\n")
    (finding,) = report.findings
    assert f"(it returns nothing: falls off the end at line {HEADER.count(chr(10)) + 3})" in (
        finding.diagnostic.message
    )


def test_an_annotated_return_is_judged_as_written(tmp_path: Path) -> None:
    report = check(tmp_path, "def f(output) -> float:\n    return 'a', 1.0\n")
    assert codes(report) == []


def test_notebook_lines_are_the_cells(tmp_path: Path) -> None:
    import json

    cells = [
        HEADER,
        "def f(output):\n    print(output)\n    return ('good', 0.9)\n",
        "run_experiment(dataset=1, task=lambda input: input, evaluators=[f])\n",
    ]
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": c,
                "outputs": [],
                "execution_count": None,
            }
            for c in cells
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "returns.ipynb"
    path.write_text(json.dumps(notebook))
    report = lint([sources.load(path, "returns.ipynb")], _Config())
    (finding,) = report.findings
    assert finding.location.cell == 2
    assert "(type inferred from `return` at line 3)" in finding.diagnostic.message


# -------------------------------------------------------------------------------- the judge

_EVALUATOR = (Param("output"),)


def _inferred(returns: TypeExpr) -> Signature:
    return Signature(_EVALUATOR, returns, returns_inferred=ReturnSource((3, 5)))


def test_the_judge_reports_an_inferred_union_only_when_every_member_draws_the_same() -> None:
    str_float = TypeExpr.named(
        "builtins.tuple", TypeExpr.named("builtins.str"), TypeExpr.named("builtins.float")
    )
    none = TypeExpr.named("builtins.None")
    number = TypeExpr.named("builtins.float")
    both = TypeExpr.union(str_float, none)  # PHX203 and PHX202: which path runs is unknown
    assert judge.check(_inferred(both), "evaluator") == []
    partly = TypeExpr.union(number, none)
    assert judge.check(_inferred(partly), "evaluator") == []
    # nor as an annotation: its floats score, and Phoenix fails only the examples given None
    assert judge.check(Signature(_EVALUATOR, partly), "evaluator") == []
    never = TypeExpr.union(TypeExpr.named("builtins.set", number), none)  # no member scores
    assert [d.code for d in judge.check(Signature(_EVALUATOR, never), "evaluator")] == ["PHX202"]
    swapped = TypeExpr.union(
        str_float, TypeExpr.named("builtins.tuple", *str_float.args, TypeExpr.named("builtins.str"))
    )
    (found,) = judge.check(_inferred(swapped), "evaluator")
    assert found.code == "PHX203" and "lines 3 and 5" in found.message


# ---------------------------------------------------------------------- plain class attributes


def test_plain_class_attributes_are_inherited_from_classes_the_linter_sees(tmp_path: Path) -> None:
    body = """\
    import json
    class Base:
        source = "code"
        def __init__(self):
            self.name = "base"
            self.metadata = {}
            self.direction = "maximize"
    class Full(Base):
        def __init__(self):
            super().__init__()
            self.score, self.label, self.explanation = 1.0, None, None
    class Half(Base):
        def __init__(self):
            super().__init__()
            self.score = 1.0
    class Outside(json.JSONDecoder):
        pass
    def full(output) -> Full:
        return Full()
    def half(output) -> Half:
        return Half()
    def outside(output) -> Outside:
        return Outside()
    run_experiment(dataset=1, task=lambda input: input, evaluators=[full, half, outside])
    """
    report = check(tmp_path, body, name="full")
    by_function = {f.function: f.diagnostic.code for f in report.findings}
    assert by_function == {"half": "PHX202"}
