"""The runtime adapter and binder (`phx_tasklint.runtime.binder`): hand-picked cases.

Where Phoenix itself can answer, the installed arize-phoenix-client 3.5.0 is the oracle:
`_bind_task_signature`, `_bind_evaluator_signature` and `_default_eval_scorer` are called on the
same callables and examples, and must agree with ours.

Tests named `test_bug_*` (end of the file) fail on purpose: each documents a bug in binder.py or
values.py, with the input, what Phoenix (or DESIGN.md) says, and what we do.
"""

import array
import asyncio
import copy
import dataclasses
import datetime as dt
import functools
import gc
import importlib
import inspect
import math
import subprocess
import sys
import textwrap
import tracemalloc
import types
import typing
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, NewType, TypedDict

import pytest
from oracle import (
    EXAMPLE,
    phoenix_evaluator_verdict,
    phoenix_runner_error,
    phoenix_task_verdict,
)
from phoenix.client.resources.experiments import _bind_task_signature
from phoenix.client.resources.experiments.evaluators import (
    _bind_evaluator_signature,
    _default_eval_scorer,
)
from phoenix.client.resources.experiments.types import ExampleProxy as PhoenixExampleProxy

import phx_tasklint
import phx_tasklint.runtime
from phx_tasklint.runtime.binder import (
    BindingError,
    ExampleProxy,
    OutputError,
    arun_evaluator,
    arun_task,
    bind_evaluator,
    bind_task,
    check_callable,
    run_evaluator,
    run_task,
    signature_of,
)

TRACE_ID = "0123456789abcdef0123456789abcdef"


def make_example() -> Any:
    """A fresh dataset example, shaped like Phoenix's v1.DatasetExample."""
    return {
        "id": "ex-1",
        "input": {"question": "2+2?", "context": [{"id": "p1", "text": "four", "score": 0.9}]},
        "output": {"answer": "4"},
        "metadata": {"source": "unit", "tags": ["math", "easy"]},
        "updated_at": "2024-05-01T12:30:00Z",
    }


def codes(obj: object, role: str = "task", **kw: Any) -> list[str]:
    return [d.code for d in check_callable(obj, role, **kw)]  # type: ignore[arg-type]


def plain(value: object) -> object:
    """Replace every example proxy (ours or Phoenix's) by a plain dict, recursively."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def same_binding(ours: inspect.BoundArguments, theirs: inspect.BoundArguments) -> None:
    assert list(ours.arguments) == list(theirs.arguments)
    assert plain(ours.args) == plain(theirs.args)
    assert plain(ours.kwargs) == plain(theirs.kwargs)
    # the call shape: how many values go positionally and which go by keyword
    assert len(ours.args) == len(theirs.args)
    assert sorted(ours.kwargs) == sorted(theirs.kwargs)


def phoenix_evaluator_binding(
    fn: Callable[..., Any], output: Any, example: dict[str, Any], trace_id: str | None
) -> inspect.BoundArguments:
    """What the client's runner hands `_bind_evaluator_signature` (experiments/__init__.py)."""
    return _bind_evaluator_signature(
        inspect.signature(fn),
        output=output,
        expected=example["output"],
        reference=example["output"],
        input=example["input"],
        metadata=example["metadata"],
        example=example,
        trace_id=trace_id,
    )


# --------------------------------------------------------------------------------------------
# Callables used across the tests (module level, so that typing.get_type_hints can resolve them)


def fn_input(input: dict[str, Any]) -> dict[str, Any]:
    return {"answer": str(input["question"])}


