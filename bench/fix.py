"""Fix speed: `phx-tasklint check` beside `phx-tasklint check --fix` on one big file, same run.

Generated Python files of about 10 KB, 250 KB and 2.5 MB, each a module of handed-off tasks,
evaluators and classes with methods, in two variants:
* 1 fix: one decorated task in the middle has a parameter to rename (the issue's case: a big
  file, one def to change);
* 1 in 50: every 50th task, the first included (top-level defs and static methods in turn),
  has one.

Each row times `check --no-cache` and `check --fix --no-cache` (a fresh copy of the file before
every `--fix` run; the run re-checks what it fixed, as `--fix` does) in interleaved runs, and
shows the median wall time, the peak RSS of the largest process, and whether `--fix` stays
within the issue's bound: 3x the check plus one second. A `--fix` run that leaves the file
unchanged is an error.

`--code DIR` times another checkout (for example `git archive <commit>` unpacked) instead of
this one: it is put first on PYTHONPATH and run as `python -m phx_tasklint`.

    python bench/fix.py [--runs 5] [--sizes 10k,250k,2.5M] [--code DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES = {"10k": 10_000, "250k": 250_000, "2.5M": 2_500_000}
VARIANTS = {"1 fix": 0, "1 in 50": 50}
HEADER = """\
import functools
from typing import Any

from phoenix.client import Client
from phoenix.client.experiments import evaluate_experiment, run_experiment

client = Client()
dataset: Any = None
experiment: Any = None


"""
# {i}: the block's number; {params} / {use}: the task's parameters and what its body reads
BLOCK = """\
def task_{i}({params}):
    \"\"\"Answer question {i}.\"\"\"
    value = {use}["question"]
    if value:
        return {{"answer": value, "gold": expected}}
    return None


def score_{i}(output, expected) -> float:
    return float(output == expected)


class Judge{i}:
    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, output, expected) -> bool:
        return score_{i}(output, expected) > self.threshold


run_experiment(dataset=dataset, task=task_{i}, evaluators=[score_{i}, Judge{i}()])


"""
# a task kept as a static method, for the fixes of indented defs
METHOD_BLOCK = """\
class Tasks{i}:
    @staticmethod
    def task({params}):
        \"\"\"Answer question {i}.\"\"\"
        value = {use}["question"]
        return {{"answer": value, "gold": expected}}


run_experiment(dataset=dataset, task=Tasks{i}.task)
evaluate_experiment(experiment=experiment, evaluators=[score_{i}])


"""
GOOD = {"params": "input, expected", "use": "input"}
BAD = {"params": "inputs, expected", "use": "inputs"}


def generate(size: int, every: int) -> tuple[str, int]:
    """A module of about `size` bytes, and how many tasks in it have a fix."""
    blocks: list[str] = []
    total = len(HEADER)
    while total < size:
        i = len(blocks)
        block = BLOCK.format(i=i, **GOOD)
        if every and i % every == 0:
            method = (i // every) % 2 == 1
            block = (METHOD_BLOCK if method else BLOCK).format(i=i, **BAD)
            if method:
                block = BLOCK.format(i=i, **GOOD) + block
        blocks.append(block)
        total += len(block)
    if not every:
        middle = len(blocks) // 2
        blocks[middle] = "@functools.lru_cache\n" + BLOCK.format(i=middle, **BAD)
    return HEADER + "".join(blocks), (1 if not every else sum(BAD["use"] in b for b in blocks))


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
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
        [sys.executable, "-c", code, *cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall, rss_kib = out.stdout.split()
    return float(wall), int(rss_kib) / 1024


def bench_file(
    label: str, text: str, runs: int, work: Path, env: dict[str, str]
) -> tuple[float, float, float, float]:
    """(check s, --fix s, check MiB, --fix MiB) for one file."""
    tree = work / label.replace(" ", "_")
    tree.mkdir()
    (tree / ".git").mkdir()  # the project root: no pyproject.toml above is read
    target = tree / "experiments.py"
    data = text.encode()
    python = [sys.executable, "-m", "phx_tasklint", "check", "--no-cache", "-q", "--exit-zero"]
    commands = {"check": [*python, target.name], "fix": [*python, "--fix", target.name]}
    timings: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(runs):  # interleaved, so both see the same machine state
        for name, cmd in commands.items():
            target.write_bytes(data)
            timings[name].append(measure(cmd, tree, env))
            if name == "fix" and target.read_bytes() == data:
                sys.exit(f"{label}: --fix left the file unchanged")
    shutil.rmtree(tree)
    wall = {k: statistics.median(t for t, _ in v) for k, v in timings.items()}
    mib = {k: max(m for _, m in v) for k, v in timings.items()}
    return wall["check"], wall["fix"], mib["check"], mib["fix"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--sizes", default=",".join(SIZES), help="comma-separated: " + ",".join(SIZES)
    )
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout to time")
    args = parser.parse_args()
    code = args.code.resolve()
    paths = [str(code), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    work = Path(tempfile.mkdtemp(prefix="phx-bench-fix-"))
    where = subprocess.run(  # run elsewhere: `python -c` puts its working directory first
        [sys.executable, "-c", "import phx_tasklint; print(phx_tasklint.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, code: {where}", end="")
    print(f" at {commit}" if commit else " (not a git checkout)")
    rows: list[tuple[str, ...]] = []
    try:
        for size_name in args.sizes.split(","):
            for variant, every in VARIANTS.items():
                text, fixes = generate(SIZES[size_name], every)
                label = f"{size_name} {variant}"
                check, fix, check_mib, fix_mib = bench_file(label, text, args.runs, work, env)
                bound = 3 * check + 1
                rows.append(
                    (
                        size_name,
                        variant,
                        f"{len(text.encode()) / 1000:.0f} KB",
                        str(fixes),
                        f"{check:.2f}",
                        f"{fix:.2f}",
                        f"{fix / check:.1f}",
                        f"{bound:.2f}",
                        "yes" if fix <= bound else "NO",
                        f"{check_mib:.0f}",
                        f"{fix_mib:.0f}",
                    )
                )
                print(f"  {label}: check {check:.2f}s, --fix {fix:.2f}s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    header = (
        "file",
        "variant",
        "bytes",
        "fixes",
        "check s",
        "--fix s",
        "fix/check",
        "3x+1 s",
        "within",
        "check MiB",
        "--fix MiB",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(f"\nmedian of {args.runs} interleaved runs each; peak RSS of the largest process")


if __name__ == "__main__":
    main()
