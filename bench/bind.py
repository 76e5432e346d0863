"""Binder speed: `phx_tasklint.bind_task` against Phoenix's `_bind_task_signature`.

Usage: python bench/bind.py [--rounds N] [--inner N] [--profile]

`--profile` adds, after the table, a cProfile breakdown of our `bind_task` per task shape (the
functions where our time goes, by own time).

What is measured, per example (one call):
* ours:    `phx_tasklint.bind_task(task, example)` (its binding plan is cached per callable after
           the first call, which is the warm-up, and every call checks that the function's code
           and defaults are still the ones it was planned from);
* phoenix: `_bind_task_signature(sig, example)` with `sig = inspect.signature(task)` computed once
           beforehand, as arize-phoenix-client's runner does.

The example is a realistic RAG record: `input` = a question plus 20 context passages of ~500
characters (dicts with id / text / score), `output` = an answer dict, `metadata` = a few fields and
a list of tags, `id`, `updated_at`.

Two row sets:
* "bind"         - binding only;
* "bind+access"  - binding, then a first access of every bound value (for `example`, every field
                   of the proxy: `.id .input .output .metadata .updated_at`). Our proxy copies a
                   field lazily on first access, so this row set charges it for that copy: a lazy
                   proxy cannot win by deferring work the task will do anyway.

Timing: `time.perf_counter_ns` around a batch of `--inner` calls; ours and Phoenix's batches are
interleaved in every round (which goes first alternates per round) and garbage collection is off
while a cell is measured (values are freed by reference counting). The table reports the median
per-call microseconds of each over `--rounds` rounds, and as speed-up the median of the per-round
ratios phoenix/ours (paired batches see the same machine load, so the ratio is steadier than the
ratio of the medians on a busy machine); last, the geometric mean of the speed-ups.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.metadata
import inspect
import math
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from phoenix.client.resources.experiments import _bind_task_signature

import phx_tasklint
from phx_tasklint import bind_task

Example = dict[str, Any]
Binder = Callable[[], inspect.BoundArguments]

WORDS: tuple[str, ...] = (
    "retrieval",
    "augmented",
    "generation",
    "grounds",
    "a",
    "language",
    "model",
    "answer",
)
WORDS += ("in", "passages", "fetched", "from", "a", "document", "store", "so", "the", "response")
WORDS += ("can", "cite", "its", "sources", "and", "stay", "current", "with", "the", "corpus")


def passage(i: int, length: int = 500) -> str:
    words: list[str] = []
    size = 0
    k = i
    while size < length:
        word = WORDS[k % len(WORDS)]
        words.append(word)
        size += len(word) + 1
        k += 7
    return " ".join(words)[:length]


def make_example() -> Example:
    return {
        "id": "RGF0YXNldEV4YW1wbGU6MTIz",
        "input": {
            "question": "How does retrieval augmented generation keep answers current?",
            "context": [
                {"id": f"doc-{i:03d}", "text": passage(i), "score": round(1.0 - i / 40, 4)}
                for i in range(20)
            ],
        },
        "output": {
            "answer": "It retrieves fresh passages from the document store at query time.",
            "citations": ["doc-000", "doc-003"],
            "confidence": 0.87,
        },
        "metadata": {
            "source": "support-faq",
            "split": "test",
            "difficulty": 3,
            "created_by": "annotator-7",
            "tags": ["rag", "retrieval", "freshness", "faq", "english"],
        },
        "updated_at": "2025-03-14T09:26:53Z",
    }


# The tasks (bodies never run: only binding is measured).


def task_input(input: dict[str, Any]) -> Any:
    return input


def task_input_expected(input: dict[str, Any], expected: dict[str, Any]) -> Any:
    return input, expected


def task_input_metadata_example(
    input: dict[str, Any], metadata: dict[str, Any], example: Mapping[str, Any]
) -> Any:
    return input, metadata, example


def task_example(example: Mapping[str, Any]) -> Any:
    return example


TASKS: dict[str, Callable[..., Any]] = {
    "(input)": task_input,
    "(input, expected)": task_input_expected,
    "(input, metadata, example)": task_input_metadata_example,
    "(example)": task_example,
}


def touch(bound: inspect.BoundArguments) -> int:
    """First access of every bound value; a proxy has every field read."""
    n = 0
    for value in bound.arguments.values():
        if isinstance(value, dict):
            n += len(value)
        elif isinstance(value, Mapping):  # an example proxy (ours or Phoenix's)
            proxy: Any = value
            n += len(proxy.input) + len(proxy.output) + len(proxy.metadata)
            n += len(proxy.id) + proxy.updated_at.year
    return n


def binders(task: Callable[..., Any], example: Example, access: bool) -> tuple[Binder, Binder]:
    sig = inspect.signature(task)  # precomputed once, as Phoenix's runner does
    phoenix_example: Any = example  # a v1.DatasetExample TypedDict in Phoenix's annotations

    if not access:

        def ours() -> inspect.BoundArguments:
            return bind_task(task, example)

        def theirs() -> inspect.BoundArguments:
            return _bind_task_signature(sig, phoenix_example)

        return ours, theirs

    def ours_access() -> inspect.BoundArguments:
        bound = bind_task(task, example)
        touch(bound)
        return bound

    def theirs_access() -> inspect.BoundArguments:
        bound = _bind_task_signature(sig, phoenix_example)
        touch(bound)
        return bound

    return ours_access, theirs_access


def batch_ns(fn: Binder, inner: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(inner):
        fn()
    return time.perf_counter_ns() - start


def measure(ours: Binder, theirs: Binder, rounds: int, inner: int) -> tuple[float, float, float]:
    """(ours µs, theirs µs, speed-up): medians over interleaved rounds.

    The speed-up is the median of the per-round ratios of two adjacent batches, which is robust to
    the machine's load changing during the run (both batches of a round see the same load).
    """
    for fn in (ours, theirs):  # warm-up: the binding plan, caches
        batch_ns(fn, inner)
    ours_us: list[float] = []
    theirs_us: list[float] = []
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            if r % 2:
                t = batch_ns(theirs, inner)
                o = batch_ns(ours, inner)
            else:
                o = batch_ns(ours, inner)
                t = batch_ns(theirs, inner)
            ours_us.append(o / inner / 1000)
            theirs_us.append(t / inner / 1000)
    finally:
        if gc_was_enabled:
            gc.enable()
    ratios = [t / o for o, t in zip(ours_us, theirs_us, strict=True)]
    return statistics.median(ours_us), statistics.median(theirs_us), statistics.median(ratios)


def check_same_values(example: Example) -> None:
    """Guard: both binders produce equal values, so the race is fair."""
    for task in TASKS.values():
        ours = bind_task(task, example)
        theirs = _bind_task_signature(inspect.signature(task), example)  # type: ignore[arg-type]
        for (name, a), (other, b) in zip(
            ours.arguments.items(), theirs.arguments.items(), strict=True
        ):
            assert name == other
            assert dict(a) == dict(b), name


def profile(example: Example, calls: int = 5000) -> None:
    """Where our time goes: own time per function over `calls` bindings of each task shape."""
    for label, task in TASKS.items():
        bind_task(task, example)  # the plan, outside the profile
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            bind_task(task, example)
        profiler.disable()
        stats = pstats.Stats(profiler)
        rows = sorted(
            ((v[2], v[0], f"{Path(k[0]).name}:{k[1]}({k[2]})") for k, v in stats.stats.items()),  # type: ignore[attr-defined]
            reverse=True,
        )
        total = sum(own for own, _, _ in rows)
        print(f"\nprofile: bind_task{label}, {calls} calls (cProfile inflates call overhead)")
        for own, ncalls, where in rows[:7]:
            print(f"  {own / total:6.1%}  {own / calls * 1e6:7.2f} µs/bind  {ncalls:>7}  {where}")


def geomean(values: list[float]) -> float:
    return math.prod(values) ** (1 / len(values))


def versions() -> list[str]:
    return [
        f"python {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.machine()}, {sys.platform})",
        f"phx-tasklint {phx_tasklint.__version__}",
        f"arize-phoenix-client {importlib.metadata.version('arize-phoenix-client')}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=300, help="interleaved rounds per cell")
    parser.add_argument("--inner", type=int, default=40, help="calls per timed batch")
    parser.add_argument("--profile", action="store_true", help="add a cProfile breakdown")
    args = parser.parse_args()

    started = time.perf_counter()
    example = make_example()
    check_same_values(example)
    text_chars = sum(len(p["text"]) for p in example["input"]["context"])

    for line in versions():
        print(line)
    print(
        f"example: 20 passages, {text_chars} text chars; rounds={args.rounds} x "
        f"inner={args.inner} calls, median per call"
    )
    print()
    header = f"{'rows':<12} {'task':<28} {'ours µs':>9} {'phoenix µs':>11} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    speedups: dict[str, list[float]] = {"bind": [], "bind+access": []}
    for rows, access in (("bind", False), ("bind+access", True)):
        for label, task in TASKS.items():
            ours, theirs = binders(task, example, access)
            ours_us, theirs_us, speedup = measure(ours, theirs, args.rounds, args.inner)
            speedups[rows].append(speedup)
            print(f"{rows:<12} {label:<28} {ours_us:>9.2f} {theirs_us:>11.2f} {speedup:>8.1f}x")
    print("-" * len(header))
    speedups["all rows"] = [x for values in speedups.values() for x in values]
    for rows, values in speedups.items():
        print(f"geometric-mean speed-up, {rows:<12} {geomean(values):>6.1f}x")
    if args.profile:
        profile(example)
    print(f"\n(total {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