class Holder:
    def __init__(self, offset: int = 0) -> None:
        self.offset = offset

    def method(self, input: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
        return {"input": input, "expected": expected, "offset": self.offset}

    @classmethod
    def cmethod(cls, input: dict[str, Any], metadata: dict[str, Any]) -> str:
        return cls.__name__

    @staticmethod
    def smethod(input: dict[str, Any], expected: dict[str, Any]) -> str:
        return "static"


class CallableTask:
    def __call__(self, input: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
        return {"q": input["question"], "a": expected["answer"]}


class AsyncCallableEvaluator:
    async def __call__(self, output: Any) -> float:
        return 1.0


class ClassTask:
    """A class handed over as a task: Phoenix instantiates it and jsonifies the instance."""

    def __init__(self, input: dict[str, Any]) -> None:
        self.input = input


def three(input: Any, expected: Any, metadata: Any) -> tuple[Any, Any, Any]:
    return input, expected, metadata


def logged(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


def unwrapped_decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


@logged
def wrapped_task(input: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True}


@unwrapped_decorator
def hidden_task(input: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True}


async def async_task(input: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"answer": input["question"]}


async def async_evaluator(output: Any, expected: Any) -> float:
    await asyncio.sleep(0)
    return 1.0 if output == expected else 0.0


# Return types for check_callable (PHX201)


class Answer(TypedDict):
    answer: str
    confidence: float


class BadAnswer(TypedDict):
    answer: str
    seen: set[str]


UserId = NewType("UserId", str)


class Pair(NamedTuple):
    left: int
    right: str


@dataclasses.dataclass
class Record:
    answer: str


# --------------------------------------------------------------------------------------------
# Adapter: callable kinds


def test_function_and_lambda_are_clean() -> None:
    assert codes(fn_input) == []
    assert codes(lambda input: input) == []
    assert codes(lambda input, expected: 1) == []
    assert codes(lambda x, y: 1) == ["PHX002"]


def test_bound_method_drops_self() -> None:
    obj = Holder(3)
    sig, neutral = signature_of(obj.method)
    assert list(sig.parameters) == ["input", "expected"]
    assert neutral.names() == ("input", "expected")
    assert codes(obj.method) == []
    bound = bind_task(obj.method, make_example())
    assert bound.args == (make_example()["input"], make_example()["output"])
    assert run_task(obj.method, make_example())["offset"] == 3


def test_bound_methods_of_two_instances_are_bound_separately() -> None:
    assert run_task(Holder(1).method, make_example())["offset"] == 1
    assert run_task(Holder(2).method, make_example())["offset"] == 2


def test_unbound_method_keeps_self_and_is_rejected() -> None:
    found = check_callable(Holder.method)
    assert [d.code for d in found] == ["PHX002"]
    assert found[0].param == "self"


@pytest.mark.parametrize(
    "fn",
    [Holder.cmethod, Holder.smethod, Holder().cmethod, Holder().smethod],
    ids=["classmethod-via-class", "staticmethod-via-class", "classmethod-via-obj", "static-obj"],
)
def test_classmethod_and_staticmethod(fn: Callable[..., Any]) -> None:
    assert "cls" not in inspect.signature(fn).parameters
    assert codes(fn) == []
    same_binding(
        bind_task(fn, make_example()), _bind_task_signature(inspect.signature(fn), make_example())
    )


def test_callable_instance_uses_call_signature() -> None:
    task = CallableTask()
    assert signature_of(task)[1].names() == ("input", "expected")
    assert codes(task) == []
    assert run_task(task, make_example()) == {"q": "2+2?", "a": "4"}


def test_partial_positional() -> None:
    p = functools.partial(three, {"pre": "bound"})
    assert signature_of(p)[1].names() == ("expected", "metadata")
    assert codes(p) == []
    bound = bind_task(p, make_example())
    same_binding(bound, _bind_task_signature(inspect.signature(p), make_example()))
    assert run_task(p, make_example())[0] == {"pre": "bound"}


def test_partial_reduced_to_one_parameter_binds_positionally() -> None:
    p = functools.partial(three, 1, 2)  # only `metadata` left
    bound = bind_task(p, make_example())
    assert bound.args == (make_example()["metadata"],)
    same_binding(bound, _bind_task_signature(inspect.signature(p), make_example()))


def test_partial_keyword_makes_later_parameters_keyword_only() -> None:
    def g(k: int, input: Any, expected: Any) -> Any:
        return (k, input, expected)

    p = functools.partial(g, k=1)
    kinds = [prm.kind for prm in inspect.signature(p).parameters.values()]
    assert kinds == [inspect.Parameter.KEYWORD_ONLY] * 3
    assert codes(p) == []
    same_binding(
        bind_task(p, make_example()), _bind_task_signature(inspect.signature(p), make_example())
    )


def test_partial_keyword_known_name_is_overridden_like_phoenix() -> None:
    def g(input: Any, expected: Any) -> Any:
        return expected

    p = functools.partial(g, expected="fixed")
    ours = bind_task(p, make_example())
    theirs = _bind_task_signature(inspect.signature(p), make_example())
    same_binding(ours, theirs)
    assert ours.kwargs["expected"] == {"answer": "4"}  # not "fixed"
    assert run_task(p, make_example()) == {"answer": "4"}


def test_wraps_decorator_shows_the_original_signature() -> None:
    assert signature_of(wrapped_task)[1].names() == ("input", "expected")
    assert codes(wrapped_task) == []
    assert run_task(wrapped_task, make_example()) == {"ok": True}


def test_decorator_without_wraps_hides_the_signature() -> None:
    assert signature_of(hidden_task)[1].names() == ("args", "kwargs")
    assert "PHX005" in codes(hidden_task)
    with pytest.raises(BindingError) as info:
        bind_task(hidden_task, make_example())
    assert "PHX005" in [d.code for d in info.value.diagnostics]


@pytest.mark.parametrize(
    ("role", "sync_client", "expected"),
    [
        ("task", True, ["PHX006"]),
        ("task", False, []),
        ("task", None, []),
        ("evaluator", True, ["PHX006"]),
        ("evaluator", False, []),
    ],
    ids=["task-sync", "task-async", "task-unknown", "evaluator-sync", "evaluator-async"],
)
def test_async_function(role: str, sync_client: bool | None, expected: list[str]) -> None:
    fn = async_task if role == "task" else async_evaluator
    assert codes(fn, role, sync_client=sync_client) == expected


@pytest.mark.parametrize("sync_client", [True, False, None], ids=["sync", "async", "unknown"])
def test_async_call_instance_as_evaluator_is_phx202(sync_client: bool | None) -> None:
    evaluator = AsyncCallableEvaluator()
    assert not inspect.iscoroutinefunction(evaluator)
    assert codes(evaluator, "evaluator", sync_client=sync_client) == ["PHX202"]
    # Phoenix: the scorer gets the coroutine, on the sync and the async client alike
    coroutine = evaluator(1)
    try:
        with pytest.raises(ValueError, match=r"Unsupported evaluation result type: .*coroutine"):
            _default_eval_scorer(coroutine)
    finally:
        coroutine.close()


def test_async_call_instance_as_task_on_sync_client_is_phx006() -> None:
    assert codes(AsyncCallableEvaluator(), "task", sync_client=True) == ["PHX006"]
    assert codes(AsyncCallableEvaluator(), "task", sync_client=False) == []


def test_class_handed_as_task_is_non_json() -> None:
    assert signature_of(ClassTask)[1].names() == ("input",)
    assert codes(ClassTask) == ["PHX201"]


FUTURE_MODULE = """
    from __future__ import annotations

    import dataclasses
    from typing import Any, TypedDict


    class Answer(TypedDict):
        answer: str


    @dataclasses.dataclass
    class Row:
        answer: str


    def good(input: dict[str, Any]) -> Answer:
        return {"answer": "x"}


    def returns_set(input: dict[str, Any]) -> set[str]:
        return set()


    def returns_row(input: dict[str, Any]) -> Row:
        return Row("x")


    def str_input(input: str) -> str:
        return input


    class Scorer:
        def __call__(self, output: Any, expected: dict[str, Any]) -> tuple[float]:
            return (1.0,)


    def late(input: dict[str, Any]) -> Later:
        return {}


    Later = dict[str, int]


    def unresolvable(input: dict[str, Any]) -> NotDefinedAnywhere:  # noqa: F821
        return {}
"""


@pytest.fixture
def future_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    name = f"phx_future_{abs(hash(str(tmp_path)))}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(FUTURE_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    yield module
    sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        ("good", "task", []),
        ("returns_set", "task", ["PHX201"]),
        ("returns_row", "task", ["PHX201"]),
        ("str_input", "task", ["PHX301"]),
        ("late", "task", []),
        ("unresolvable", "task", []),  # unknown: never reported
    ],
    ids=["typeddict", "set", "dataclass", "input-str", "forward-alias", "unresolvable"],
)
def test_future_annotations_are_resolved(
    future_module: types.ModuleType, name: str, role: str, expected: list[str]
) -> None:
    fn = getattr(future_module, name)
    assert isinstance(inspect.signature(fn).return_annotation, str)
    assert codes(fn, role) == expected


def test_future_annotations_on_a_callable_instance(future_module: types.ModuleType) -> None:
    assert codes(future_module.Scorer(), "evaluator") == ["PHX203"]


def _returning(annotation: object) -> Callable[..., Any]:
    def task(input: dict[str, Any]) -> Any:
        return None

    task.__annotations__ = {"input": dict[str, Any], "return": annotation}
    return task


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (Answer, []),
        (BadAnswer, ["PHX201"]),
        (UserId, []),
        (Literal["yes", "no", 1, None], []),
        (typing.Optional[dict[str, Any]], []),  # noqa: UP045
        (dict[str, Any] | None, []),
        (Annotated[dict[str, int], "meta"], []),
        (Annotated[set[str], "meta"], ["PHX201"]),
        (Pair, []),
        (list[Answer], []),
        (tuple[int, ...], []),
        (Any, []),
        (set[str], ["PHX201"]),
        (frozenset[int], ["PHX201"]),
        (Record, ["PHX201"]),
        (dt.datetime, ["PHX201"]),
        (dict[int, str], ["PHX201"]),
        (list[set[str]], ["PHX201"]),
        (typing.Optional[Record], ["PHX201"]),  # noqa: UP045
    ],
    ids=[
        "typeddict",
        "typeddict-with-set",
        "newtype-str",
        "literal",
        "optional-dict",
        "pep604-optional",
        "annotated-json",
        "annotated-set",
        "namedtuple",
        "list-of-typeddict",
        "variadic-tuple",
        "any",
        "set",
        "frozenset",
        "dataclass",
        "datetime",
        "int-keys",
        "nested-set",
        "optional-dataclass",
    ],
)
def test_task_return_types(annotation: object, expected: list[str]) -> None:
    assert codes(_returning(annotation)) == expected


def _evaluator_returning(annotation: object) -> Callable[..., Any]:
    def ev(output: Any, expected: Any) -> Any:
        return None

    ev.__annotations__ = {"output": Any, "expected": Any, "return": annotation}
    return ev


@pytest.mark.parametrize(
    ("annotation", "profile", "expected"),
    [
        (float, "latest", []),
        (bool, "latest", []),
        (str, "latest", []),
        (dict[str, Any], "latest", []),
        (tuple[float, str], "latest", []),
        (tuple[float, str, str], "latest", []),
        (None, "latest", ["PHX202"]),
        (type(None), "latest", ["PHX202"]),
        (list[float], "latest", ["PHX202"]),
        (tuple[float], "latest", ["PHX203"]),
        (tuple[float, str, str, str], "latest", ["PHX203"]),
        (tuple[float, ...], "latest", ["PHX203"]),
        (dict[str, Any], "legacy", ["PHX202"]),
        (tuple[float, str], "legacy", []),
        (tuple[float, str, str], "legacy", ["PHX203"]),
    ],
    ids=[
        "float",
        "bool",
        "str",
        "dict",
        "score-label",
        "score-label-explanation",
        "none",
        "nonetype",
        "list-of-float",
        "one-tuple",
        "four-tuple",
        "variadic-tuple",
        "legacy-dict",
        "legacy-two-tuple",
        "legacy-three-tuple",
    ],
)
def test_evaluator_return_types(annotation: object, profile: str, expected: list[str]) -> None:
    assert codes(_evaluator_returning(annotation), "evaluator", profile=profile) == expected


