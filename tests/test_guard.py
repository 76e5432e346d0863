"""The opt-in guard (issue 20) against the real arize-phoenix-client: it stops an experiment
before its first task call when Phoenix would fail it, changes nothing of a good one, and
`.remove()` gives Phoenix its own behaviour back."""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import pickle
import subprocess
import sys
import textwrap
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phoenix.client.experiments as client_experiments
import pytest
from phoenix.client.experiments import run_experiment as run_imported_before_guard
from phoenix.client.resources.experiments import AsyncExperiments, Experiments

import phx_tasklint
from phx_tasklint.core import spec
from phx_tasklint.runtime import guarding
from phx_tasklint.runtime.guarding import GuardError, GuardWarning
from tests.guard_support import Server, closed_url, comparable, dataset

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL_RUN = vars(Experiments)["run_experiment"]
ORIGINAL_ARUN = vars(AsyncExperiments)["run_experiment"]
ORIGINAL_MODULE_RUN = client_experiments.run_experiment


@pytest.fixture(autouse=True)
def no_guard_left() -> Iterator[None]:
    """Every test leaves Phoenix as it found it."""
    yield
    current = guarding._CURRENT
    if current is not None:
        current.remove()
    assert vars(Experiments)["run_experiment"] is ORIGINAL_RUN
    assert client_experiments.run_experiment is ORIGINAL_MODULE_RUN
    assert not any(isinstance(f, guarding._Finder) for f in sys.meta_path)


