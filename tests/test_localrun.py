"""`phx-tasklint run`: datasets, the local runner, the summary, results JSONL and exit codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import pathlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from phx_tasklint.cli.commands import main
from phx_tasklint.core import spec
from phx_tasklint.core.model import Diagnostic
from phx_tasklint.runtime import evals_object, localrun, values
from phx_tasklint.runtime.binder import check_callable
from phx_tasklint.runtime.datasets import DatasetError, infer_csv_keys, load_dataset

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"

EXPERIMENT = """\
import asyncio
import threading
from typing import Any

in_flight = 0
most_in_flight = 0
calls = []


def echo(input):
    calls.append(input["q"])
    return {"answer": input["q"].upper()}


async def slow_echo(input):
    global in_flight, most_in_flight
    in_flight += 1
    most_in_flight = max(most_in_flight, in_flight)
    await asyncio.sleep(0.02)
    in_flight -= 1
    return {"answer": input["q"].upper()}


barrier = threading.Barrier(3, timeout=10)


def together(input):
    barrier.wait()  # breaks unless three examples run at the same time
    return {"answer": input["q"]}


def mutating(input, metadata):
    input["q"] = "changed"
    input.setdefault("seen", []).append(1)
    metadata["dirty"] = True
    return {"answer": len(input["seen"])}


def unchanged(input, output, metadata):
    return input.get("seen") is None and "dirty" not in metadata


def with_set(input):
    return {"items": [1, 2, {3}]}


class Runner:
    def task(self, input):
        return input


def typed_set(input) -> set[str]:
    return {input["q"]}


def label_first(output) -> tuple[str, float]:
    # (label, score): the order Phoenix does not read; fine only when the label is a number
    return (output["answer"], 1.0)


def four_items(output) -> tuple[float, str, str, str]:
    return (1.0, "ok", "why", "dropped")


def sees_stored(output):
    return output["items"][2] == "{3}"


def not_a_number(input):
    if input["q"] == "a":
        return {"score": float("nan")}
    cycle = []
    cycle.append(cycle)
    return cycle


def fails_on_b(input):
    if input["q"] == "b":
        raise RuntimeError("model timed out")
    return {"answer": input["q"]}


def unbindable(input, question):
    raise AssertionError("never called")


def matches(output, expected):
    return output["answer"] == expected["answer"]


def graded(output, expected):
    ok = output["answer"] == expected["answer"]
    return (1.0 if ok else 0.0), ("right" if ok else "wrong"), f"got {output['answer']!r}"


async def async_length(output):
    return float(len(output["answer"]))


def explodes(output):
    raise ValueError("bad evaluator")


def empty(output):
    return ""