def _annotated(**annotations: object) -> Callable[..., Any]:
    names = list(annotations)
    fn = eval(f"lambda {', '.join(names)}: None")
    fn.__annotations__ = dict(annotations)
    return fn  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("role", "annotations", "expected"),
    [
        ("task", {"input": str}, ["PHX301"]),
        ("task", {"input": dict[str, Any]}, []),
        ("task", {"input": Mapping[str, Any]}, []),
        ("task", {"input": Any}, []),
        ("task", {"question": str}, ["PHX301"]),  # a lone parameter receives `input`
        ("task", {"input": dict[str, Any], "expected": list[str]}, ["PHX301"]),
        ("task", {"example": Mapping[str, Any]}, []),
        ("evaluator", {"output": str}, []),
        ("evaluator", {"output": Any, "trace_id": int}, ["PHX301"]),
        ("evaluator", {"output": Any, "trace_id": str | None}, []),
    ],
    ids=[
        "input-str",
        "input-dict",
        "input-mapping",
        "input-any",
        "single-question-str",
        "expected-list",
        "example-mapping",
        "evaluator-output-str",
        "trace-id-int",
        "trace-id-optional-str",
    ],
)
def test_bound_value_type_mismatch(
    role: str, annotations: dict[str, object], expected: list[str]
) -> None:
    assert codes(_annotated(**annotations), role) == expected


# --------------------------------------------------------------------------------------------
# Profiles


def ev_output_example(output: Any, example: Any) -> float:
    return 1.0


def ev_output_trace_id(output: Any, trace_id: Any) -> float:
    return 1.0


@pytest.mark.parametrize(
    ("fn", "profile", "expected"),
    [
        (ev_output_example, "legacy", ["PHX002"]),
        (ev_output_example, "1.21", ["PHX002"]),
        (ev_output_example, "2.3", []),
        (ev_output_example, "latest", []),
        (ev_output_trace_id, "legacy", ["PHX002"]),
        (ev_output_trace_id, "1.21", ["PHX002"]),
        (ev_output_trace_id, "2.3", ["PHX002"]),
        (ev_output_trace_id, "latest", []),
    ],
    ids=[
        "example-legacy",
        "example-1.21",
        "example-2.3",
        "example-latest",
        "trace_id-legacy",
        "trace_id-1.21",
        "trace_id-2.3",
        "trace_id-latest",
    ],
)
def test_evaluator_names_per_profile(
    fn: Callable[..., Any], profile: str, expected: list[str]
) -> None:
    assert codes(fn, "evaluator", profile=profile) == expected


def test_binding_error_per_profile() -> None:
    with pytest.raises(BindingError):
        bind_evaluator(ev_output_example, output=1, example=make_example(), profile="1.21")
    bound = bind_evaluator(ev_output_example, output=1, example=make_example(), profile="2.3")
    assert dict(bound.arguments["example"]) == make_example()


def test_single_example_parameter_gets_the_output_before_1_22() -> None:
    def ev(example: Any) -> float:
        return 1.0

    old = bind_evaluator(ev, output={"o": 1}, example=make_example(), profile="1.21")
    new = bind_evaluator(ev, output={"o": 1}, example=make_example(), profile="latest")
    assert old.args == ({"o": 1},)
    assert dict(new.args[0]) == make_example()


TASK_SHAPES: list[Callable[..., Any]] = [
    lambda input: 1,
    lambda example: 1,
    lambda input, expected, reference, metadata, example: 1,
    lambda input, output=None: 1,
    lambda input, output: 1,
    lambda input, trace_id: 1,
    lambda x, y: 1,
    lambda *args, **kwargs: 1,
    lambda input, **kwargs: 1,
    lambda *, input: 1,
    lambda: 1,
]


@pytest.mark.parametrize("task", TASK_SHAPES, ids=[str(inspect.signature(t)) for t in TASK_SHAPES])
def test_tasks_are_judged_alike_on_every_profile(task: Callable[..., Any]) -> None:
    found = {p: codes(task, "task", profile=p) for p in ("legacy", "1.21", "2.3", "latest")}
    assert len({tuple(v) for v in found.values()}) == 1, found


# --------------------------------------------------------------------------------------------
# Binding: ours against Phoenix's


def _p_input_x_expected(input, x=1, expected=None):  # type: ignore[no-untyped-def]
    return input


def _p_posonly_single(input, /):  # type: ignore[no-untyped-def]
    return input


def _p_kwonly(*, input, expected):  # type: ignore[no-untyped-def]
    return input


def _p_mixed(input, *, metadata, reference=None):  # type: ignore[no-untyped-def]
    return input


def _p_var_metadata(*metadata, **kw):  # type: ignore[no-untyped-def]
    return kw


TASK_BINDINGS: dict[str, Callable[..., Any]] = {
    "input": lambda input: input,
    "expected": lambda expected: expected,
    "reference": lambda reference: reference,
    "metadata": lambda metadata: metadata,
    "example": lambda example: example,
    "typo-gets-input": lambda inputs: inputs,
    "output-gets-input": lambda output: output,
    "default-ignored": lambda x=5: x,
    "star-args": lambda *args: args,
    "posonly-single": _p_posonly_single,
    "input-expected": lambda input, expected: (input, expected),
    "gap-keeps-keyword": _p_input_x_expected,
    "keyword-only": _p_kwonly,
    "mixed-kinds": _p_mixed,
    "kwargs-gets-nothing": lambda input, **kwargs: kwargs,
    "output-default-stays": lambda input, output=None: output,
    "all-defaults": lambda x=1, y=2: (x, y),
    "all-five": lambda example, input, metadata, reference, expected: 1,
    "var-metadata-into-kwargs": _p_var_metadata,
    "bound-method": Holder().method,
    "callable-instance": CallableTask(),
    "partial-keyword": functools.partial(lambda input, expected: 1, expected="fixed"),
}


@pytest.mark.parametrize("task", list(TASK_BINDINGS.values()), ids=list(TASK_BINDINGS))
def test_bind_task_matches_phoenix(task: Callable[..., Any]) -> None:
    ours = bind_task(task, make_example())
    theirs = _bind_task_signature(inspect.signature(task), make_example())
    same_binding(ours, theirs)


def _e_everything(input, output, expected, reference, metadata, example, trace_id):  # type: ignore[no-untyped-def]
    return 1.0


def _e_output_var_input(output, **input):  # type: ignore[no-untyped-def]
    return 1.0


def _e_kwonly(output, *, expected, trace_id=None):  # type: ignore[no-untyped-def]
    return 1.0


EVALUATOR_BINDINGS: dict[str, Callable[..., Any]] = {
    "output": lambda output: output,
    "x-gets-output": lambda x: x,
    "input": lambda input: input,
    "expected": lambda expected: expected,
    "example": lambda example: example,
    "trace_id": lambda trace_id: trace_id,
    "star-args": lambda *args: args,
    "output-expected": lambda output, expected: 1.0,
    "everything": _e_everything,
    "output-var-input": _e_output_var_input,
    "keyword-only": _e_kwonly,
    "output-with-default": lambda output, threshold=0.5: 1.0,
    "all-defaults": lambda a=1, b=2: 1.0,
}


