"""What the opt-in guard (`phx_tasklint.guard()`) adds to an experiment call.

Usage: python bench/guard.py [--rounds N]

The guard judges the task and each evaluator with `check_callable` before Phoenix runs anything,
and keeps the verdict of a function while it lives. Measured here, per experiment call, with a
task and three evaluators (plain functions, one a `create_evaluator` of the client's, one a
phoenix.evals `create_evaluator`):

* phoenix validation: what arize-phoenix-client does itself before a run (`inspect.signature`
  of the task and `_validate_task_signature`, `_evaluators_by_name` on the evaluators);
* guard, first call: the guard's judgement of four callables it has not seen;
* guard, later calls: the same four, judged before (the verdicts kept);
* dry run, no guard: `Client().experiments.run_experiment(..., dry_run=3)` on a local three-example
  dataset and a closed port (what one call of the experiment costs without a model).

Each cell is the median over `--rounds` rounds of `time.perf_counter_ns`; "first call" rounds
use fresh functions each round (a new code object is judged anew).
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from phx_tasklint.core import spec
from phx_tasklint.runtime import guarding

SOURCE = """
from phoenix.client.experiments import create_evaluator
from phoenix.evals import create_evaluator as evals_evaluator

def task(input, metadata):
    return {"answer": input["question"]}

def exact(output, expected):
    return output == expected

@create_evaluator(name="length", kind="CODE")
def length(output):
    return len(str(output))

@evals_evaluator(name="contains")
def contains(output, expected):
    return float(str(expected) in str(output))
"""


def fresh() -> dict[str, Any]:
    """The task and evaluators, defined anew (new function objects and code)."""
    namespace: dict[str, Any] = {}
    exec(compile(SOURCE, "<bench>", "exec"), namespace)
    return namespace


def median_us(
    run: Callable[[], object], rounds: int, setup: Callable[[], None] | None = None
) -> float:
    samples = []
    for _ in range(rounds):
        if setup is not None:
            setup()
        start = time.perf_counter_ns()
        run()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)

    from phoenix.client import Client
    from phoenix.client.resources import experiments as rx

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from guard_support import closed_url, dataset

    entry = next(e for e in spec.GUARDED if e.attribute == "Experiments.run_experiment")
    current: dict[str, Any] = fresh()

    def kwargs() -> dict[str, Any]:
        return {
            "task": current["task"],
            "evaluators": [current["exact"], current["length"], current["contains"]],
        }

    def phoenix_validation() -> None:
        rx._validate_task_signature(inspect.signature(current["task"]))
        rx._evaluators_by_name(kwargs()["evaluators"])

    def guard_judgement() -> None:
        guarding.judge_call(entry, guarding.handed_over(entry, (), kwargs()))

    def renew() -> None:
        current.update(fresh())

    rows = [
        ("phoenix validation", median_us(phoenix_validation, args.rounds)),
        ("guard, first call", median_us(guard_judgement, args.rounds, setup=renew)),
        ("guard, later calls", median_us(guard_judgement, args.rounds)),
    ]
    client = Client(base_url=closed_url())
    rounds = max(3, args.rounds // 20)

    def dry_run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.experiments.run_experiment(
                dataset=dataset(), dry_run=3, print_summary=False, **{"task": current["task"]}
            )

    rows.append(("dry run (task only), no guard", median_us(dry_run, rounds)))
    width = max(len(r[0]) for r in rows)
    print(f"{'per experiment call':<{width}}  median µs")
    print(f"{'-' * width}  ---------")
    for name, us in rows:
        print(f"{name:<{width}}  {us:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
