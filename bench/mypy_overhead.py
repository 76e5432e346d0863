"""What the mypy plugin costs: mypy with and without it on a module of 1,000+ hand-offs.

Every run starts from an empty cache (a fresh `--cache-dir`), so each one also analyses Phoenix's
own modules, as a first run in CI does; runs with and without the plugin alternate, so drift in
the machine's speed hits both alike. Prints the median wall time of each and the overhead.

    python bench/mypy_overhead.py [--runs 5] [--functions 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, TypedDict

from phoenix.client import AsyncClient, Client
from phoenix.client.experiments import (
    async_run_experiment,
    create_evaluator,
    evaluate_experiment,
    run_experiment,
)

ds: Any = None


class Answer(TypedDict):
    answer: str


@dataclasses.dataclass
class Result:
    answer: str

"""

TASK_SHAPES = (
    "def {name}(input):\n    return input\n",
    "def {name}(input, expected) -> dict[str, Any]:\n    return input\n",
    "def {name}(input, question):\n    return question\n",
    "def {name}(input: str) -> str:\n    return input\n",
    "def {name}(input) -> Answer:\n    return {{'answer': 'a'}}\n",
    "def {name}(input) -> Result:\n    return Result('a')\n",
    "async def {name}(input, metadata=None):\n    return input\n",
    "def {name}(*, input):\n    return input\n",
    "def {name}(input, model='m', **kwargs) -> list[str]:\n    return []\n",
)
EVALUATOR_SHAPES = (
    "def {name}(output) -> float:\n    return 1.0\n",
    "def {name}(output, expected) -> bool:\n    return output == expected\n",
    "def {name}(output, expected_output) -> bool:\n    return True\n",
    "def {name}(output, metdata=None) -> tuple[float, str]:\n    return (1.0, 'ok')\n",
    "async def {name}(output, trace_id: str | None = None) -> float:\n    return 1.0\n",
    "def {name}(output) -> None:\n    print(output)\n",
)


# Shapes neither plain mypy nor the plugin reports: the plugin's cost without the savings of
# relaxing Phoenix's unions for hand-offs plain mypy rejects.
CLEAN: dict[str, tuple[str, ...]] = {"tasks": TASK_SHAPES[:2], "evaluators": EVALUATOR_SHAPES[:2]}
MIXED: dict[str, tuple[str, ...]] = {"tasks": TASK_SHAPES, "evaluators": EVALUATOR_SHAPES}


def generate(functions: int, shapes: dict[str, tuple[str, ...]], seed: int = 0) -> tuple[str, int]:
    """A module of `functions` tasks and as many evaluators, and its number of hand-offs."""
    rng = random.Random(seed)
    parts = [HEADER]
    for i in range(functions):
        parts.append(rng.choice(shapes["tasks"]).format(name=f"task_{i}"))
        parts.append(rng.choice(shapes["evaluators"]).format(name=f"ev_{i}"))
    handoffs = 0
    sync_lines: list[str] = []
    async_lines: list[str] = []
    for i in range(functions):
        evs = [f"ev_{rng.randrange(functions)}" for _ in range(3)]
        shape = i % 6
        if shape == 0:
            sync_lines.append(
                f"run_experiment(dataset=ds, task=task_{i}, evaluators=[{', '.join(evs)}])"
            )
        elif shape == 1:
            sync_lines.append(
                f"Client().experiments.run_experiment(dataset=ds, task=task_{i}, "
                f"evaluators={{'a': {evs[0]}, 'b': {evs[1]}, 'c': {evs[2]}}})"
            )
        elif shape == 2:
            async_lines.append(
                f"await AsyncClient().experiments.run_experiment(dataset=ds, task=task_{i}, "
                f"evaluators=({', '.join(evs)},))"
            )
        elif shape == 3:
            async_lines.append(
                f"await async_run_experiment(dataset=ds, task=partial(task_{i}), "
                f"evaluators=[{', '.join(evs)}])"
            )
        elif shape == 4:
            sync_lines.append(f"evaluate_experiment(experiment=ds, evaluators=[{', '.join(evs)}])")
            handoffs -= 1  # no task
        else:
            sync_lines.append(f"evs_{i} = [{', '.join(evs)}]")
            sync_lines.append(f"run_experiment(dataset=ds, task=task_{i}, evaluators=evs_{i})")
        handoffs += 4
    for i in range(functions // 3):
        parts.append(
            f"@create_evaluator(name='d{i}')\n"
            + rng.choice(shapes["evaluators"]).format(name=f"decorated_{i}")
        )
        handoffs += 1
    parts.append("\n".join(sync_lines) + "\n\n")
    parts.append("async def main() -> None:\n" + "".join(f"    {line}\n" for line in async_lines))
    return "\n\n".join(parts), handoffs


def run_mypy(config: Path, module: Path) -> float:
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--config-file",
                str(config),
                "--cache-dir",
                cache,
                "--no-error-summary",
                str(module),
            ],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        return time.perf_counter() - start


def measure(functions: int, shapes: dict[str, tuple[str, ...]], runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        source, handoffs = generate(functions, shapes)
        module = base / "handoffs.py"
        module.write_text(source)
        plain = base / "plain.ini"
        plain.write_text("[mypy]\n")
        plugin = base / "plugin.ini"
        plugin.write_text("[mypy]\nplugins = mypy_plugin\n")
        times: dict[str, list[float]] = {"plain": [], "plugin": []}
        run_mypy(plain, module)  # warm the OS file cache and .pyc files
        for _ in range(runs):
            times["plain"].append(run_mypy(plain, module))
            times["plugin"].append(run_mypy(plugin, module))
    return {"handoffs": handoffs, "lines": source.count("\n"), "times": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--functions", type=int, default=300)
    args = parser.parse_args()
    print(f"{args.runs} cold runs each (a fresh --cache-dir), with and without the plugin in turn")
    print(f"{'module':<44}{'mypy':<13}{'median s':>9}{'min s':>8}{'max s':>8}{'overhead':>10}")
    for label, shapes in (("mixed (good and bad)", MIXED), ("clean (nothing to report)", CLEAN)):
        result = measure(args.functions, shapes, args.runs)
        times = result["times"]
        assert isinstance(times, dict)
        plain = statistics.median(times["plain"])
        name = f"{label}, {result['handoffs']} hand-offs"
        for mode in ("plain", "plugin"):
            t = times[mode]
            overhead = ""
            if mode == "plugin":
                overhead = f"{(statistics.median(t) - plain) / plain * 100:+.1f}%"
            print(
                f"{name:<44}{'with plugin' if mode == 'plugin' else 'without':<13}"
                f"{statistics.median(t):>9.2f}{min(t):>8.2f}{max(t):>8.2f}{overhead:>10}"
            )
            name = ""


if __name__ == "__main__":
    main()