@pytest.mark.parametrize("trace_id", [TRACE_ID, None], ids=["trace", "no-trace"])
@pytest.mark.parametrize(
    "evaluator", list(EVALUATOR_BINDINGS.values()), ids=list(EVALUATOR_BINDINGS)
)
def test_bind_evaluator_matches_phoenix(
    evaluator: Callable[..., Any], trace_id: str | None
) -> None:
    output = {"answer": "4", "steps": [1, 2]}
    ours = bind_evaluator(evaluator, output=output, example=make_example(), trace_id=trace_id)
    theirs = phoenix_evaluator_binding(evaluator, output, make_example(), trace_id)
    same_binding(ours, theirs)


def test_output_var_input_receives_a_dict_like_phoenix() -> None:
    bound = bind_evaluator(_e_output_var_input, output=1, example=make_example())
    assert bound.kwargs == {"input": make_example()["input"]}


@pytest.mark.parametrize(
    ("name", "source"),
    [("input", "input"), ("expected", "output"), ("reference", "output"), ("metadata", "metadata")],
    ids=["input", "expected", "reference", "metadata"],
)
def test_task_values_are_copies(name: str, source: str) -> None:
    example = make_example()
    snapshot = copy.deepcopy(example)
    task = eval(f"lambda {name}, example: None")
    bound = bind_task(task, example)
    value = bound.arguments[name]
    assert value == example[source]
    assert value is not example[source]
    value["mutated"] = True
    for item in value.values():
        if isinstance(item, list):
            item.append("mutated")
    assert example == snapshot


def test_expected_and_reference_are_separate_copies() -> None:
    bound = bind_task(lambda expected, reference: None, make_example())
    assert bound.arguments["expected"] is not bound.arguments["reference"]
    bound.arguments["expected"]["answer"] = "5"
    assert bound.arguments["reference"]["answer"] == "4"


def test_evaluator_output_is_copied_trace_id_is_not() -> None:
    output = {"answer": ["4"]}
    bound = bind_evaluator(
        lambda output, trace_id: 1, output=output, example=make_example(), trace_id=TRACE_ID
    )
    assert bound.arguments["output"] == output
    assert bound.arguments["output"] is not output
    bound.arguments["output"]["answer"].append("5")
    assert output == {"answer": ["4"]}
    assert bound.arguments["trace_id"] is TRACE_ID


def test_copies_keep_shared_references_like_deepcopy() -> None:
    shared = [1, 2]
    example = {"input": {"a": shared, "b": shared}, "output": None, "metadata": {}}
    value = bind_task(lambda input: input, example).args[0]
    assert value["a"] is value["b"]
    assert value["a"] is not shared


@pytest.mark.parametrize(
    "value",
    [
        {"t": (1, 2), "s": {1, 2}, "f": frozenset({3}), "b": b"x", "c": 1 + 2j, "n": None},
        {"d": dt.datetime(2024, 1, 1), "dec": __import__("decimal").Decimal("1.10")},
        {"nested": [[{"deep": [1.5, True, "x"]}]]},
    ],
    ids=["marshal-types", "objects", "nested"],
)
def test_copies_equal_deepcopy_in_type_and_value(value: dict[str, Any]) -> None:
    bound = bind_task(lambda input: input, {"input": value, "output": None, "metadata": None})
    copied = bound.args[0]
    expected = copy.deepcopy(value)
    assert copied == expected
    assert {k: type(v) for k, v in copied.items()} == {k: type(v) for k, v in expected.items()}


# ExampleProxy


def test_example_proxy_attribute_and_mapping_access() -> None:
    example = make_example()
    proxy = ExampleProxy(example)
    assert proxy.id == proxy["id"] == "ex-1"
    assert proxy.input == proxy["input"] == example["input"]
    assert proxy.output == proxy["output"] == example["output"]
    assert proxy.metadata == proxy["metadata"] == example["metadata"]
    assert proxy.get("missing", "d") == "d"
    assert "input" in proxy and "missing" not in proxy
    assert len(proxy) == len(example)
    assert list(proxy) == list(example)
    assert dict(proxy) == example
    assert dict(proxy) == dict(PhoenixExampleProxy(make_example()))
    with pytest.raises(KeyError):
        proxy["missing"]


def test_example_proxy_updated_at_parses_trailing_z() -> None:
    proxy = ExampleProxy(make_example())
    expected = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    assert proxy.updated_at == expected
    assert proxy.updated_at == PhoenixExampleProxy(make_example()).updated_at
    offset = ExampleProxy({**make_example(), "updated_at": "2024-05-01T14:30:00+02:00"})
    assert offset.updated_at == expected


@pytest.mark.parametrize("name", ["input", "id", "_example", "anything"])
def test_example_proxy_is_immutable(name: str) -> None:
    proxy = ExampleProxy(make_example())
    with pytest.raises(AttributeError):
        setattr(proxy, name, {})
    with pytest.raises(AttributeError):
        delattr(proxy, name)
    with pytest.raises(TypeError):
        proxy["input"] = {}  # type: ignore[index]
    assert proxy.input == make_example()["input"]


def test_example_proxy_mutation_does_not_leak() -> None:
    example = make_example()
    snapshot = copy.deepcopy(example)
    first = ExampleProxy(example)
    first.input["question"] = "changed"
    first.input["context"].append({"id": "p2"})
    first["metadata"]["tags"].clear()
    assert first.input["question"] == "changed"  # the task sees its own edits
    second = ExampleProxy(example)
    assert second.input == snapshot["input"]
    assert second.metadata == snapshot["metadata"]
    assert example == snapshot


def test_bound_example_proxy_does_not_leak_between_tasks() -> None:
    example = make_example()

    def mutating(example: Any) -> str:
        example.input["question"] = "mutated"
        return str(example.input["question"])

    def reading(example: Any) -> str:
        return str(example.input["question"])

    assert run_task(mutating, example) == "mutated"
    assert run_task(reading, example) == "2+2?"
    assert example["input"]["question"] == "2+2?"


def test_bind_accepts_a_proxy_or_an_object_as_example() -> None:
    via_proxy = bind_task(lambda input, metadata: 1, ExampleProxy(make_example()))
    via_phoenix = bind_task(lambda input, metadata: 1, PhoenixExampleProxy(make_example()))
    obj = types.SimpleNamespace(**make_example())
    via_object = bind_task(lambda input, metadata: 1, obj)
    for bound in (via_proxy, via_phoenix, via_object):
        assert bound.args == (make_example()["input"], make_example()["metadata"])
    with pytest.raises(TypeError, match="example must be a mapping"):
        bind_task(lambda input: 1, 42)


# --------------------------------------------------------------------------------------------
# Running


def test_run_task_returns_the_output() -> None:
    assert run_task(fn_input, make_example()) == {"answer": "2+2?"}


@pytest.mark.parametrize(
    ("output", "fragment"),
    [
        ({"items": [1, 2, {"x"}]}, 'output["items"][2]: set'),
        ({"score": math.nan}, 'output["score"]: nan'),
        ([1.0, math.inf], "output[1]: inf"),
        ({1: "a"}, "key 1 is a int"),
        ({"when": dt.datetime(2024, 1, 1)}, 'output["when"]: datetime'),
        (Record("x"), "output: Record"),
        ({"a": {"b": [b"x"]}}, 'output["a"]["b"][0]: bytes'),
    ],
    ids=["nested-set", "nan", "inf", "int-key", "datetime", "dataclass", "bytes"],
)
def test_run_task_rejects_non_json_output(output: object, fragment: str) -> None:
    with pytest.raises(OutputError) as info:
        run_task(lambda input: output, make_example())
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "output",
    [None, "s", 1, 1.5, True, [1, "a", None], {"a": [{"b": None}]}, (1, 2)],
    ids=["none", "str", "int", "float", "bool", "list", "nested-dict", "tuple"],
)
def test_run_task_accepts_json_output(output: object) -> None:
    assert run_task(lambda input: output, make_example()) == output


