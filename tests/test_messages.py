"""Messages name the cause and the place (issue 18): one finding per definition listing every
call that hands it over, the sync call of a PHX006, the partial or decorator Phoenix sees
instead of the def, when an evaluator is checked; and a callable's qualified name.

The fixtures `messages.py` / `messages_again.py` state the codes inline (tests/test_fixtures.py
and tests/test_three_front_ends.py run them through every front end); this file checks what
the messages say.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mypy import api

from phx_tasklint.core import judge
from phx_tasklint.core.model import Context, Kind, Param, RunnerKind, Signature, Wrapper
from phx_tasklint.lint import Report, lint, sources
from phx_tasklint.lint.findings import Finding
from phx_tasklint.runtime.binder import check_callable, wrapper_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = ("messages.py", "messages_again.py")


class _Config:
    phoenix_version = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


def line_of(marker: str, path: str = "messages.py") -> int:
    """The 1-based line of the fixture that holds `marker`."""
    lines = (FIXTURES / path).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)


@pytest.fixture(scope="module")
def report() -> Report:
    loaded = [sources.from_bytes((FIXTURES / name).read_bytes(), name) for name in FILES]
    return lint(loaded, _Config())


def at(report: Report, marker: str, code: str) -> list[Finding]:
    line = line_of(marker)
    return [
        f
        for f in report.findings
        if f.location.path == "messages.py"
        and f.location.line == line
        and f.diagnostic.code == code
    ]


CLIENT = "Client().experiments.run_experiment"


# --------------------------------------------------------------------------------------------
# one finding per definition, every hand-off listed


def test_a_definition_handed_over_from_two_files_is_one_finding(report: Report) -> None:
    [summarizer] = at(report, "def __call__(self, input, prompt)", "PHX002")
    first = line_of("dataset=dataset, task=Summarizer(), evaluators=[scores, grade]") - 1
    again = line_of("task=Summarizer(), evaluators=[grade]", "messages_again.py")
    awaited = line_of("await AsyncClient().experiments.run_experiment(")
    assert [(s.path, s.line, s.runner) for s in summarizer.handoffs] == [
        ("messages.py", first, CLIENT),
        ("messages.py", awaited, "AsyncClient().experiments.run_experiment"),
        ("messages_again.py", again, "run_experiment"),
    ]
    assert summarizer.message().endswith(
        f"(handed to {CLIENT} at messages.py:{first}; to AsyncClient().experiments."
        f"run_experiment at messages.py:{awaited}; to run_experiment at messages_again.py:{again})"
    )
    # the message the judge wrote is untouched: the calls are data
    assert "handed to" not in summarizer.diagnostic.message


def test_no_two_findings_say_the_same_of_one_place(report: Report) -> None:
    keys = [f.key() for f in report.findings]
    assert len(keys) == len(set(keys))


def test_one_role_per_runner_kind_is_legitimately_two_findings(report: Report) -> None:
    """`grade` goes to `run_experiment` twice and to `evaluate_experiment` once: Phoenix checks
    it at different times, and each finding names its own calls."""
    after, before = sorted(
        at(report, "def grade(output, answer)", "PHX002"), key=lambda f: len(f.handoffs)
    )[::-1]
    assert "only after every task has run" in after.diagnostic.message
    assert "whole run's task cost is paid first" in after.diagnostic.message
    assert [(s.path, s.runner) for s in after.handoffs] == [
        ("messages.py", CLIENT),
        ("messages_again.py", "run_experiment"),
    ]
    assert "before the first evaluation" in before.diagnostic.message
    assert [(s.path, s.runner) for s in before.handoffs] == [("messages.py", "evaluate_experiment")]


def test_phx006_names_only_the_sync_hand_off(report: Report) -> None:
    [finding] = at(report, "async def scores(output)", "PHX006")
    [sync] = finding.handoffs
    assert sync.runner == CLIENT
    assert finding.message().endswith(f"(handed to {CLIENT} at messages.py:{sync.line})")
    assert "AsyncClient()" not in finding.message()


# --------------------------------------------------------------------------------------------
# wrappers


def test_a_partial_is_named_with_what_it_leaves(report: Report) -> None:
    [finding] = at(report, "def call_llm(", "PHX002")
    call = line_of('task=partial(call_llm, model="x")')
    message = finding.diagnostic.message
    assert f"`partial(call_llm, …)` at messages.py:{call} leaves them unset" in message
    assert "pass them in the partial" in message
    assert finding.function == "call_llm"


def test_a_decorator_without_wraps_is_named_and_offers_no_fix(report: Report) -> None:
    found = at(report, "def hidden_task(", "PHX005") + at(report, "def hidden_task(", "PHX102")
    assert len(found) == 2
    for finding in found:
        message = finding.diagnostic.message
        assert "`@hidden` replaces `hidden_task`" in message
        assert "`(*args, **kwargs)`" in message
        assert "`@functools.wraps(fn)`" in message
        assert "remove `*args`" not in message
        assert finding.diagnostic.fix is None


def test_the_runtime_names_the_same_wrappers(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _import_messages(monkeypatch)
    partial = functools.partial(module.call_llm, model="x")
    assert wrapper_of(partial) == Wrapper("partial", "functools.partial(call_llm, …)", "call_llm")
    [d] = check_callable(partial, "task")
    assert "`functools.partial(call_llm, …)` leaves them unset" in d.message
    assert wrapper_of(module.hidden_task) == Wrapper("decorator", "@hidden", "hidden_task")
    found = check_callable(module.hidden_task, "task")
    assert [d.code for d in found] == ["PHX005", "PHX102"]
    assert all("`@hidden` replaces `hidden_task`" in d.message and d.fix is None for d in found)
    # a plain def and a wrapper that copies `__wrapped__` are no wrappers to name
    assert wrapper_of(module.grade) is None
    assert wrapper_of(functools.wraps(module.grade)(lambda *a, **k: None)) is None


def _factory_decorated() -> Any:
    def retry(times: int) -> Any:
        def decorate(fn: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return fn(*args, **kwargs)

            return wrapper

        return decorate

    @retry(3)
    def flaky(input: Any, expected: Any) -> Any:
        return input

    return flaky


def test_the_runtime_names_a_decorator_factory() -> None:
    assert wrapper_of(_factory_decorated()) == Wrapper("decorator", "@retry(…)", "flaky")


def _import_messages(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(FIXTURES))
    for name in ("messages", "messages_again"):
        sys.modules.pop(name, None)
    return importlib.import_module("messages")


@pytest.fixture(autouse=True)
def _forget_fixture_modules() -> Iterator[None]:
    yield
    for name in ("messages", "messages_again"):
        sys.modules.pop(name, None)


# --------------------------------------------------------------------------------------------
# when Phoenix checks an evaluator


TWO = Signature((Param("output"), Param("answer")))


@pytest.mark.parametrize(
    ("runner", "profile", "words"),
    [
        ("run", "latest", "only after every task has run"),
        ("run", "legacy", "before the first example"),
        ("resume", "latest", "only after the experiment's incomplete runs have run again"),
        ("evaluate", "latest", "before the first evaluation"),
        ("decorator", "latest", "when `create_evaluator(...)` is applied to it"),
        ("class", "latest", "when the class is defined"),
        ("pytest", "latest", "after each test has run"),
        (None, "latest", "when it sets up the evaluators (the client's `run_experiment` does so"),
        (None, "legacy", "before the first example"),
    ],
)
def test_evaluator_timing_follows_the_runner(
    runner: RunnerKind | None, profile: str, words: str
) -> None:
    context = Context(profile=profile, runner=runner)
    [d] = [d for d in judge.check(TWO, "evaluator", context) if d.code == "PHX002"]
    assert f"with ValueError {words}" in d.message
    assert words in judge.validated_when("evaluator", context)


@pytest.mark.parametrize("runner", ["run", "resume", None])
def test_a_task_is_always_checked_before_the_first_example(runner: RunnerKind | None) -> None:
    context = Context(runner=runner)
    for signature in (Signature(()), Signature((Param("input"), Param("q")))):
        [d] = judge.check(signature, "task", context)
        assert "before the first example" in d.message


def test_var_positional_and_no_parameters_say_when_too() -> None:
    run = Context(runner="run")
    [empty] = judge.check(Signature(()), "evaluator", run)
    assert "only after every task has run" in empty.message
    args = Signature((Param("output"), Param("args", Kind.VAR_POSITIONAL)))
    [d] = [d for d in judge.check(args, "evaluator", run) if d.code == "PHX005"]
    assert "only after every task has run" in d.message and "remove `*args`" in d.message


def test_the_linter_tells_each_runner_apart() -> None:
    text = (
        "import pytest\n"
        "from phoenix.client.experiments import resume_experiment, run_experiment\n\n"
        "def ev(output, answer):\n    return 1.0\n\n"
        "run_experiment(dataset=None, task=lambda input: input, evaluators=[ev])\n"
        "resume_experiment(experiment_id='x', task=lambda input: input, evaluators=[ev])\n\n"
        "@pytest.mark.phoenix(evaluators=[ev])\ndef test_x():\n    pass\n"
    )
    found = lint([sources.from_bytes(text.encode(), "t.py")], _Config()).findings
    by_runner = {f.handoffs[0].runner: f.diagnostic.message for f in found}
    assert "only after every task has run" in by_runner["run_experiment"]
    assert "incomplete runs have run again" in by_runner["resume_experiment"]
    assert "after each test has run" in by_runner["pytest.mark.phoenix"]


# --------------------------------------------------------------------------------------------
# qualified names


def test_function_is_the_qualified_name(report: Report) -> None:
    assert {f.function for f in report.findings if f.location.path == "messages.py"} == {
        "call_llm",
        "hidden_task",
        "scores",
        "grade",
        "Summarizer.__call__",
        "nested.inner",
    }


# --------------------------------------------------------------------------------------------
# mypy: what its types show (a partial through mypy's functools plugin; decorators are Any or
# `Callable[..., X]` to it), and the runner's timing


def test_mypy_names_the_partial_and_the_timing(tmp_path: Path) -> None:
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\nplugins = phx_tasklint.mypy\nignore_missing_imports = True\n"
        "check_untyped_defs = True\n"
    )
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-incremental",
            "--hide-error-context",
            "--no-error-summary",
            *(str(FIXTURES / name) for name in FILES),
        ]
    )
    assert status == 1, stdout + stderr
    errors: dict[tuple[str, int], str] = {}
    for m in re.finditer(r"(messages\w*\.py):(\d+): error: (.*)", stdout):
        key = (m[1], int(m[2]))
        errors[key] = errors.get(key, "") + m[3]
    partial = errors["messages.py", line_of('task=partial(call_llm, model="x")')]
    assert "`partial(call_llm, …)` leaves them unset" in partial
    evaluated = errors["messages.py", line_of("evaluate_experiment(experiment=None")]
    assert "before the first evaluation" in evaluated
    decorated = errors["messages_again.py", line_of("def decorated(", "messages_again.py")]
    assert "when `create_evaluator(...)` is applied to it" in decorated


def test_a_decorated_evaluator_is_checked_when_decorated(report: Report) -> None:
    """`@create_evaluator(...)` hands the def over where it is written: no call to list."""
    line = line_of("def decorated(", "messages_again.py")
    [finding] = [f for f in report.findings if f.location[:2] == ("messages_again.py", line)]
    assert "when `create_evaluator(...)` is applied to it" in finding.diagnostic.message
    assert finding.handoffs == () and finding.message() == finding.diagnostic.message


def test_nested_names_leave_out_locals() -> None:
    """Python's `__qualname__` without its `<locals>` steps: a lambda, a method of a class
    defined in a function."""
    text = (
        "from phoenix.client.experiments import run_experiment\n\n"
        "def main(ds):\n"
        "    class Local:\n"
        "        def run(self, input, q):\n            return q\n\n"
        "    run_experiment(dataset=ds, task=Local().run)\n"
        "    run_experiment(dataset=ds, task=lambda input, q: q)\n"
    )
    found = lint([sources.from_bytes(text.encode(), "t.py")], _Config()).findings
    assert sorted(f.function or "" for f in found) == ["main.<lambda>", "main.Local.run"]
