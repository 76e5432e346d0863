"""The runtime binder under load (issue 6): `arun_task` (and `arun_evaluator` on its output) over
10,000 examples, 100 at a time on one event loop.

* Isolation: each task mutates everything it is given (`input`, `expected`, `metadata`,
  `example.input`, `example["metadata"]`) and then yields to the other 99; it must never see
  another example's values or mutations, and the dataset must come out unchanged. The evaluator
  mutates the output it is given; the task's own output object must not change.
* Memory: measured with tracemalloc after 2,000 and after 10,000 examples; what stays allocated
  and the peak must not grow with the number of examples processed.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from phx_tasklint import ExampleProxy, arun_evaluator, arun_task

pytestmark = pytest.mark.slow

EXAMPLES = 10_000
WARM = 2_000
CONCURRENCY = 100
# What may stay allocated, or add to the peak, across the last 8,000 examples: less than 8
# bytes an example (a leaked list slot is 8, a leaked small dict ~ 200).
RETAINED_BOUND = 64 * 1024
PEAK_BOUND = 256 * 1024


def make_dataset(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"ex-{i}",
            "input": {"question": f"q{i}", "items": [i, i + 1], "nested": {"seen": [i]}},
            "output": {"answer": i},
            "metadata": {"index": i, "tags": ["t"]},
            "updated_at": None,
        }
        for i in range(count)
    ]


def own_input(i: int) -> dict[str, Any]:
    return {"question": f"q{i}", "items": [i, i + 1], "nested": {"seen": [i]}}


async def task(
    input: dict[str, Any], expected: dict[str, Any], metadata: dict[str, Any], example: ExampleProxy
) -> dict[str, Any]:
    i = metadata["index"]
    assert input == own_input(i) and expected == {"answer": i} and example.id == f"ex-{i}"
    # mutate everything this task was given ...
    input["items"].append("mutated")
    input["nested"]["seen"].clear()
    input["question"] += "!"
    expected["answer"] = -1
    metadata["tags"].append("mutated")
    example.input["items"].append("via example")
    example["metadata"]["index"] = -1
    await asyncio.sleep(0)  # ... and let the other tasks in flight run
    # nothing another task did reached this one; its own changes stayed where they were made
    assert input == {"question": f"q{i}!", "items": [i, i + 1, "mutated"], "nested": {"seen": []}}
    assert expected == {"answer": -1} and metadata == {"index": i, "tags": ["t", "mutated"]}
    assert example.input["items"] == [i, i + 1, "via example"]  # the proxy's own copy
    assert example["output"] == {"answer": i} and example["metadata"]["index"] == -1
    return {"index": i, "items": list(input["items"])}


async def evaluator(
    output: dict[str, Any], expected: dict[str, Any], input: dict[str, Any]
) -> float:
    i = output["index"]
    assert expected == {"answer": i} and input == own_input(i)
    output["items"].clear()  # the task's output object must not change
    await asyncio.sleep(0)
    return 1.0


@dataclass
class Tally:
    done: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    errors: list[str] = field(default_factory=list)


async def run_all(examples: Sequence[dict[str, Any]], tally: Tally) -> None:
    """Every example through the task and the evaluator, at most CONCURRENCY at a time; tasks
    are created as slots free up, so nothing grows with the number of examples."""
    slots = asyncio.Semaphore(CONCURRENCY)
    pending: set[asyncio.Task[None]] = set()

    async def one(example: dict[str, Any]) -> None:
        tally.in_flight += 1
        tally.most_in_flight = max(tally.most_in_flight, tally.in_flight)
        try:
            output = await arun_task(task, example)
            i = int(example["id"].removeprefix("ex-"))
            expected_output = {"index": i, "items": [i, i + 1, "mutated"]}
            if output != expected_output:
                tally.errors.append(f"{example['id']}: task output {output!r}")
            evaluations = await arun_evaluator(evaluator, output=output, example=example)
            if output != expected_output or [e.get("score") for e in evaluations] != [1.0]:
                tally.errors.append(f"{example['id']}: {output!r} after evaluation {evaluations}")
            tally.done += 1
        except Exception as exc:  # collected: a task's exception must not vanish
            if len(tally.errors) < 20:
                tally.errors.append(f"{example['id']}: {type(exc).__name__}: {exc}")
        finally:
            tally.in_flight -= 1
            slots.release()

    for example in examples:
        await slots.acquire()
        job = asyncio.create_task(one(example))
        pending.add(job)
        job.add_done_callback(pending.discard)
    await asyncio.gather(*pending)


def test_arun_task_10000_examples_isolated_and_flat_memory() -> None:
    dataset = make_dataset(EXAMPLES)
    snapshot = copy.deepcopy(dataset)
    tally = Tally()

    async def main() -> tuple[tuple[int, int], tuple[int, int]]:
        await run_all(dataset[:WARM], tally)
        gc.collect()
        warm = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await run_all(dataset[WARM:], tally)
        gc.collect()
        return warm, tracemalloc.get_traced_memory()

    tracemalloc.start()
    try:
        (warm_current, warm_peak), (current, peak) = asyncio.run(main())
    finally:
        tracemalloc.stop()
    assert tally.errors == []
    assert tally.done == EXAMPLES
    assert tally.most_in_flight == CONCURRENCY
    assert dataset == snapshot  # no task or evaluator reached the dataset
    assert current - warm_current < RETAINED_BOUND, (warm_current, current)
    assert peak - warm_peak < PEAK_BOUND, (warm_peak, peak)