def test_run_task_on_async_task_raises_phx006() -> None:
    with pytest.raises(BindingError) as info:
        run_task(async_task, make_example())
    assert [d.code for d in info.value.diagnostics] == ["PHX006"]


def test_run_task_on_async_call_instance_raises_phx006() -> None:
    class AsyncTask:
        async def __call__(self, input: Any) -> Any:
            return input

    with pytest.raises(BindingError) as info:
        run_task(AsyncTask(), make_example())
    assert [d.code for d in info.value.diagnostics] == ["PHX006"]


def test_run_task_on_unbindable_task_raises_before_calling() -> None:
    calls: list[int] = []

    def bad(input: Any, x: Any) -> Any:
        calls.append(1)

    with pytest.raises(BindingError) as info:
        run_task(bad, make_example())
    assert [d.code for d in info.value.diagnostics] == ["PHX002"]
    assert calls == []


def test_arun_task_awaits() -> None:
    assert asyncio.run(arun_task(async_task, make_example())) == {"answer": "2+2?"}
    assert asyncio.run(arun_task(fn_input, make_example())) == {"answer": "2+2?"}
    with pytest.raises(OutputError):
        asyncio.run(arun_task(lambda input: {"s": {1}}, make_example()))


def _phoenix_evaluations(result: object) -> list[Any]:
    scored = _default_eval_scorer(result)
    return [scored] if isinstance(scored, dict) else list(scored)


SCORER_CASES: dict[str, object] = {
    "true": True,
    "false": False,
    "int": 1,
    "zero": 0,
    "float": 0.25,
    "str": "good",
    "score-label": (0.9, "pass"),
    "score-label-explanation": (0.9, "pass", "because"),
    "str-score": ("0.5", 1),
    "none-none": (None, None),
    "dict": {"score": 1.0, "label": "ok"},
    "dict-unknown-keys": {"foo": "bar"},
    "empty-dict": {},
    "list-of-dicts": [{"score": 1, "name": "m1"}, {"label": "x"}],
    "tuple-of-dicts": ({"score": 1}, {"label": "x"}),
}


@pytest.mark.parametrize("result", list(SCORER_CASES.values()), ids=list(SCORER_CASES))
def test_run_evaluator_matches_phoenix_scorer(result: object) -> None:
    ours = run_evaluator(lambda output: result, output=1, example=make_example())
    assert ours == _phoenix_evaluations(result)


@pytest.mark.parametrize(
    ("result", "fragment"),
    [
        (None, "NoneType"),
        ([0.1, 0.2], "list"),
        ((0.9,), "tuple"),
        ("", "records no evaluation"),
        ([], "records no evaluation"),
        ((), "records no evaluation"),
        (("high", "x"), "not a number"),
        ({"score": "1.0"}, "dict"),
        (math.nan, "nan"),
    ],
    ids=[
        "none",
        "list-of-floats",
        "one-tuple",
        "empty-str",
        "empty-list",
        "empty-tuple",
        "str-score",
        "dict-str-score",
        "nan",
    ],
)
def test_run_evaluator_rejects(result: object, fragment: str) -> None:
    with pytest.raises(OutputError) as info:
        run_evaluator(lambda output: result, output=1, example=make_example())
    assert fragment in str(info.value)


@pytest.mark.parametrize("result", ["", [], ()], ids=["empty-str", "empty-list", "empty-tuple"])
def test_empty_results_are_what_phoenix_silently_drops(result: object) -> None:
    assert _phoenix_evaluations(result) == []
    with pytest.raises(OutputError, match="records no evaluation"):
        run_evaluator(lambda output: result, output=1, example=make_example())


def test_run_evaluator_binds_like_phoenix() -> None:
    seen: dict[str, Any] = {}

    def ev(output: Any, expected: Any, trace_id: Any) -> bool:
        seen.update(output=output, expected=expected, trace_id=trace_id)
        return bool(output == expected)

    result = run_evaluator(ev, output={"answer": "4"}, example=make_example(), trace_id=TRACE_ID)
    assert result == [{"score": 1.0, "label": "True"}]
    assert seen == {"output": {"answer": "4"}, "expected": {"answer": "4"}, "trace_id": TRACE_ID}


def test_run_evaluator_legacy_scorer() -> None:
    assert run_evaluator(
        lambda output: (0.9, "why"), output=1, example=make_example(), profile="legacy"
    ) == [{"score": 0.9, "explanation": "why"}]
    with pytest.raises(OutputError):
        run_evaluator(
            lambda output: {"score": 1.0}, output=1, example=make_example(), profile="legacy"
        )


def test_run_evaluator_on_async_evaluator_raises_phx006() -> None:
    with pytest.raises(BindingError) as info:
        run_evaluator(async_evaluator, output=1, example=make_example())
    assert [d.code for d in info.value.diagnostics] == ["PHX006"]


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_async_call_instance_evaluator_fails_on_both_runners(runner: str) -> None:
    evaluator = AsyncCallableEvaluator()
    with pytest.raises(BindingError) as info:
        if runner == "sync":
            run_evaluator(evaluator, output=1, example=make_example())
        else:
            asyncio.run(arun_evaluator(evaluator, output=1, example=make_example()))
    assert [d.code for d in info.value.diagnostics] == ["PHX202"]


def test_arun_evaluator_awaits() -> None:
    example = make_example()
    result = asyncio.run(arun_evaluator(async_evaluator, output={"answer": "4"}, example=example))
    assert result == [{"score": 1.0}]
    sync = asyncio.run(arun_evaluator(lambda output: "ok", output=1, example=example))
    assert sync == [{"label": "ok"}]


# --------------------------------------------------------------------------------------------
# Bad input: clear errors, never anything else


class SignatureRaises:
    @property
    def __signature__(self) -> inspect.Signature:
        raise RuntimeError("boom")

    def __call__(self, input: Any) -> Any:
        return input


class GetattrRaises:
    """Every attribute inspect looks up raises something other than AttributeError."""

    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        raise self.error(name)

    def __call__(self, input: Any) -> Any:
        return input


NOT_CALLABLE: dict[str, object] = {
    "int": 42,
    "str": "input",
    "none": None,
    "set": {1},
    "generator": (i for i in range(2)),
}


@pytest.mark.parametrize("obj", list(NOT_CALLABLE.values()), ids=list(NOT_CALLABLE))
@pytest.mark.parametrize("role", ["task", "evaluator"])
def test_non_callable_is_reported_as_phx007(
    obj: object, role: Literal["task", "evaluator"]
) -> None:
    """Phoenix's inspect.signature raises TypeError on it: the same finding the linter gives."""
    found = check_callable(obj, role)
    assert [d.code for d in found] == ["PHX007"]
    assert f"{role.capitalize()} is " in found[0].message
    assert "not callable: Phoenix raises TypeError" in found[0].message


@pytest.mark.parametrize("obj", list(NOT_CALLABLE.values()), ids=list(NOT_CALLABLE))
@pytest.mark.parametrize("entry", ["bind_task", "bind_evaluator", "run_task"])
def test_binding_a_non_callable_raises_a_type_error_with_the_finding(
    obj: object, entry: str
) -> None:
    with pytest.raises(TypeError, match="PHX007") as info:
        _call_entry(entry, obj)
    assert isinstance(info.value, BindingError)
    assert [d.code for d in info.value.diagnostics] == ["PHX007"]


def test_a_none_names_none_and_a_string_its_function() -> None:
    assert "`None`" in check_callable(None, "evaluator")[0].message
    assert "not skipped" in check_callable(None, "evaluator")[0].message
    assert "not its name" in check_callable("task", "task")[0].message
    assert "an `int`" in check_callable(1, "task")[0].message