class Counted:
    """A task that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def task(self) -> Any:
        def task(input: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            return {"answer": input["question"]}

        return task


def exact(output: Any, expected: Any) -> bool:
    return bool(output == expected)


def gold_typo(output: Any, gold: Any) -> float:  # Phoenix binds `expected`, not `gold`
    return 1.0


def two_typos(outputs: Any, expect: Any) -> float:
    return 1.0


def run_sync(client: Any, task: Any, evaluators: Any = None) -> Any:
    return client.experiments.run_experiment(
        dataset=dataset(),
        task=task,
        evaluators=evaluators,
        dry_run=3,
        print_summary=False,
        retries=0,
    )


# --------------------------------------------------------------------------------------------
# what is wrapped, and when


def test_guard_is_idempotent_and_remove_restores() -> None:
    handle = phx_tasklint.guard()
    assert phx_tasklint.guard() is handle
    wrapper = vars(Experiments)["run_experiment"]
    assert wrapper is not ORIGINAL_RUN
    assert wrapper.__wrapped__ is ORIGINAL_RUN  # wrapped once, not twice
    assert client_experiments.run_experiment.__wrapped__ is ORIGINAL_MODULE_RUN
    assert vars(AsyncExperiments)["run_experiment"].__wrapped__ is ORIGINAL_ARUN
    wrapped = set(handle.patched())
    expected = {f"{e.module}.{e.attribute}" for e in spec.GUARDED if e.module in sys.modules}
    assert wrapped == expected and len(wrapped) == 16
    handle.remove()
    handle.remove()  # a second remove is harmless
    assert vars(Experiments)["run_experiment"] is ORIGINAL_RUN
    assert vars(AsyncExperiments)["run_experiment"] is ORIGINAL_ARUN
    assert phx_tasklint.guard() is not handle  # a new guard after removal


def test_guarded_block_and_an_outer_guard_survives_it() -> None:
    with phx_tasklint.guarded() as handle:
        assert handle.active and vars(Experiments)["run_experiment"] is not ORIGINAL_RUN
    assert not handle.active and vars(Experiments)["run_experiment"] is ORIGINAL_RUN
    outer = phx_tasklint.guard()
    with phx_tasklint.guarded() as inner:
        assert inner is outer
    assert outer.active and vars(Experiments)["run_experiment"] is not ORIGINAL_RUN


def test_the_wrapper_keeps_phoenix_signature_and_coroutine_kind() -> None:
    import inspect

    phx_tasklint.guard()
    for name in ("run_experiment", "evaluate_experiment"):
        method = vars(AsyncExperiments)[name]
        assert inspect.iscoroutinefunction(method)
        assert inspect.signature(method) == inspect.signature(method.__wrapped__)
    assert not inspect.iscoroutinefunction(vars(Experiments)["run_experiment"])


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_phx_tasklint_imports_no_phoenix_and_patches_nothing() -> None:
    out = _python(
        """
        import sys
        import phx_tasklint, phx_tasklint.runtime, phx_tasklint.runtime.guarding
        import phx_tasklint.pytest_plugin, phx_tasklint.pytest_options
        import phx_tasklint.runtime.notebook_guard
        print(sorted(m for m in sys.modules if m == "phoenix" or m.startswith("phoenix.")))
        import phoenix.client.experiments as fx
        from phoenix.client.resources import experiments as rx
        def state():
            return (
                dict(vars(fx)),
                dict(vars(rx)),
                dict(vars(rx.Experiments)),
                dict(vars(rx.AsyncExperiments)),
                list(sys.meta_path),
            )
        before = state()
        import importlib
        for name in (
            "phx_tasklint",
            "phx_tasklint.runtime",
            "phx_tasklint.runtime.guarding",
            "phx_tasklint.runtime.notebook_guard",
            "phx_tasklint.pytest_plugin",
            "phx_tasklint.pytest_options",
        ):
            importlib.reload(sys.modules[name])
        print(state() == before)
        print(hasattr(fx.run_experiment, "__wrapped__"), [type(f).__name__ for f in sys.meta_path])
        """
    )
    imported, unchanged, patched = out.splitlines()
    assert (imported, unchanged) == ("[]", "True")
    assert patched.startswith("False [") and "_Finder" not in patched


def test_a_guard_set_before_phoenix_is_imported_patches_it_on_import() -> None:
    out = _python(
        """
        import sys
        import phx_tasklint
        handle = phx_tasklint.guard()
        print(any(m.startswith("phoenix") for m in sys.modules))  # guard() imports nothing
        from phoenix.client import Client
        from phoenix.client.resources import experiments as rx
        run = vars(rx.Experiments)["run_experiment"]
        loaders = (type(rx.__loader__).__name__, type(rx.__spec__.loader).__name__)
        print(hasattr(run, "__wrapped__"), *loaders)
        import phoenix.client.experiments as fx
        print(hasattr(fx.run_experiment, "__wrapped__"))
        handle.remove()
        print(hasattr(vars(rx.Experiments)["run_experiment"], "__wrapped__"),
              any(type(f).__name__ == "_Finder" for f in sys.meta_path))
        """
    )
    assert out.splitlines() == [
        "False",
        "True SourceFileLoader SourceFileLoader",
        "True",
        "False False",
    ]


def test_the_function_survives_the_plugin_and_extension_imports() -> None:
    """`phx_tasklint.guard` is the function: no submodule named `guard` replaces it."""
    import phx_tasklint.pytest_plugin
    import phx_tasklint.runtime.notebook_guard

    assert callable(phx_tasklint.guard) and phx_tasklint.guard is guarding.guard
    assert not (ROOT / "phx_tasklint" / "guard.py").exists()
    assert not (ROOT / "phx_tasklint" / "runtime" / "guard.py").exists()


def test_legacy_entries_take_their_callables_by_position_or_keyword() -> None:
    legacy = {(e.module, e.attribute): e for e in spec.GUARDED if e.profile == "legacy"}
    assert set(legacy) == {
        (module, name)
        for module in spec.LEGACY_RUNNER_MODULES
        for name in ("run_experiment", "evaluate_experiment")
    }
    run = legacy[(spec.LEGACY_MODULE, "run_experiment")]
    task, ev = object(), object()
    by_position = guarding.handed_over(run, ("dataset", task, [ev]), {})
    assert [(h.role, h.obj) for h in by_position] == [("task", task), ("evaluator", ev)]
    by_keyword = guarding.handed_over(run, ("dataset",), {"task": task, "evaluators": ev})
    assert [(h.role, h.obj) for h in by_keyword] == [("task", task), ("evaluator", ev)]
    evaluate = legacy[(spec.LEGACY_MODULE, "evaluate_experiment")]
    assert [h.obj for h in guarding.handed_over(evaluate, ("experiment", {"x": ev}), {})] == [ev]


def test_installed_profile_follows_the_client_version() -> None:
    assert guarding.installed_profile() == "latest"  # arize-phoenix-client 3.5.0
    assert guarding.profile_of_version("2.4.0") == "latest"
    assert guarding.profile_of_version("2.3.9") == "2.3"
    assert guarding.profile_of_version("1.22.0") == "2.3"
    assert guarding.profile_of_version("1.21.3") == "1.21"
    assert guarding.profile_of_version("unknown") == spec.DEFAULT_PROFILE


# --------------------------------------------------------------------------------------------
# the sync client


def test_sync_client_refuses_before_the_first_task_call_listing_everything() -> None:
    counted = Counted()
    server = Server()

    def bad_task(inputs: Any, expected: Any) -> Any:
        counted.calls += 1

    phx_tasklint.guard()
    with pytest.raises(GuardError) as caught:
        run_sync(server.client(), bad_task, [gold_typo, exact, two_typos])
    assert counted.calls == 0 and server.requests == []
    found = [(f.who, f.diagnostic.code, f.diagnostic.params) for f in caught.value.findings]
    assert found == [
        ("task", "PHX002", ("inputs",)),
        ("gold_typo", "PHX002", ("gold",)),
        ("two_typos", "PHX002", ("outputs", "expect")),
    ]
    assert isinstance(caught.value, phx_tasklint.BindingError)
    assert caught.value.diagnostics == tuple(f.diagnostic for f in caught.value.findings)
    message = str(caught.value)
    again = pickle.loads(pickle.dumps(caught.value))
    assert str(again) == message and again.findings == caught.value.findings
    assert "did not call `Experiments.run_experiment`" in message
    assert all(f"{who}: {code}" in message for who, code, _ in found)


def test_errors_phoenix_runs_with_are_warned_about_and_the_run_goes_on() -> None:
    """PHX201 / PHX203 are errors to the linter, but Phoenix completes the run (a pydantic
    model or a datetime a task returns is stored converted, as its author may mean): the guard
    warns, once, and calls Phoenix. Beside a finding Phoenix fails on, they are listed too,
    and the headline names only what Phoenix fails on."""
    counted = Counted()
    server = Server()

    def set_task(input: Any) -> set[str]:
        counted.calls += 1
        return {input["question"]}

    def four(output: Any) -> tuple[float, str, str, str]:
        return 1.0, "a", "b", "c"

    phx_tasklint.guard()
    with pytest.warns(GuardWarning) as warned:
        run_sync(server.client(), set_task, [four])
    assert counted.calls == 3
    assert sorted(str(w.message).split()[1] for w in warned) == ["PHX201", "PHX203"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_sync(server.client(), set_task, [four])  # said once
    counted.calls = 0
    with pytest.raises(GuardError) as both:
        run_sync(server.client(), set_task, [four, gold_typo])
    assert counted.calls == 0
    assert str(both.value).startswith("Phoenix would fail this experiment (PHX002):")
    codes = [f.diagnostic.code for f in both.value.findings]
    assert codes == ["PHX201", "PHX203", "PHX002"]


def test_remove_gives_phoenix_its_own_error_after_the_tasks_ran() -> None:
    counted = Counted()
    phx_tasklint.guard().remove()
    with pytest.raises(ValueError, match="Invalid parameter names in evaluation function: gold"):
        run_sync(phx_client(), counted.task(), [gold_typo])
    assert counted.calls == 3  # Phoenix ran every task first


@pytest.mark.parametrize("empty", [[], {}, ()], ids=["list", "dict", "tuple"])
def test_no_evaluators_is_refused_before_the_tasks_phoenix_runs_first(empty: Any) -> None:
    """`evaluators=[]` is not None: Phoenix runs every task, then raises (RULES.md S10); the
    guard refuses it first. `resume_experiment` skips an empty collection: not refused."""
    counted = Counted()
    with pytest.raises(ValueError, match="Must specify at least one evaluator"):
        run_sync(Server().client(), counted.task(), empty)
    assert counted.calls == 3
    counted = Counted()
    with phx_tasklint.guarded(), pytest.raises(GuardError) as caught:
        run_sync(Server().client(), counted.task(), empty)
    assert counted.calls == 0
    ((who, code),) = [(f.who, f.diagnostic.code) for f in caught.value.findings]
    assert (who, code) == ("evaluators", "PHX408")
    assert f"(an empty {type(empty).__name__})" in str(caught.value)
    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.resume_experiment")
    assert guarding.empty_evaluators(entry, (), {"evaluators": empty}) is not None
    guarding.judge_call(entry, [], empty=type(empty).__name__)  # nothing to refuse


def phx_client() -> Any:
    from phoenix.client import Client

    return Client(base_url=closed_url())


def test_a_good_experiment_returns_the_same_fields_with_and_without_the_guard() -> None:
    without = run_sync(Server().client(), Counted().task(), [exact])
    server = Server()
    with phx_tasklint.guarded():
        counted = Counted()
        with_guard = run_sync(server.client(), counted.task(), {"exact": exact})
    assert counted.calls == 3
    assert comparable(with_guard) == comparable(without)
    assert len(without["evaluation_runs"]) == 3
    assert server.requests  # the evaluation's dataset reads went to Phoenix as before


def _raised(call: Any) -> tuple[type[BaseException], str]:
    with pytest.raises(Exception) as caught:
        call()
    return type(caught.value), str(caught.value)


def test_phoenix_exceptions_pass_through_unchanged() -> None:
    task = Counted().task()

    def positional() -> Any:
        return Experiments.run_experiment(phx_client().experiments, dataset(), task)  # type: ignore[misc]

    def resume() -> Any:  # a good resume goes to the (closed) server
        return phx_client().experiments.resume_experiment(experiment_id="e-1", task=task)

    without = [_raised(positional), _raised(resume)]
    with phx_tasklint.guarded():
        assert [_raised(positional), _raised(resume)] == without
    assert without[0] == (TypeError, without[0][1])
    assert "Connect" in without[1][0].__name__


def _coroutines_made(call: Any) -> tuple[Any, int]:
    """What `call` returns (or raises), and how many coroutines of an async task it made, that
    is how often it called the task (its body never runs on the sync client: the count is
    read from Python's never-awaited warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: Any = call()
        except Exception as exc:
            result = exc
        gc.collect()
    made = [w for w in caught if "was never awaited" in str(w.message)]
    return result, len(made)


def test_an_async_task_on_the_sync_client() -> None:
    async def task(input: Any) -> Any:
        return input

    with phx_tasklint.guarded():
        refused, made = _coroutines_made(lambda: run_sync(phx_client(), task))
    assert isinstance(refused, GuardError) and made == 0
    assert [f.diagnostic.code for f in refused.findings] == ["PHX006"]
    # Phoenix itself calls it on every example, drops the coroutine and records no run
    ran, made = _coroutines_made(lambda: run_sync(phx_client(), task))
    assert made == 3
    assert ran["task_runs"] == []  # no run is recorded


def test_warnings_once_per_callable_and_code_then_the_run_goes_on() -> None:
    def task(input: str) -> Any:  # PHX301: the input is a dict
        return input

    phx_tasklint.guard()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = run_sync(phx_client(), task)
        run_sync(phx_client(), task)
    guard_warnings = [w for w in caught if issubclass(w.category, GuardWarning)]
    assert len(guard_warnings) == 1
    assert "task: PHX301" in str(guard_warnings[0].message)
    assert guard_warnings[0].filename == __file__  # it points at the call
    assert len(first["task_runs"]) == 3


def test_evaluators_in_every_shape_phoenix_takes() -> None:
    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.run_experiment")

    def who(evaluators: Any) -> list[tuple[str, Any]]:
        return [(h.who, h.obj) for h in guarding.handed_over(entry, (), {"evaluators": evaluators})]

    assert who(None) == [] and who([]) == [] and who({}) == []
    assert who(exact) == [("exact", exact)]
    assert who((exact, gold_typo)) == [("exact", exact), ("gold_typo", gold_typo)]
    assert who({"named": exact, "": gold_typo}) == [("named", exact), ("gold_typo", gold_typo)]
    generator = (e for e in [exact])
    assert who(generator) == [("<genexpr>", generator)] or who(generator)[0][1] is generator
    assert next(generator) is exact  # never iterated: Phoenix takes it as one evaluator
    with phx_tasklint.guarded(), pytest.raises(GuardError) as caught:
        run_sync(phx_client(), Counted().task(), {exact})
    assert [f.diagnostic.code for f in caught.value.findings] == ["PHX007"]


def test_phoenix_evals_objects_are_judged_by_the_binder() -> None:
    from phoenix.evals import create_evaluator

    @create_evaluator(name="matches")
    def matches(output: Any, expected: Any) -> bool:
        return bool(output == expected)

    @create_evaluator(name="unmapped")
    def unmapped(question: Any, answer: Any) -> bool:
        return True

    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.evaluate_experiment")
    guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": [matches]}))
    with pytest.raises(GuardError) as caught:
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": [unmapped]}))
    assert [(f.who, f.diagnostic.code) for f in caught.value.findings] == [("unmapped", "PHX501")]
    # fixed in place, as a notebook does before running the cell again: judged afresh
    unmapped.bind({"question": "input", "answer": "output"})
    guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": [unmapped]}))


# --------------------------------------------------------------------------------------------
# the async client, the module functions, evaluate_experiment


def async_run(server: Server, counted: Counted, evaluators: Any) -> Any:
    """A dry run on the AsyncClient (about a second each: its executor polls its queue)."""
    return server.async_client().experiments.run_experiment(
        dataset=dataset(),
        task=counted.task(),
        evaluators=evaluators,
        dry_run=3,
        print_summary=False,
        retries=0,
    )


def test_async_client_refuses_before_the_first_task_and_remove_restores() -> None:
    counted = Counted()
    server = Server()
    with phx_tasklint.guarded():
        coroutine = async_run(server, counted, [gold_typo])
        with pytest.raises(GuardError, match=r"AsyncExperiments\.run_experiment"):
            asyncio.run(coroutine)
    assert counted.calls == 0 and server.requests == []
    with pytest.raises(ValueError, match="Invalid parameter names in evaluation function: gold"):
        asyncio.run(async_run(server, counted, [gold_typo]))  # Phoenix's own, after the tasks
    assert counted.calls == 3


def test_async_client_good_run_is_unchanged() -> None:
    without = asyncio.run(async_run(Server(), Counted(), [exact]))
    with phx_tasklint.guarded():
        with_guard = asyncio.run(async_run(Server(), Counted(), [exact]))
    assert comparable(with_guard) == comparable(without)
    assert len(with_guard["evaluation_runs"]) == 3


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every callable the guard hands to check_callable, in order."""
    seen: list[object] = []
    real = guarding.check_callable

    def counting(obj: object, *args: Any, **kwargs: Any) -> Any:
        seen.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(guarding, "check_callable", counting)
    return seen


def test_module_functions_are_judged_once(judged: list[object]) -> None:

    def fresh(output: Any, expected: Any) -> bool:  # not in the verdict cache yet
        return bool(output == expected)

    counted = Counted()
    task = counted.task()
    server = Server()
    phx_tasklint.guard()
    from phoenix.client.experiments import run_experiment

    ran = run_experiment(
        client=server.client(),
        dataset=dataset(),
        task=task,
        evaluators=[fresh],
        dry_run=3,
        print_summary=False,
    )
    # the function, its method and the method's evaluate_experiment: one judgement each
    assert judged == [task, fresh]
    assert len(ran["evaluation_runs"]) == 3
    with pytest.raises(GuardError, match="did not call `run_experiment`"):
        run_experiment(client=phx_client(), dataset=dataset(), task=task, evaluators=gold_typo)
    # imported before guard(): the function is Phoenix's, its method is guarded
    with pytest.raises(GuardError, match=r"`Experiments\.run_experiment`"):
        run_imported_before_guard(
            client=phx_client(), dataset=dataset(), task=task, evaluators=gold_typo
        )
    assert counted.calls == 3


def test_async_module_function() -> None:
    from phoenix.client import AsyncClient

    counted = Counted()
    with phx_tasklint.guarded():
        from phoenix.client.experiments import async_run_experiment

        with pytest.raises(GuardError, match="async_run_experiment"):
            asyncio.run(
                async_run_experiment(
                    client=AsyncClient(base_url=closed_url()),
                    dataset=dataset(),
                    task=counted.task(),
                    evaluators=[gold_typo],
                    dry_run=True,
                )
            )
    assert counted.calls == 0


def test_evaluate_experiment_on_an_existing_result() -> None:
    ran = run_sync(phx_client(), Counted().task())
    calls = 0

    def counting_gold(output: Any, gold: Any) -> float:
        nonlocal calls
        calls += 1
        return 1.0

    server = Server()
    with (
        phx_tasklint.guarded(),
        pytest.raises(GuardError, match=r"Experiments\.evaluate_experiment"),
    ):
        server.client().experiments.evaluate_experiment(
            experiment=ran, evaluators=[counting_gold], print_summary=False
        )
    assert server.requests == [] and calls == 0
    with pytest.raises(ValueError, match="Invalid parameter names in evaluation function: gold"):
        phx_client().experiments.evaluate_experiment(
            experiment=ran, evaluators=[counting_gold], print_summary=False
        )
    with phx_tasklint.guarded():
        evaluated = server.client().experiments.evaluate_experiment(
            experiment=ran, evaluators=[exact], print_summary=False
        )
    assert len(evaluated["evaluation_runs"]) == 3


# --------------------------------------------------------------------------------------------
# cost


def test_one_check_per_callable_and_the_cache_keeps_nothing_alive(judged: list[object]) -> None:
    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.run_experiment")

    def make() -> Any:
        def task(input: Any) -> Any:
            return input

        return task

    task = make()
    for _ in range(5):
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"task": task}))
    assert judged == [task]
    task.__defaults__ = ("changed",)  # what the verdict was read from changed: judged again
    guarding.judge_call(entry, guarding.handed_over(entry, (), {"task": task}))
    assert judged == [task, task]

    class Scorer:
        def score(self, output: Any) -> float:
            return 1.0

    scorer = Scorer()
    for _ in range(3):  # a bound method is a new object each time, judged as its function
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": scorer.score}))
    assert len(judged) == 3

    key = id(task)
    assert guarding._ENTRIES[key].ref() is task
    alive = weakref.ref(task)
    judged.clear()
    del task
    gc.collect()
    assert alive() is None  # the cache did not keep it alive, and its entry left with it
    assert key not in guarding._ENTRIES or guarding._ENTRIES[key].ref() is not None
    assert all(entry.ref() is not None for entry in guarding._ENTRIES.values())


def test_a_method_bound_and_its_function_unbound_are_judged_apart() -> None:
    class Grader:
        def grade(self, output: Any, expected: Any) -> bool:
            return bool(output == expected)

    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.evaluate_experiment")
    bound = guarding.handed_over(entry, (), {"evaluators": [Grader().grade]})
    guarding.judge_call(entry, bound)  # `output`, `expected`: Phoenix binds both
    unbound = guarding.handed_over(entry, (), {"evaluators": [Grader.grade]})
    with pytest.raises(GuardError) as caught:  # `self` is no name Phoenix binds
        guarding.judge_call(entry, unbound)
    assert [f.diagnostic.code for f in caught.value.findings] == ["PHX002"]


def test_the_clients_own_evaluator_objects_are_judged_by_what_they_wrap() -> None:
    """`@create_evaluator` of the client makes an object whose `__call__` takes nothing: Phoenix
    calls its `evaluate`, so the guard judges the function it wraps (a good one passes; a result
    the scorer rejects is still found), and a BaseEvaluator subclass by its own `evaluate`."""
    from phoenix.client.experiments import create_evaluator
    from phoenix.client.resources.experiments.types import BaseEvaluator

    @create_evaluator(name="length", kind="CODE")
    def length(output: Any) -> int:
        return len(str(output))

    @create_evaluator(name="tags")
    def tags(output: Any) -> set[int]:
        return {1}

    class Mine(BaseEvaluator):
        name = "mine"
        kind = "CODE"

        def evaluate(self, *, output: Any = None, **kwargs: Any) -> float:
            return 1.0

    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.run_experiment")
    good = {"task": lambda input: input, "evaluators": [length, Mine()]}
    guarding.judge_call(entry, guarding.handed_over(entry, (), good))
    with pytest.raises(GuardError) as caught:
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": [tags]}))
    assert [(f.who, f.diagnostic.code) for f in caught.value.findings] == [("tags", "PHX202")]


def test_a_verdict_follows_changes_made_in_place() -> None:
    """A partial's keywords or a def's keyword defaults changed in place, or a `__wrapped__`
    set later: judged again, as check_callable would judge them now."""
    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.evaluate_experiment")

    def judge(evaluator: object) -> None:
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": [evaluator]}))

    def scored(output: Any, gold: Any) -> bool:
        return bool(output == gold)

    given = functools.partial(scored, gold=1)
    judge(given)
    del given.keywords["gold"]
    with pytest.raises(GuardError, match="PHX002"):
        judge(given)

    def keyword(output: Any, *, gold: Any = 1) -> bool:
        return bool(output == gold)

    judge(keyword)
    assert keyword.__kwdefaults__ is not None
    keyword.__kwdefaults__.pop("gold")
    with pytest.raises(GuardError, match="PHX002"):
        judge(keyword)


def test_a_foreign_wrapper_survives_a_second_guard() -> None:
    """Another library wraps a guarded entry point with `functools.wraps` (which copies the
    wrapper's attributes): a guard set after the first was removed wraps that wrapper, and its
    removal gives it back."""
    from phoenix.client.resources import experiments as rx

    original = rx.Experiments.run_experiment
    first = phx_tasklint.guard()
    guarded_method = rx.Experiments.run_experiment

    @functools.wraps(guarded_method)
    def instrumented(*args: Any, **kwargs: Any) -> Any:
        return guarded_method(*args, **kwargs)

    rx.Experiments.run_experiment = instrumented  # type: ignore[method-assign]
    try:
        first.remove()
        assert rx.Experiments.run_experiment is instrumented
        second = phx_tasklint.guard()
        assert (
            inspect.unwrap(rx.Experiments.run_experiment, stop=lambda f: f is instrumented)
            is instrumented
        )
        second.remove()
        assert rx.Experiments.run_experiment is instrumented
    finally:
        rx.Experiments.run_experiment = original  # type: ignore[method-assign]


def test_overlapping_blocks_share_one_guard() -> None:
    """Blocks that overlap (threads, asyncio tasks) end the guard with the last of them."""
    from phoenix.client.resources import experiments as rx

    first = phx_tasklint.guarded()
    second = phx_tasklint.guarded()
    handle = first.__enter__()
    assert second.__enter__() is handle
    first.__exit__(None, None, None)
    assert guarding.active_guard() is handle and _ours_wraps(rx.Experiments.run_experiment)
    second.__exit__(None, None, None)
    assert guarding.active_guard() is None


def _ours_wraps(method: object) -> bool:
    return guarding._ours(method) is not None


def test_results_phoenix_scores_are_not_refused() -> None:
    """A phoenix.evals `Score` (Phoenix asks the instance for `source`, a property) and an
    `Optional[float]` annotation (only examples given None fail): the guard lets them run."""
    from phoenix.evals import Score

    def scored(output: Any) -> Score:
        return Score(name="s", score=1.0)

    def maybe(output: Any) -> float | None:
        return 1.0

    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.evaluate_experiment")
    for evaluator in (scored, maybe):
        assert phx_tasklint.check_callable(evaluator, "evaluator") == []
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": [evaluator]}))


def test_a_with_block_cannot_remove_a_guard_set_before_it() -> None:
    """`guard()` hands back the guard in force: it is no context manager, so no `with` block
    ends a guard someone else set (`guarded()` is the block form)."""
    standing = phx_tasklint.guard()
    # (Python 3.10 raises AttributeError, 3.11 TypeError)
    with pytest.raises((TypeError, AttributeError)), phx_tasklint.guard():  # type: ignore[attr-defined]
        pass
    with phx_tasklint.guarded() as block:
        assert block is standing
    assert guarding.active_guard() is standing


def test_evaluators_phoenix_records_under_one_name_are_warned_about() -> None:
    """Phoenix keeps the last evaluator of each name (PHX404): the run goes on, with a warning
    (once: a later call with the same evaluators is not warned about again); a dict key names a
    function apart, not a phoenix.evals object (its own name counts)."""
    from phoenix.evals import create_evaluator as evals_evaluator

    def make(name: str) -> Any:
        @evals_evaluator(name=name)
        def scored(output: Any) -> float:
            return 1.0

        return scored

    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.evaluate_experiment")
    for shape in (list, dict):
        first, second = make("same"), make("same")
        evaluators = [first, second] if shape is list else {"a": first, "b": second}
        with pytest.warns(GuardWarning, match="PHX404"):
            guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": evaluators}))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": evaluators}))

    def plain(output: Any) -> float:
        return 1.0

    other = functools.partial(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        named_apart = {"a": plain, "b": other}
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": named_apart}))
    with pytest.warns(GuardWarning, match="PHX404"):
        guarding.judge_call(entry, guarding.handed_over(entry, (), {"evaluators": [plain, other]}))