"""

DATASET = [
    {"id": "a", "input": {"q": "a"}, "output": {"answer": "A"}, "metadata": {"n": 1}},
    {"id": "b", "input": {"q": "b"}, "output": {"answer": "B"}, "metadata": {"n": 2}},
    {"id": "c", "input": {"q": "c"}, "output": {"answer": "nope"}, "metadata": {"n": 3}},
]


@pytest.fixture(autouse=True)
def experiment(importable_project: Path) -> Path:
    """Every test here runs in a project holding exp.py (EXPERIMENT) and qa.jsonl (DATASET)."""
    (importable_project / "exp.py").write_text(EXPERIMENT)
    (importable_project / "qa.jsonl").write_text("".join(json.dumps(e) + "\n" for e in DATASET))
    return importable_project


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["run", *args])


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def module() -> Any:
    return sys.modules["exp"]


# --------------------------------------------------------------------------------------------
# datasets


def test_jsonl_examples_and_generated_ids(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"id": "x", "input": {"q": 1}, "output": {"a": 2}, "metadata": {"m": 3}}\n'
        "\n"
        '{"input": {"q": 4}, "output": {}}\n'
    )
    assert load_dataset(path) == [
        {"id": "x", "input": {"q": 1}, "output": {"a": 2}, "metadata": {"m": 3}},
        {"id": "example-2", "input": {"q": 4}, "output": {}, "metadata": {}},
    ]


@pytest.mark.parametrize("wrap", [False, True])
def test_json_list_or_examples_object(tmp_path: Path, wrap: bool) -> None:
    records = [{"input": {"q": 1}, "output": {"a": 1}}, {"id": 7, "input": {}, "output": {}}]
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"examples": records} if wrap else records))
    assert [e["id"] for e in load_dataset(path)] == ["example-1", "7"]


def test_csv_columns_are_grouped_like_phoenix_upload(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        "qid,question,context,answer,source,ignored\n"
        'q1,What?,"line one\nline two",Yes,wiki,x\n'
        "q2,Why?,,Because,book,y\n"
    )
    examples = load_dataset(
        path,
        input_keys=("question", "context"),
        output_keys=("answer",),
        metadata_keys=("source",),
        example_id_key="qid",
    )
    assert examples == [
        {
            "id": "q1",
            "input": {"question": "What?", "context": "line one\nline two"},
            "output": {"answer": "Yes"},
            "metadata": {"source": "wiki"},
        },
        {
            "id": "q2",
            "input": {"question": "Why?", "context": ""},
            "output": {"answer": "Because"},
            "metadata": {"source": "book"},
        },
    ]


def test_csv_keys_are_inferred_as_the_client_does(tmp_path: Path) -> None:
    assert infer_csv_keys(["question", "context", "response", "topic"]) == (
        ("question", "context"),
        ("response",),
        ("topic",),
    )
    assert infer_csv_keys(["a", "b"]) == (("a", "b"), (), ())
    path = tmp_path / "d.csv"
    path.write_text("question,Answers,topic\nWhat?,Yes,x\n")
    assert load_dataset(path) == [
        {
            "id": "example-1",
            "input": {"question": "What?"},
            "output": {"Answers": "Yes"},
            "metadata": {"topic": "x"},
        }
    ]


def test_phoenix_own_jsonl_shape_is_accepted_as_is() -> None:
    examples = load_dataset(DEMO / "qa.jsonl")
    assert len(examples) == 8
    assert examples[0]["id"] == "qa-1" and examples[0]["metadata"] == {"topic": "geography"}


@pytest.mark.parametrize(
    ("name", "text", "keys", "message"),
    [
        ("d.txt", "", {}, "unknown dataset format '.txt'"),
        ("missing.jsonl", None, {}, "no such file"),
        ("d.jsonl", '{"input": {}, "output": {}}\n{oops\n', {}, "d.jsonl:2: invalid JSON"),
        ("d.jsonl", '{"input": "text", "output": {}}\n', {}, "`input` must be a JSON object"),
        ("d.jsonl", '{"input": {}}\n', {}, "missing `output`"),
        ("d.jsonl", "[1]\n", {}, "an example is an object"),
        ("d.json", '{"rows": []}', {}, "expected a list of examples"),
        ("d.json", '[{"input": {}, "output": {}, "metadata": []}]', {}, "`metadata` must be"),
        ("d.json", "[]", {"input_keys": ("q",)}, "column keys only apply to a CSV"),
        (
            "d.jsonl",
            '{"id": "a", "input": {}, "output": {}}\n{"id": "a", "input": {}, "output": {}}\n',
            {},
            "duplicate example id 'a' (examples 1 and 2)",
        ),
        ("d.csv", "q,a\n", {}, "no data rows"),
        ("d.csv", "", {}, "empty CSV file"),
        ("d.csv", "q,q\n1,2\n", {}, "duplicate column headers: q"),
        ("d.csv", "q,a\n1,2\n", {"input_keys": ("x",)}, "keys not found in the CSV columns: x"),
        (
            "d.csv",
            "q,a\n1,2\n",
            {"input_keys": ("q",), "output_keys": ("q",)},
            "input and output keys overlap: q",
        ),
        ("d.csv", "q,a\n1,2,3\n", {"input_keys": ("q",)}, "d.csv:2: 3 cells for 2 columns"),
    ],
)
def test_dataset_errors_say_where(
    tmp_path: Path, name: str, text: str | None, keys: dict[str, Any], message: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path, **keys)
    assert message in str(caught.value)


# --------------------------------------------------------------------------------------------
# the command


def test_run_writes_results_and_a_summary(project: Path) -> None:
    out = project / "results.jsonl"
    result = run(
        "exp:echo",
        "--dataset",
        "qa.jsonl",
        "--evaluator",
        "exp:matches",
        "--evaluator",
        "exp.py:graded",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "examples run   3",
        "task failures  0",
        "",
        "evaluator  count  mean score  labels              failures",
        "matches        3       0.667  True: 2, False: 1          0",
        "graded         3       0.667  right: 2, wrong: 1         0",
        f"results written to {out}",
    ]
    rows = results(out)
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert rows[2] == {
        "id": "c",
        "input": {"q": "c"},
        "output": {"answer": "C"},
        "error": None,
        "evaluations": [
            {"name": "matches", "score": 0.0, "label": "False", "explanation": None, "error": None},
            {
                "name": "graded",
                "score": 0.0,
                "label": "wrong",
                "explanation": "got 'C'",
                "error": None,
            },
        ],
        "notes": [],
    }


def test_limit_runs_the_first_examples_only(project: Path) -> None:
    out = project / "r.jsonl"
    result = run("exp:echo", "--dataset", "qa.jsonl", "--limit", "2", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "examples run   2" in result.output
    assert [r["id"] for r in results(out)] == ["a", "b"]
    assert sorted(module().calls) == ["a", "b"]


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_async_tasks_run_concurrently_up_to_the_limit(project: Path, concurrency: int) -> None:
    path = project / "many.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"e{i}", "input": {"q": str(i)}, "output": {}}) + "\n"
            for i in range(8)
        )
    )
    result = run("exp:slow_echo", "--dataset", str(path), "--concurrency", str(concurrency))
    assert result.exit_code == 0, result.output
    assert module().most_in_flight == concurrency


def test_sync_tasks_run_in_a_thread_pool(project: Path) -> None:
    result = run("exp:together", "--dataset", "qa.jsonl", "--concurrency", "3")
    assert result.exit_code == 0, result.output


def test_async_evaluator_with_a_sync_task(project: Path) -> None:
    out = project / "r.jsonl"
    result = run(
        "exp:echo", "--dataset", "qa.jsonl", "--evaluator", "exp:async_length", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    assert [r["evaluations"][0]["score"] for r in results(out)] == [1.0, 1.0, 1.0]


def test_a_task_that_mutates_its_input_changes_nothing_else(project: Path) -> None:
    out = project / "r.jsonl"
    result = run(
        "exp:mutating",
        "--dataset",
        "qa.jsonl",
        "--evaluator",
        "exp:unchanged",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    rows = results(out)
    assert [r["input"] for r in rows] == [e["input"] for e in DATASET]
    assert [r["output"] for r in rows] == [{"answer": 1}] * 3
    assert [r["evaluations"][0]["label"] for r in rows] == ["True"] * 3


def test_examples_sharing_objects_do_not_leak_into_each_other() -> None:
    shared: dict[str, Any] = {"q": "x", "items": []}

    def task(input: dict[str, Any], example: Any) -> int:
        input["items"].append(1)
        example.input["items"].append(2)
        return len(input["items"])

    examples = [{"id": str(i), "input": shared, "output": {}, "metadata": {}} for i in range(3)]
    ran = localrun.run_examples(task, [], examples, concurrency=1)
    assert [r.output for r in ran] == [1, 1, 1]
    assert shared == {"q": "x", "items": []}


def test_a_converted_output_is_stored_as_phoenix_stores_it(project: Path) -> None:
    """Phoenix runs a task returning a set and stores what its jsonify makes of it; so does the
    run, which names the converted value's path and hands the evaluators the stored value."""
    out = project / "r.jsonl"
    result = run(
        "exp:with_set",
        "--dataset",
        "qa.jsonl",
        "--limit",
        "1",
        "--evaluator",
        "exp:sees_stored",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "what Phoenix stores differently (1):" in result.output
    assert '  a  task  output["items"][2]: set stored as "{3}"' in result.output
    row = results(out)[0]
    assert row["output"] == {"items": [1, 2, "{3}"]}
    assert row["error"] is None
    assert row["notes"] == [{"name": "task", "note": 'output["items"][2]: set stored as "{3}"'}]
    assert row["evaluations"][0]["label"] == "True"  # the evaluator saw the string


def test_an_output_phoenix_cannot_upload_or_store_fails_the_example(project: Path) -> None:
    out = project / "r.jsonl"
    result = run("exp:not_a_number", "--dataset", "qa.jsonl", "--limit", "2", "--output", str(out))
    assert result.exit_code == 1
    rows = results(out)
    assert 'output["score"]: nan (not allowed in JSON)' in rows[0]["error"]
    assert "the upload to the server fails" in rows[0]["error"]
    assert "output[0] refers back to a value that contains it" in rows[1]["error"]
    assert all(row["output"] is None for row in rows)


def test_task_and_evaluator_failures_exit_1_and_are_listed(project: Path) -> None:
    out = project / "r.jsonl"
    result = run(
        "exp:fails_on_b",
        "--dataset",
        "qa.jsonl",
        "--evaluator",
        "exp:explodes",
        "--evaluator",
        "exp:empty",
        "--output",
        str(out),
    )
    assert result.exit_code == 1
    text = result.output
    assert "task failures  1" in text
    assert "failures (3):" in text
    assert "  b  task      RuntimeError: model timed out" in text
    assert "  a  explodes  ValueError: bad evaluator" in text
    # Phoenix records nothing for an empty string, and says nothing: a note, not a failure
    assert "what Phoenix stores differently (2):" in text
    assert "  a  empty  evaluator result '': an empty str records no evaluation at all" in text
    rows = {r["id"]: r for r in results(out)}
    assert rows["b"]["error"] == "RuntimeError: model timed out"
    assert rows["a"]["evaluations"][0] == {
        "name": "explodes",
        "score": None,
        "label": None,
        "explanation": None,
        "error": "ValueError: bad evaluator",
    }


def test_signature_errors_stop_the_run_with_the_linters_diagnostics(project: Path) -> None:
    result = run("exp:unbindable", "--dataset", "qa.jsonl")
    assert result.exit_code == 1
    expected = check_callable(module().unbindable, "task", sync_client=True)
    assert [d.code for d in expected] == ["PHX002"]
    assert f"task: PHX002 {expected[0].message} [unbindable-parameter]" in result.output
    assert "Phoenix would fail this experiment (PHX002)" in result.output
    assert "nothing was run" in result.output
    assert "examples run" not in result.output


def test_a_method_read_from_its_class_is_refused_with_the_bound_method_suggestion(
    project: Path,
) -> None:
    result = run("exp:Runner.task", "--dataset", "qa.jsonl")
    assert result.exit_code == 1
    assert "task: PHX002 Task parameter `self` cannot be bound" in result.output
    assert "Hand Phoenix a bound method instead, `Runner().task`" in result.output


def test_duplicate_evaluator_names_keep_the_last_like_phoenix(project: Path) -> None:
    out = project / "r.jsonl"
    result = run(
        "exp:echo",
        "--dataset",
        "qa.jsonl",
        "--evaluator",
        "exp:matches",
        "--evaluator",
        "exp.py:matches",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "matches: PHX404 evaluators #1 and #2 are both named `matches`" in result.output
    assert [len(r["evaluations"]) for r in results(out)] == [1, 1, 1]


def test_create_evaluator_objects_run_their_function_under_their_name(project: Path) -> None:
    (project / "decorated.py").write_text(
        "from phoenix.client.experiments import create_evaluator\n\n\n"
        '@create_evaluator(kind="CODE", name="exact-match")\n'
        "def match(output, expected):\n"
        '    return output["answer"] == expected["answer"]\n'
    )
    out = project / "r.jsonl"
    result = run(
        "exp:echo", "--dataset", "qa.jsonl", "--evaluator", "decorated:match", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "exact-match      3       0.667" in result.output
    assert [r["evaluations"][0]["name"] for r in results(out)] == ["exact-match"] * 3


def test_csv_dataset_through_the_command(project: Path) -> None:
    (project / "d.csv").write_text("id,q,answer,extra\nx1,a,A,1\nx2,b,B,2\n")
    out = project / "r.jsonl"
    result = run(
        "exp:echo",
        "--dataset",
        "d.csv",
        "--input-keys",
        "q",
        "--output-keys",
        "answer",
        "--metadata-keys",
        "extra",
        "--example-id-key",
        "id",
        "--evaluator",
        "exp:matches",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    rows = results(out)
    assert [(r["id"], r["input"], r["evaluations"][0]["score"]) for r in rows] == [
        ("x1", {"q": "a"}, 1.0),
        ("x2", {"q": "b"}, 1.0),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing:task", "--dataset", "qa.jsonl"), "no module named 'missing'"),
        (("exp:nope", "--dataset", "qa.jsonl"), "'exp' has no attribute 'nope'"),
        (("exp:echo", "--dataset", "qa.jsonl", "--evaluator", "exp:zzz"), "no attribute 'zzz'"),
        (("exp:echo", "--dataset", "absent.jsonl"), "absent.jsonl: no such file"),
        (("exp:calls", "--dataset", "qa.jsonl"), "exp:calls is a list, not a callable"),
        (("exp:echo", "--dataset", "qa.jsonl", "--input-keys", "q"), "only apply to a CSV"),
    ],
)
def test_load_problems_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_no_progress_bar_without_a_terminal() -> None:
    result = run("exp:echo", "--dataset", "qa.jsonl")
    assert result.exit_code == 0, result.output
    assert "running examples" not in result.output


def test_the_demo_runs_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "demo.jsonl"
    result = run(
        "fixtures/demo/demo_experiment:answer",
        "--dataset",
        "fixtures/demo/qa.jsonl",
        "--evaluator",
        "fixtures/demo/demo_experiment:exact_match",
        "--evaluator",
        "fixtures/demo/demo_experiment.py:graded",
        "--concurrency",
        "8",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "examples run   8" in result.output
    assert len(results(out)) == 8
    for name in [n for n in sys.modules if n == "demo_experiment"]:
        del sys.modules[name]


def test_help_documents_the_module_syntax() -> None:
    result = CliRunner().invoke(main, ["run", "--help"])
    assert result.exit_code == 0
    assert "IMPORTS your modules" in result.output
    assert "path/to/experiment.py:task" in result.output


def test_results_jsonl_is_one_object_per_line() -> None:
    rows = [
        localrun.ExampleResult("a", {"q": "é"}, {"x": 1}),
        localrun.ExampleResult("b", {}, None, "boom", (localrun.Evaluation("ev", 1.0),)),
    ]
    text = localrun.results_jsonl(rows)
    assert text.endswith("\n") and len(text.splitlines()) == 2
    assert "é" in text
    assert json.loads(text.splitlines()[1])["evaluations"][0]["score"] == 1.0


def test_summary_without_evaluators() -> None:
    text = localrun.summary([localrun.ExampleResult("a", {}, 1)], [])
    assert text == "examples run   1\ntask failures  0\n"


def test_the_demo_callables_have_no_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(DEMO))
    try:
        demo = __import__("demo_experiment")
        assert check_callable(demo.answer, "task", sync_client=False) == []
        for evaluator in (demo.exact_match, demo.graded):
            assert check_callable(evaluator, "evaluator", sync_client=False) == []
    finally:
        sys.modules.pop("demo_experiment", None)


# --------------------------------------------------------------------------------------------
# what Phoenix refuses, and what it runs anyway


def test_a_non_json_return_annotation_is_reported_and_run(project: Path) -> None:
    """PHX201: Phoenix runs the task and stores `str()` of the set; the run does the same."""
    out = project / "r.jsonl"
    result = run("exp:typed_set", "--dataset", "qa.jsonl", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "task: PHX201 task returns `set[str]`" in result.output
    assert "Phoenix runs this experiment despite PHX201" in result.output
    assert "nothing was run" not in result.output
    assert [r["output"] for r in results(out)] == ["{'a'}", "{'b'}", "{'c'}"]
    assert "  a  task  output: set stored as \"{'a'}\"" in result.output


def test_a_tuple_shape_finding_is_reported_and_each_evaluation_judged_on_its_value(
    project: Path,
) -> None:
    """PHX203: Phoenix reads `(label, score)` as (score, label): `float('A')` fails that
    evaluation, and a label that happens to be numeric passes; four items lose the fourth."""
    (project / "mixed.jsonl").write_text(
        json.dumps({"id": "n", "input": {"q": "0.5"}, "output": {}})
        + "\n"
        + json.dumps({"id": "w", "input": {"q": "a"}, "output": {}})
        + "\n"
    )
    out = project / "r.jsonl"
    result = run(
        "exp:fails_on_b",
        "--dataset",
        "mixed.jsonl",
        "--evaluator",
        "exp:label_first",
        "--evaluator",
        "exp:four_items",
        "--output",
        str(out),
    )
    assert result.exit_code == 1, result.output
    assert "label_first: PHX203" in result.output and "four_items: PHX203" in result.output
    assert "Phoenix runs this experiment despite PHX203" in result.output
    rows = {r["id"]: r for r in results(out)}
    assert rows["n"]["evaluations"][0] == {
        "name": "label_first",
        "score": 0.5,
        "label": "1.0",
        "explanation": None,
        "error": None,
    }
    assert "is not a number" in rows["w"]["evaluations"][0]["error"]
    assert rows["w"]["evaluations"][1] == {
        "name": "four_items",
        "score": 1.0,
        "label": "ok",
        "explanation": "why",
        "error": None,
    }
    assert {"name": "four_items", "note": ANY_DROPPED} in rows["w"]["notes"]


class _Dropped:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and "those after the third are dropped" in other


ANY_DROPPED: Any = _Dropped()


def test_the_run_refuses_exactly_the_rules_phoenix_fails_on() -> None:
    """One source decides: the rule table's `phoenix_fails`. Warnings never stop a run."""
    for rule in spec.RULES:
        refused = localrun.PreflightFinding(
            "task", "task", Diagnostic(rule.code, rule.name, rule.severity, "m")
        ).refused
        assert refused == (rule.phoenix_fails in ("before-run", "every-example")), rule.code
        if rule.severity == "warning":
            assert not refused, rule.code
    assert not spec.rule("PHX201").phoenix_refuses
    assert not spec.rule("PHX203").phoenix_refuses
    assert spec.rule("PHX002").phoenix_refuses


def test_help_names_the_rules_run_refuses_and_the_ones_it_only_reports() -> None:
    text = " ".join(CliRunner().invoke(main, ["run", "--help"]).output.split())
    refuses, _, reports = text.partition("Any other finding is only reported")
    for rule in spec.RULES:
        where = refuses if rule.phoenix_refuses else reports
        assert rule.code in where, rule.code
        assert rule.code not in (reports if rule.phoenix_refuses else refuses), rule.code


class Plain:
    def __init__(self) -> None:
        self.tags = {"x"}
        self.when = dt.datetime(2024, 1, 2, 3, 4, 5)


class Slotted:
    __slots__ = ("a",)

    def __init__(self) -> None:
        self.a = 1


class Colour(enum.Enum):
    RED = 1


class Size(enum.IntEnum):
    BIG = 2


@dataclasses.dataclass
class Answer:
    text: str
    sources: tuple[str, ...]


def _gen() -> Iterator[int]:
    yield 1


STORED_CASES: list[object] = [
    None,
    "s",
    1,
    True,
    1.5,
    float("nan"),
    (1, (2, 3)),
    [1, {2}],
    {1: "a", (1, 2): "b", None: "c", False: "d"},
    {"a": {"b": frozenset({1})}},
    b"bytes",
    dt.datetime(2024, 1, 1, 12, 0),
    dt.date(2024, 1, 1),
    dt.timedelta(seconds=90),
    decimal.Decimal("1.10"),
    uuid.UUID(int=1),
    pathlib.PurePosixPath("/a/b"),
    Colour.RED,
    Size.BIG,
    Answer("x", ("a", "b")),
    Plain(),
    Slotted(),
    ValueError("boom"),
    _gen(),
    _gen,
    Plain,
    {"nested": [Answer("y", ()), {"deep": {3}}]},
]


@pytest.mark.parametrize("value", STORED_CASES, ids=lambda v: type(v).__name__)
def test_jsonify_mirrors_phoenix(value: object) -> None:
    """values.jsonify gives what the client's own jsonify gives, type for type."""
    from phoenix.client.resources.experiments import jsonify as phoenix_jsonify

    assert repr(values.jsonify(value)) == repr(phoenix_jsonify(value))


def test_a_cyclic_output_is_unstorable_as_in_phoenix() -> None:
    from phoenix.client.resources.experiments import jsonify as phoenix_jsonify

    cyclic: dict[str, Any] = {"a": []}
    cyclic["a"].append(cyclic)
    with pytest.raises(RecursionError):
        phoenix_jsonify(cyclic)
    with pytest.raises(values.UnstorableOutput, match=r'output\["a"\]\[0\] refers back'):
        values.jsonify(cyclic)
    shared = [1]
    assert values.jsonify([shared, shared]) == [[1], [1]]  # shared, not cyclic


def test_conversions_name_the_path_and_the_stored_value() -> None:
    stored = values.stored_output({"items": [1, {2}], 3: Answer("x", ())})
    assert stored.value == {"items": [1, "{2}"], "3": {"text": "x", "sources": []}}
    assert stored.conversions == (
        'output["items"][1]: set stored as "{2}"',
        'output: key 3 (int) stored as "3"',
        'output["3"]: Answer stored as its __dict__, {"text": "x", "sources": []}',
    )
    assert values.stored_output({"a": (1, 2.5, None, True)}).conversions == ()


_SIGNATURE_SNIPPETS = [
    pytest.param(rule, snippet, id=f"{rule.code}-{index}")
    for rule in spec.RULES
    for index, snippet in enumerate(rule.bad)
    if snippet.scope == "signature"
]


@pytest.mark.slow
@pytest.mark.parametrize(("rule", "snippet"), _SIGNATURE_SNIPPETS)
def test_phoenix_fails_where_the_rule_table_says(rule: spec.Rule, snippet: spec.Snippet) -> None:
    """Each rule's bad example, handed to the installed client: "before-run" fails reading or
    validating the signature, "every-example" binding or calling it (Phoenix's own error, on a
    value-independent example), and "by-value" / "never" get as far as the call."""
    from oracle import EXAMPLE, phoenix_evaluator_verdict, phoenix_task_verdict

    namespace: dict[str, Any] = {}
    exec(snippet.code, namespace)
    f = namespace["f"]
    sync = snippet.sync_runner is not False
    if snippet.role == "evaluator" and evals_object.is_evals_evaluator(f):
        # a phoenix.evals object: the client's own runner hands it every keyword
        from oracle import TRACE_ID, phoenix_runner_error

        error = phoenix_runner_error(
            f,
            "evaluator",
            example=EXAMPLE,
            output={"answer": "4"},
            trace_id=TRACE_ID,
            sync_client=sync,
        )
        assert (error is not None) is (rule.phoenix_fails == "every-example"), error
        return
    if snippet.role == "task":
        verdict = phoenix_task_verdict(f, json.loads(json.dumps(EXAMPLE)), sync_client=sync)
    else:
        verdict = phoenix_evaluator_verdict(
            f,
            output={"answer": "4"},
            example=json.loads(json.dumps(EXAMPLE)),
            trace_id=None,
            sync_client=sync,
        )
    if (rule.code, verdict.stage) == ("PHX005", "bind"):
        # `*input` passes validation and fails binding instead: every example fails; still
        # refused, as the rule's other shape (`*args`) is rejected before the run
        assert rule.phoenix_refuses and "unexpected keyword argument" in str(verdict.error)
    elif rule.phoenix_fails == "before-run":
        assert verdict.stage in ("signature", "validate"), verdict
    elif rule.phoenix_fails == "every-example":
        assert verdict.stage in ("bind", "call"), verdict
    else:
        assert verdict.stage in (None, "call"), verdict  # a body may fail on its own
        if snippet.role == "task" and verdict.ok:
            from phoenix.client.resources.experiments import jsonify as phoenix_jsonify

            result = f(*verdict.args, **verdict.kwargs)
            assert repr(values.jsonify(result)) == repr(phoenix_jsonify(result))