class _EvaluatorObject:
    """Duck-typed like the client's Evaluator protocol: Phoenix uses it as it is."""

    name = "judge"
    kind = "CODE"

    def evaluate(self, **kwargs: Any) -> float:
        return 1.0

    async def async_evaluate(self, **kwargs: Any) -> float:
        return 1.0


def test_an_evaluator_object_is_no_finding_as_an_evaluator_but_is_as_a_task() -> None:
    assert check_callable(_EvaluatorObject(), "evaluator") == []
    assert [d.code for d in check_callable(_EvaluatorObject(), "task")] == ["PHX007"]
    with pytest.raises(TypeError, match="Evaluator object"):
        bind_evaluator(_EvaluatorObject(), output=1, example=make_example())  # type: ignore[arg-type]


def _call_entry(entry: str, obj: Any) -> object:
    if entry == "check_callable":
        return check_callable(obj)
    if entry == "bind_task":
        return bind_task(obj, make_example())
    if entry == "bind_evaluator":
        return bind_evaluator(obj, output=1, example=make_example())
    return run_task(obj, make_example())


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        (str, "cannot read the signature"),
        (int, "cannot read the signature"),
        (SignatureRaises(), "RuntimeError"),
        (GetattrRaises(RuntimeError), "a GetattrRaises object"),
        (GetattrRaises(KeyError), "a GetattrRaises object"),
        (GetattrRaises(ValueError), "a GetattrRaises object"),
    ],
    ids=[
        "str",
        "int",
        "signature-property-raises",
        "getattr-runtime",
        "getattr-key",
        "getattr-value",
    ],
)
@pytest.mark.parametrize("entry", ["check_callable", "bind_task", "bind_evaluator", "run_task"])
def test_unreadable_signature_raises_binding_error(obj: object, fragment: str, entry: str) -> None:
    with pytest.raises(BindingError, match=fragment) as info:
        _call_entry(entry, obj)
    assert isinstance(info.value, ValueError)


def test_print_is_phx005() -> None:
    assert "PHX005" in codes(print)
    with pytest.raises(BindingError) as info:
        bind_task(print, make_example())
    assert "PHX005" in [d.code for d in info.value.diagnostics]


def test_bad_role_and_profile() -> None:
    with pytest.raises(ValueError, match="role must be"):
        check_callable(fn_input, "nonsense")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown Phoenix profile"):
        check_callable(fn_input, profile="9.9")
    with pytest.raises(ValueError, match="unknown Phoenix profile"):
        bind_task(fn_input, make_example(), profile="9.9")
    with pytest.raises(ValueError, match="unknown Phoenix profile"):
        run_evaluator(lambda output: 1, output=1, example={}, profile="nope")


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda: 1, ("PHX001",)),
        (lambda x, y: 1, ("PHX002",)),
        (lambda *, input: 1, ("PHX003",)),
        (_p_posonly_single, None),
        (eval("lambda input, expected, /: 1"), ("PHX004",)),
        (lambda input, *args: 1, ("PHX005",)),
    ],
    ids=["no-params", "unbindable", "kw-only-single", "posonly-single-ok", "posonly", "varargs"],
)
def test_binding_error_carries_diagnostics(
    fn: Callable[..., Any], expected: tuple[str, ...] | None
) -> None:
    if expected is None:
        assert bind_task(fn, make_example()).args == (make_example()["input"],)
        return
    with pytest.raises(BindingError) as info:
        bind_task(fn, make_example())
    assert isinstance(info.value, ValueError)
    assert tuple(d.code for d in info.value.diagnostics) == expected
    assert all(d.severity == "error" for d in info.value.diagnostics)
    assert expected[0] in str(info.value)


def test_warnings_do_not_block_binding() -> None:
    fn = lambda input, metdata=None, **kw: 1  # noqa: E731
    assert codes(fn) == ["PHX101", "PHX102"]
    assert bind_task(fn, make_example()).args == (make_example()["input"],)


def test_public_api_is_exported() -> None:
    for name in phx_tasklint._RUNTIME:
        assert getattr(phx_tasklint, name) is getattr(phx_tasklint.runtime, name)


# Regressions: copies keep the types deepcopy keeps


BUFFER_VALUES: dict[str, Callable[[], object]] = {
    "bytearray": lambda: bytearray(b"ab"),
    "array.array": lambda: array.array("i", [1, 2]),
    "numpy-array": lambda: pytest.importorskip("numpy").array([1, 2]),
    "numpy-float64": lambda: pytest.importorskip("numpy").float64(0.5),
}


@pytest.mark.parametrize("make", list(BUFFER_VALUES.values()), ids=list(BUFFER_VALUES))
def test_buffer_objects_keep_their_type(make: Callable[[], object]) -> None:
    """Regression (binder._copy): marshal serialises any buffer-protocol object as `bytes`.

    Input: an example whose `input` holds a bytearray, array.array, numpy array or numpy
    scalar. Phoenix deep-copies `input` and the value keeps its type; ours comes back as raw
    `bytes` (e.g. np.array([1, 2]) -> b'\\x01\\x00...'). `_copy` must fall back to deepcopy
    for anything but exact JSON/marshal-native types.
    """
    example: Any = {"input": {"v": make()}, "output": None, "metadata": {}}
    theirs = _bind_task_signature(inspect.signature(lambda input: input), example).args[0]["v"]
    ours = bind_task(lambda input: input, example).args[0]["v"]
    assert type(theirs) is not bytes
    assert type(ours) is type(theirs)


def test_numpy_output_reaches_evaluator_unchanged() -> None:
    """Regression (binder._copy): `output=np.float64(0.5)` once reached the evaluator as bytes.

    Phoenix: deepcopy keeps np.float64 (a float subclass), the scorer records {'score': 0.5}.
    Marshal turned it into b'\\x00\\x00\\x00\\x00\\x00\\x00\\xe0?' and the scorer rejects it.
    """
    np = pytest.importorskip("numpy")
    value = np.float64(0.5)
    theirs = phoenix_evaluator_binding(lambda output: output, value, make_example(), None)
    assert _phoenix_evaluations(theirs.args[0]) == [{"score": 0.5}]
    assert run_evaluator(lambda output: output, output=value, example=make_example()) == [
        {"score": 0.5}
    ]


# --------------------------------------------------------------------------------------------
# Known bugs: these tests fail until binder.py / values.py is fixed.


@dataclasses.dataclass
class Score:
    """Shaped like phoenix-evals' Score: satisfies the client's EvaluationScore protocol."""

    name: str | None = "relevance"
    score: float | None = 0.5
    label: str | None = "relevant"
    explanation: str | None = "because"
    metadata: dict[str, Any] = dataclasses.field(default_factory=lambda: {"model": "m"})
    source: str = "llm"
    direction: str = "maximize"


@pytest.mark.parametrize(
    "result", [Score(), [Score(), Score(name="b", score=None)]], ids=["score", "list-of-scores"]
)
def test_no_regression_score_objects_lose_label_explanation_name(result: object) -> None:
    """BUG (values.score_value): a Score object keeps only `score`.

    Phoenix (`_score_to_experiment_evaluation`) keeps score, and label / explanation / name /
    metadata when truthy: {'score': 0.5, 'label': 'relevant', 'explanation': 'because',
    'name': 'relevance', 'metadata': {'model': 'm'}}. Ours: [{'score': 0.5}].
    """
    ours = run_evaluator(lambda output: result, output=1, example=make_example())
    assert ours == _phoenix_evaluations(result)


