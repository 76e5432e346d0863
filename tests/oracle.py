"""Phoenix's own verdict on a task or evaluator, from the installed arize-phoenix-client.

`phoenix_task_verdict` / `phoenix_evaluator_verdict` replay, stage by stage, what the client's
per-example runners do (`Experiments._run_single_task_{sync,async}`,
`_run_single_evaluation_{sync,async}` after `_evaluators_by_name`), using the client's real
validation and binding functions, so a failure says *where* Phoenix fails and a success carries
the bound arguments. `phoenix_runner_error` runs those real per-example runner methods themselves
(dry run, no HTTP); the tests use it to check that the staged replay is faithful.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from phoenix.client import AsyncClient, Client
from phoenix.client.resources.experiments import (  # type: ignore[attr-defined]
    DRY_RUN,
    _bind_task_signature,
    _evaluators_by_name,
    _get_tracer,
    _validate_task_signature,
)
from phoenix.client.resources.experiments.evaluators import (
    _bind_evaluator_signature,
    _default_eval_scorer,
    validate_evaluator_signature,
)
from phoenix.client.resources.experiments.types import TestCase

Stage = Literal["signature", "validate", "bind", "call"]

EXAMPLE: dict[str, Any] = {
    "id": "ex-1",
    "input": {"question": "What is 2 + 2?", "tags": ["math"]},
    "output": {"answer": "4"},
    "metadata": {"source": "unit", "difficulty": 1},
    "updated_at": "2024-01-01T00:00:00Z",
}
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"

# The client's messages for an async callable on the sync `Client` (raised inline in
# `_run_single_task_sync` and in `SyncEvaluator`'s twin `AsyncEvaluator.evaluate`).
SYNC_ASYNC_TASK_ERROR = (
    "Task is async and cannot be run within sync implementation. Use the AsyncClient instead."
)
SYNC_ASYNC_EVALUATOR_ERROR = "Async evaluator must use async_evaluate"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    stage: Stage | None  # where Phoenix failed; None when it did not
    error: str | None  # repr of the exception
    bound: bool = False  # whether Phoenix got as far as binding (args/kwargs are meaningful)
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def _fail(stage: Stage, exc: BaseException, bound: inspect.BoundArguments | None = None) -> Verdict:
    if bound is None:
        return Verdict(False, stage, repr(exc))
    return Verdict(False, stage, repr(exc), True, bound.args, bound.kwargs)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _discard(result: object) -> None:
    """Close a coroutine Phoenix never awaits, so the test run has no 'never awaited' warnings."""
    if isinstance(result, Coroutine):
        result.close()


def phoenix_task_verdict(
    fn: Callable[..., Any], example: dict[str, Any], *, sync_client: bool
) -> Verdict:
    """What one example does to `fn` as a task under `Client` (sync) or `AsyncClient`."""
    try:
        sig = inspect.signature(fn)
    except Exception as exc:
        return _fail("signature", exc)
    try:
        _validate_task_signature(sig)
    except Exception as exc:
        return _fail("validate", exc)
    try:
        bound = _bind_task_signature(sig, example)  # type: ignore[arg-type]
    except Exception as exc:
        return _fail("bind", exc)
    try:
        result = fn(*bound.args, **bound.kwargs)
        # Both runners test the *result*, not the function: `isinstance(_output, Awaitable)`.
        if isinstance(result, Awaitable):
            if sync_client:
                _discard(result)
                raise RuntimeError(SYNC_ASYNC_TASK_ERROR)
            asyncio.run(_await(result))
    except Exception as exc:
        return _fail("call", exc, bound)
    return Verdict(True, None, None, True, bound.args, bound.kwargs)


def evaluator_kwargs(
    *, output: Any, example: dict[str, Any], trace_id: str | None
) -> dict[str, Any]:
    """The keywords both runners pass to `Evaluator.evaluate` / `async_evaluate`."""
    return {
        "output": output,
        "expected": example["output"],
        "reference": example["output"],
        "input": example["input"],
        "metadata": example["metadata"],
        "example": example,
        "trace_id": trace_id,
    }


def phoenix_evaluator_verdict(
    fn: Callable[..., Any],
    *,
    output: Any,
    example: dict[str, Any],
    trace_id: str | None,
    sync_client: bool,
) -> Verdict:
    """What one evaluation does to the function `fn` under `Client` (sync) or `AsyncClient`."""
    try:
        sig = inspect.signature(fn)
    except Exception as exc:
        return _fail("signature", exc)
    try:
        validate_evaluator_signature(sig)
    except Exception as exc:
        return _fail("validate", exc)
    # `create_evaluator` picks the wrapper class by `inspect.iscoroutinefunction`; the async
    # wrapper's `evaluate` (used by the sync runner) raises before binding anything.
    is_async = inspect.iscoroutinefunction(fn)
    if is_async and sync_client:
        return _fail("call", NotImplementedError(SYNC_ASYNC_EVALUATOR_ERROR))
    try:
        kwargs = evaluator_kwargs(output=output, example=example, trace_id=trace_id)
        bound = _bind_evaluator_signature(sig, **kwargs)
    except Exception as exc:
        return _fail("bind", exc)
    try:
        result = fn(*bound.args, **bound.kwargs)
        if is_async:
            result = asyncio.run(_await(result))
        _default_eval_scorer(result)
    except Exception as exc:
        return _fail("call", exc, bound)
    return Verdict(True, None, None, True, bound.args, bound.kwargs)


# --- the real per-example runners --------------------------------------------------------------


def _no_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a dry run made an HTTP request: {request.method} {request.url}")


_BASE_URL = "http://phoenix.invalid"
_sync_client = Client(
    base_url=_BASE_URL,
    http_client=httpx.Client(base_url=_BASE_URL, transport=httpx.MockTransport(_no_http)),
)
_async_client = AsyncClient(
    base_url=_BASE_URL,
    http_client=httpx.AsyncClient(base_url=_BASE_URL, transport=httpx.MockTransport(_no_http)),
)
_tracer, _resource = _get_tracer(None, None, None)  # no project: a no-op span processor
_EXPERIMENT: dict[str, Any] = {
    "id": DRY_RUN,
    "dataset_id": "ds-1",
    "dataset_version_id": "v-1",
    "name": "",
    "description": None,
    "repetitions": 1,
    "metadata": {},
    "project_name": None,
    "created_at": "2024-01-01T00:00:00+00:00",
    "updated_at": "2024-01-01T00:00:00+00:00",
    "example_count": 1,
    "successful_run_count": 0,
    "failed_run_count": 0,
    "missing_run_count": 0,
}


def phoenix_runner_error(
    fn: Callable[..., Any],
    role: Literal["task", "evaluator"],
    *,
    example: dict[str, Any],
    output: Any = None,
    trace_id: str | None = None,
    sync_client: bool,
) -> str | None:
    """Run the client's own validation and per-example runner (dry run); the error repr or None.

    Tasks: `_validate_task_signature` as `run_experiment` does, then `_run_single_task_*`, which
    re-raises the task's error. Evaluators: `_evaluators_by_name` (i.e. `create_evaluator`), then
    `_run_single_evaluation_*`, which records the error on the evaluation run.
    """
    experiments: Any = _sync_client.experiments
    async_experiments: Any = _async_client.experiments
    with contextlib.redirect_stdout(io.StringIO()):  # the runners print errors in red
        try:
            if role == "task":
                sig = inspect.signature(fn)
                _validate_task_signature(sig)
                created: list[object] = []

                def task(*args: Any, **kwargs: Any) -> Any:
                    # The runner calls `task` but binds with the `sig` it is given, so this
                    # transparent wrapper only lets us close a coroutine the sync runner drops.
                    created.append(result := fn(*args, **kwargs))
                    return result

                test_case = TestCase(example, 1)  # type: ignore[arg-type]
                call = (test_case, task, sig, _EXPERIMENT, _tracer, _resource, "Task: f")
                try:
                    if sync_client:
                        experiments._run_single_task_sync(*call, True, 60, {})
                    else:
                        asyncio.run(async_experiments._run_single_task_async(*call, True, 60, {}))
                finally:
                    for result in created:
                        _discard(result)
                return None
            (evaluator,) = _evaluators_by_name([fn]).values()
            run = {"id": "run-1", "output": output, "trace_id": trace_id, "repetition_number": 1}
            args = (example, run, evaluator, _tracer, _resource, True, 60)
            if sync_client:
                evaluation_runs = experiments._run_single_evaluation_sync(*args)
            else:
                evaluation_runs = asyncio.run(async_experiments._run_single_evaluation_async(*args))
            errors = [r.error for r in evaluation_runs if r.error is not None]
            return errors[0] if errors else None
        except Exception as exc:
            return repr(exc)
