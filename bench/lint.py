"""Lint speed: `phx-tasklint check` beside `ruff check --isolated --select F401`, same run.

Two trees: (a) a copy of this environment's site-packages (thousands of real files nobody here
wrote, few hand-offs) and (b) a generated Phoenix-heavy tree (1,000 files, each handing tasks
and evaluators to the different runners). Cold = no cache for either tool; warm = both with a
filled cache. Runs are interleaved; the table shows median wall time, the peak RSS of the
largest process, and the ratio ours / ruff.

Before timing, phx-tasklint's own modules are compiled to bytecode, as `pip install` of the
wheel does (an editable install under PYTHONDONTWRITEBYTECODE=1, as on our machines, would
otherwise recompile every module on every run). The table ends with the start-up floors measured
in the same run: the bare interpreter, and `phx-tasklint --version`.

    python bench/lint.py [--runs 5] [--keep] [--only a|b]
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

SUFFIXES = (".py", ".pyi", ".ipynb", ".md")


def copy_site_packages(dest: Path) -> int:
    source = Path(sysconfig.get_paths()["purelib"])
    count = 0
    for directory, _dirs, files in os.walk(source):
        rel = Path(directory).relative_to(source)
        for name in files:
            if name.endswith(SUFFIXES):
                target = dest / rel / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(directory) / name, target)
                count += 1
    return count


_TASKS = [
    "def {n}(input):\n    return input['question']\n",
    "def {n}(input, expected):\n    return {{'answer': input['q'], 'gold': expected}}\n",
    "def {n}(input, question):\n    return question\n",
    "async def {n}(input, metadata=None):\n    return input\n",
    "def {n}(input, *args):\n    return input\n",
    "def {n}(input) -> set[str]:\n    return set(input)\n",
    "def {n}(example, model='gpt-4o'):\n    return example.input\n",
]
_EVALUATORS = [
    "def {n}(output, expected) -> bool:\n    return output == expected\n",
    "def {n}(output, metdata=None) -> float:\n    return 1.0\n",
    "def {n}(output, expected_output):\n    return 0.5\n",
    "def {n}(output) -> tuple[float, str]:\n    return (1.0, 'ok')\n",
    "def {n}(output, **kwargs) -> list[float]:\n    return [1.0]\n",
]
_RUNNERS = [
    "run_experiment(dataset=dataset, task={t}, evaluators=[{e1}, {e2}])",
    "client.experiments.run_experiment(dataset=dataset, task={t}, evaluators={{'a': {e1}}})",
    "evaluate_experiment(experiment=experiment, evaluators=({e1}, {e2}))",
    "run_experiment(dataset=dataset, task=partial({t}), evaluators={e2})",
]


def generate_heavy_tree(dest: Path, files: int = 1000, seed: int = 7) -> int:
    rng = random.Random(seed)
    for i in range(files):
        package = dest / f"pkg{i // 100}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").touch()
        lines = [
            "from functools import partial",
            "from typing import Any",
            "",
            "from phoenix.client import Client",
            "from phoenix.client.experiments import evaluate_experiment, run_experiment",
            "",
            "client = Client()",
            "",
        ]
        tasks = [f"task_{i}_{k}" for k in range(3)]
        evaluators = [f"ev_{i}_{k}" for k in range(3)]
        for name in tasks:
            lines.append(rng.choice(_TASKS).format(n=name))
        for name in evaluators:
            lines.append(rng.choice(_EVALUATORS).format(n=name))
        lines.append("def main(dataset: Any, experiment: Any) -> None:")
        for _ in range(4):
            runner = rng.choice(_RUNNERS)
            lines.append(
                "    "
                + runner.format(
                    t=rng.choice(tasks), e1=rng.choice(evaluators), e2=rng.choice(evaluators)
                )
            )
        lines.append("")
        (package / f"experiment_{i}.py").write_text("\n".join(lines))
    return files


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of the largest process of one run of `cmd`."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "wall = time.perf_counter() - t\n"
        "if p.returncode not in (0, 1): sys.exit(p.stderr.decode()[-2000:])\n"
        "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *cmd], cwd=cwd, capture_output=True, text=True, check=True
    )
    wall, rss_kib = out.stdout.split()
    return float(wall), int(rss_kib) / 1024


def bench_tree(name: str, tree: Path, runs: int, cache_root: Path) -> list[tuple[str, ...]]:
    ruff_cache = cache_root / f"ruff-{name}"
    ours = ["phx-tasklint", "check", ".", "--exit-zero", "-q"]
    ruff = ["ruff", "check", "--isolated", "--select", "F401", "--exit-zero", "-q", "."]
    variants = {
        "cold": ([*ours, "--no-cache"], [*ruff, "--no-cache"]),
        "warm": (ours, [*ruff, "--cache-dir", str(ruff_cache)]),
    }
    rows = []
    for mode, (ours_cmd, ruff_cmd) in variants.items():
        if mode == "warm":  # fill both caches once
            measure(ours_cmd, tree)
            measure(ruff_cmd, tree)
        ours_runs, ruff_runs = [], []
        for _ in range(runs):  # interleaved, so both see the same machine state
            ours_runs.append(measure(ours_cmd, tree))
            ruff_runs.append(measure(ruff_cmd, tree))
        ours_t = statistics.median(t for t, _ in ours_runs)
        ruff_t = statistics.median(t for t, _ in ruff_runs)
        rows.append(
            (
                name,
                mode,
                f"{ours_t:.3f}",
                f"{ruff_t:.3f}",
                f"{ours_t / ruff_t:.2f}",
                f"{max(m for _, m in ours_runs):.0f}",
                f"{max(m for _, m in ruff_runs):.0f}",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated trees")
    parser.add_argument("--only", choices=["a", "b"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="phx-bench-"))
    ruff_version = subprocess.run(["ruff", "--version"], capture_output=True, text=True).stdout
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {ruff_version.strip()}")
    import phx_tasklint

    package = Path(phx_tasklint.__file__).parent
    compileall.compile_dir(str(package), quiet=1)
    print(f"bytecode compiled for {package}")
    rows: list[tuple[str, ...]] = []
    try:
        if args.only in (None, "a"):
            tree = work / "site-packages"
            started = time.perf_counter()
            count = copy_site_packages(tree)
            print(f"(a) site-packages copy: {count} files ({time.perf_counter() - started:.1f}s)")
            rows += bench_tree("(a) site-packages", tree, args.runs, work)
        if args.only in (None, "b"):
            tree = work / "heavy"
            count = generate_heavy_tree(tree)
            print(f"(b) Phoenix-heavy tree: {count} files")
            rows += bench_tree("(b) Phoenix-heavy", tree, args.runs, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"trees kept in {work}")
    header = ("tree", "cache", "ours s", "ruff s", "ours/ruff", "ours MiB", "ruff MiB")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)))
    print(f"\nmedian of {args.runs} interleaved runs each; peak RSS of the largest process")
    floors = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "phx-tasklint --version": ["phx-tasklint", "--version"],
    }
    for label, cmd in floors.items():
        wall = statistics.median(measure(cmd, work.parent)[0] for _ in range(args.runs))
        print(f"start-up floor, {label}: {wall:.3f} s")


if __name__ == "__main__":
    main()