def test_no_regression_evaluation_dict_with_mapping_metadata_is_rejected() -> None:
    """BUG (values._is_evaluation_dict): `metadata` must be a dict; Phoenix accepts any Mapping.

    Input {'score': 1.0, 'metadata': MappingProxyType({'k': 1})}: Phoenix records it as-is;
    ours raises OutputError "dict is not a result Phoenix's default scorer accepts".
    """
    result = {"score": 1.0, "metadata": types.MappingProxyType({"k": 1})}
    assert _phoenix_evaluations(result) == [result]
    assert run_evaluator(lambda output: result, output=1, example=make_example()) == [result]


class traced:  # a class used as a decorator, named like one
    """A class-based decorator that copies the wrapped function's metadata (update_wrapper)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


@traced
def traced_set_task(input: dict[str, Any]) -> set[str]:
    return set()


def test_no_regression_class_decorator_annotations_come_from_call() -> None:
    """BUG (binder._annotation_source): hints are read from `traced.__call__`, not `__wrapped__`.

    inspect.signature (and so Phoenix) follows `__wrapped__` and shows
    `(input: dict[str, Any]) -> set[str]`, but `_annotation_source` prefers the instance's
    `__call__` (annotated `(*args: Any, **kwargs: Any) -> Any`), whose `-> Any` overrides the
    real return annotation: expected ['PHX201'], got []. (With `from __future__ import
    annotations` the parameter annotations are lost the same way.)
    """
    assert inspect.signature(traced_set_task).return_annotation == set[str]
    assert codes(traced_set_task) == ["PHX201"]


def run_sync(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


@run_sync
async def synced_evaluator(output: Any) -> float:
    return 1.0


def test_no_regression_sync_wrapper_that_runs_the_coroutine_is_reported() -> None:
    """BUG (binder._returns_awaitable): any sync `wraps` wrapper of an `async def` is assumed
    to return a coroutine, so `check_callable` reports PHX202 (evaluator) / PHX006 (task, sync
    client) for a wrapper that runs it with `asyncio.run` -- a false positive from missing
    information (DESIGN.md §2). Phoenix runs it fine, and so does our own `run_evaluator`.
    """
    assert run_evaluator(synced_evaluator, output=1, example=make_example()) == [{"score": 1.0}]
    assert _phoenix_evaluations(synced_evaluator(1)) == [{"score": 1.0}]
    assert codes(synced_evaluator, "evaluator") == []
    assert codes(synced_evaluator, "task", sync_client=True) == []


CYCLIC = {
    "list-in-input": (
        "c = []; c.append(c)\n"
        "v = bind_task(lambda input: input, ex(input={'c': c})).args[0]['c']\n"
        "assert v[0] is v and v is not c"
    ),
    "dict-in-metadata": (
        "d = {}; d['self'] = d\n"
        "v = bind_task(lambda metadata: metadata, ex(metadata=d)).args[0]\n"
        "assert v['self'] is v and v is not d"
    ),
    "evaluator-output": (
        "c = [1]; c.append(c)\n"
        "v = bind_evaluator(lambda output: output, output=c, example=ex()).args[0]\n"
        "assert v[1] is v and v is not c"
    ),
}


@pytest.mark.parametrize("code", list(CYCLIC.values()), ids=list(CYCLIC))
def test_no_regression_cyclic_value_hangs_the_copy(code: str) -> None:
    """BUG (binder._plain_json, added while this suite was written): the pre-scan that decides
    whether marshal may copy a value walks containers with an explicit stack and no `seen` set,
    so a self-referencing list or dict loops forever: `bind_task(lambda input: input,
    {"input": {"c": c}})` with `c = []; c.append(c)` never returns. Phoenix's deepcopy (and our
    previous marshal-only `_copy`) copy cycles. Run in a subprocess so the hang is a failure.
    """
    script = (
        "from phx_tasklint import bind_task, bind_evaluator\n"
        "def ex(**fields): return {'input': {}, 'output': None, 'metadata': None, **fields}\n"
        f"{code}\nprint('ok')\n"
    )
    root = Path(__file__).resolve().parents[1]
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        pytest.fail("binding a cyclic value did not return within 10 s (infinite loop)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


# --------------------------------------------------------------------------------------------
# Examples missing a field: Phoenix reads input, output and metadata before binding anything


MISSING_FIELDS = [
    ("output",),
    ("metadata",),
    ("input",),
    ("input", "output"),
    ("output", "metadata"),
]


def _without(*fields: str) -> dict[str, Any]:
    example = make_example()
    for name in fields:
        del example[name]
    return example


@pytest.mark.parametrize("missing", MISSING_FIELDS, ids="-".join)
@pytest.mark.parametrize("task", [fn_input, lambda example: 0, lambda input, metadata: 0])
def test_task_example_missing_a_field_raises_like_phoenix(
    missing: tuple[str, ...], task: Callable[..., Any]
) -> None:
    phoenix = phoenix_task_verdict(task, _without(*missing), sync_client=True)
    assert phoenix.stage == "bind"
    with pytest.raises(KeyError) as info:
        bind_task(task, _without(*missing))
    assert repr(info.value) == phoenix.error
    with pytest.raises(KeyError):
        run_task(task, _without(*missing))


@pytest.mark.parametrize("missing", MISSING_FIELDS, ids="-".join)
@pytest.mark.parametrize("evaluator", [lambda output: 1.0, lambda output, expected: 1.0])
def test_evaluator_example_missing_a_field_raises_like_phoenix(
    missing: tuple[str, ...], evaluator: Callable[..., Any]
) -> None:
    example = _without(*missing)
    phoenix = phoenix_evaluator_verdict(
        evaluator, output=1, example=example, trace_id=TRACE_ID, sync_client=True
    )
    assert phoenix.stage == "bind"
    with pytest.raises(KeyError) as info:
        bind_evaluator(evaluator, output=1, example=example, trace_id=TRACE_ID)
    assert repr(info.value) == phoenix.error
    with pytest.raises(KeyError):
        run_evaluator(evaluator, output=1, example=example)


# --------------------------------------------------------------------------------------------
# The plan cache: it neither keeps a callable alive nor outlives a change to it


MiB = 1 << 20


def _traced_growth(run: Callable[[], None]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_plans_do_not_keep_600_partials_and_their_data_alive() -> None:
    refs: list[weakref.ref[Any]] = []

    def run() -> None:
        for i in range(600):
            task = functools.partial(task_with_blob, blob=bytearray(MiB), tag=i)
            assert bind_task(task, make_example()).arguments["input"]["question"] == "2+2?"
            run_task(task, make_example())
            refs.append(weakref.ref(task))

    assert _traced_growth(run) < 16 * MiB
    assert [r for r in refs if r() is not None] == []


def task_with_blob(input: dict[str, Any], *, blob: bytearray, tag: int) -> int:
    return len(input) + len(blob) + tag


def test_plans_do_not_keep_functions_or_method_owners_alive() -> None:
    refs: list[weakref.ref[Any]] = []

    def run() -> None:
        for _ in range(200):
            holder = BlobHolder()
            bind_task(holder.task, make_example())
            bind_evaluator(holder.evaluate, output=1, example=make_example())
            local = eval("lambda input, blob=bytearray(1 << 20): input")  # a fresh code object
            bind_task(local, make_example())
            refs.extend((weakref.ref(holder), weakref.ref(local)))

    assert _traced_growth(run) < 16 * MiB
    assert [r for r in refs if r() is not None] == []


class BlobHolder:
    def __init__(self) -> None:
        self.blob = bytearray(MiB)

    def task(self, input: Any, expected: Any) -> Any:
        return input

    def evaluate(self, output: Any) -> float:
        return 1.0


def _phoenix_agrees(task: Callable[..., Any]) -> None:
    """Our binding of `task` *now* is Phoenix's: the same arguments, or an error where it fails
    before calling the task."""
    phoenix = phoenix_task_verdict(task, make_example(), sync_client=True)
    if phoenix.stage in ("signature", "validate", "bind"):
        with pytest.raises(Exception) as info:
            bind_task(task, make_example())
        assert isinstance(info.value, (BindingError, TypeError)), info.value
        return
    assert phoenix.bound
    ours = bind_task(task, make_example())
    assert plain(ours.args) == plain(phoenix.args)
    assert plain(ours.kwargs) == plain(phoenix.kwargs)


def _stale_defaults() -> Callable[..., Any]:
    def task(input: Any, extra: int = 1) -> Any:
        return input

    plan_now(task)
    task.__defaults__ = None  # `extra` has no default now: Phoenix rejects it
    return task


def _stale_kwdefaults_replaced() -> Callable[..., Any]:
    def task(input: Any, *, extra: int = 1) -> Any:
        return input

    plan_now(task)
    task.__kwdefaults__ = None
    return task


def _stale_kwdefaults_edited() -> Callable[..., Any]:
    def task(input: Any, *, extra: int = 1) -> Any:
        return input

    plan_now(task)
    assert task.__kwdefaults__ is not None
    del task.__kwdefaults__["extra"]
    return task


def _stale_code() -> Callable[..., Any]:
    def task(input: Any) -> Any:
        return input

    def other(input: Any, expected: Any, metadata: Any) -> Any:
        return input

    plan_now(task)
    task.__code__ = other.__code__
    return task


def _stale_signature() -> Callable[..., Any]:
    def task(*args: Any, **kwargs: Any) -> Any:
        return args, kwargs

    plan_now(lambda input: input)  # unrelated, for a warm cache
    plan_now(task)  # (*args, **kwargs) is rejected ...
    task.__signature__ = inspect.signature(lambda input, expected: 0)  # type: ignore[attr-defined]
    return task  # ... and now binds input and expected by keyword


def _stale_wrapped() -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return args, kwargs

    def first(input: Any) -> Any:
        return input

    def second(input: Any, metadata: Any, example: Any) -> Any:
        return input

    wrapper.__wrapped__ = first  # type: ignore[attr-defined]
    plan_now(wrapper)
    wrapper.__wrapped__ = second  # type: ignore[attr-defined]
    return wrapper


def _stale_wrapped_target() -> Callable[..., Any]:
    def target(input: Any, extra: int = 1) -> Any:
        return input

    @functools.wraps(target)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return target(*args, **kwargs)

    plan_now(wrapper)
    target.__defaults__ = None  # the wrapper is unchanged; what it wraps is not
    return wrapper


def _stale_partial_keywords() -> Callable[..., Any]:
    def target(input: Any, extra: int) -> Any:
        return input

    task = functools.partial(target, extra=1)
    plan_now(task)
    task.keywords.clear()  # the dict is the partial's own: `extra` is required again
    return task


def _stale_partial_state() -> Callable[..., Any]:
    def target(input: Any) -> Any:
        return input

    def other(input: Any, expected: Any, extra: int) -> Any:
        return input

    task = functools.partial(target)
    plan_now(task)
    task.__setstate__((other, (), {}, None))
    return task


def _stale_method() -> Callable[..., Any]:
    class MethodOwner:
        def task(self, input: Any, extra: int = 1) -> Any:
            return input

    owner = MethodOwner()
    plan_now(owner.task)
    func: Any = MethodOwner.task
    func.__defaults__ = None
    return owner.task


class CallChanges:
    def __call__(self, input: Any) -> Any:
        return input


def _stale_class_call() -> Callable[..., Any]:
    class Local(CallChanges):
        pass

    task = Local()
    plan_now(task)
    Local.__call__ = lambda self, input, extra: input  # type: ignore[method-assign]
    return task


class SlotsCall:
    __slots__ = ()  # no __weakref__: cannot be referenced weakly

    def __call__(self, input: Any) -> Any:
        return input


def _stale_slots_class_call() -> Callable[..., Any]:
    class Local(SlotsCall):
        __slots__ = ()

    task = Local()
    with pytest.raises(TypeError):
        weakref.ref(task)
    plan_now(task)
    Local.__call__ = lambda self, input, extra: input  # type: ignore[method-assign]
    return task


def _stale_instance_signature() -> Callable[..., Any]:
    task = CallChanges()
    plan_now(task)
    task.__signature__ = inspect.signature(lambda input, output: 0)  # type: ignore[attr-defined]
    return task


def plan_now(task: Callable[..., Any]) -> None:
    """Plan `task` as it is now (and as Phoenix would bind it now), before the test changes it."""
    _phoenix_agrees(task)


STALE = {
    "defaults": _stale_defaults,
    "kwdefaults-replaced": _stale_kwdefaults_replaced,
    "kwdefaults-edited-in-place": _stale_kwdefaults_edited,
    "code": _stale_code,
    "signature-attribute": _stale_signature,
    "wrapped-reassigned": _stale_wrapped,
    "wrapped-target-changed": _stale_wrapped_target,
    "partial-keywords-edited": _stale_partial_keywords,
    "partial-setstate": _stale_partial_state,
    "bound-method-function-changed": _stale_method,
    "class-call-changed": _stale_class_call,
    "slots-class-call-changed": _stale_slots_class_call,
    "instance-signature-set": _stale_instance_signature,
}


@pytest.mark.parametrize("make", list(STALE.values()), ids=list(STALE))
def test_changed_callable_is_bound_as_phoenix_binds_it_now(
    make: Callable[[], Callable[..., Any]],
) -> None:
    task = make()
    _phoenix_agrees(task)
    _phoenix_agrees(task)  # and again, from whatever the first call cached


# --------------------------------------------------------------------------------------------
# Classes handed over as evaluators: Phoenix calls the class and scores the instance


class _Grader:  # `evaluators=[_Grader]` where `_Grader()` was meant
    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, output: Any) -> bool:
        return True


class _NoInit:
    def __call__(self, output: Any) -> bool:
        return True


class _ScoreLike:  # every attribute of the client's EvaluationScore protocol
    def __init__(self, output: Any) -> None:
        self.name = "score-like"
        self.score = 1.0
        self.label = "ok"
        self.explanation = None
        self.metadata: dict[str, Any] = {}
        self.source = "code"
        self.direction = "maximize"


class _Helped:  # hands itself to a helper, which may set anything
    def __init__(self, output: Any) -> None:
        _fill(self)


def _fill(obj: Any) -> None:
    for name in ("name", "score", "label", "explanation", "metadata", "source", "direction"):
        setattr(obj, name, None)


class _DictResult(dict):  # type: ignore[type-arg]
    def __init__(self, output: Any) -> None:
        super().__init__(score=1.0)


class _TupleResult(tuple):  # type: ignore[type-arg]
    def __new__(cls, output: Any) -> "_TupleResult":
        return super().__new__(cls, (1.0, "ok"))


CLASSES: dict[str, tuple[type, set[str]]] = {
    "plain": (_Grader, {"PHX202"}),
    "no-init": (_NoInit, {"PHX001", "PHX202"}),
    "score-like": (_ScoreLike, set()),
    "hands-itself-on": (_Helped, set()),
    "dict-subclass": (_DictResult, set()),
    "tuple-subclass": (_TupleResult, set()),
}


@pytest.mark.parametrize(("cls", "codes"), list(CLASSES.values()), ids=list(CLASSES))
def test_a_class_handed_as_an_evaluator_is_judged_by_its_instances(
    cls: type, codes: set[str]
) -> None:
    found = {d.code for d in check_callable(cls, "evaluator")}
    assert found == codes
    phoenix = phoenix_runner_error(
        cls, "evaluator", example=EXAMPLE, output={"a": 1}, sync_client=True
    )
    assert (phoenix is not None) == bool(codes), phoenix
    if codes == {"PHX202"}:
        assert phoenix is not None and "Unsupported evaluation result type" in phoenix
