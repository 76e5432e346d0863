"""The same tree gives byte-identical output under any hash seed, with or without the cache,
and whatever the number of worker processes.

Set iteration order follows PYTHONHASHSEED, and a tree split among workers is analysed in
another order than in one process: any result that leaned on either would differ here. The
tree is big enough for the run to fork workers (see `pipeline._PARALLEL_THRESHOLD`), and it
holds ties: several findings on one line, one def handed over from many files, names bound
twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from phx_tasklint.cli.cache import DIRECTORY

# The console script, with `os.cpu_count` pinned first: the number of worker processes is
# worked out from it when the pipeline module is imported.
_CONSOLE = (
    "import os, sys\n"
    "jobs = int(sys.argv[1])\n"
    "os.cpu_count = lambda: jobs\n"
    "sys.argv = ['phx-tasklint', *sys.argv[2:]]\n"
    "from phx_tasklint.cli.commands import entry\n"
    "entry()\n"
)

_SHARED = """\
from phoenix.client import Client


async def shared_task(input, question, /, *rest):
    return {1, 2}


def shared_eval(output, metdata=None, expectd=None):
    return output
"""

_USER = """\
from phoenix.client import AsyncClient, Client
from phoenix.client.experiments import run_experiment
from shared import shared_eval, shared_task


def task(input, extra):
    return input


def task(input, other):
    return input


def ev{n}(output, x, y):
    return 1.0


def main(dataset):
    client = Client()
    client.experiments.run_experiment(
        dataset=dataset, task=shared_task, evaluators=[shared_eval, ev{n}, shared_eval]
    )
    client.experiments.run_experiment(dataset=dataset, task=task, evaluators={{"a": ev{n}}})
    run_experiment(dataset, task)
"""

_NOTEBOOK_CELLS = [
    "from phoenix.client import Client\nclient = Client()\n",
    "def solve(input, q):\n    return input\n",
    "client.experiments.run_experiment(dataset=d, task=solve)\n",
    "async def solve(input):\n    return input\n",
    "client.experiments.run_experiment(dataset=d, task=solve, evaluators=[solve])\n",
]

_PAGE = """\
# A page

```python
from phoenix.client import Client
from shared import shared_eval

def grade(output, expected, score):
    return 1.0
```

```python
Client().experiments.run_experiment(dataset=d, task=grade, evaluators=[shared_eval, grade])
```
"""


def _tree(root: Path) -> None:
    (root / ".git").mkdir()
    (root / "shared.py").write_text(_SHARED)
    for n in range(30):
        (root / f"user_{n:02}.py").write_text(_USER.format(n=n))
    cells: list[dict[str, object]] = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": s, "execution_count": None}
        for s in _NOTEBOOK_CELLS
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "book.ipynb").write_text(json.dumps(notebook))
    (root / "page.md").write_text(_PAGE)


def _run(root: Path, seed: int, jobs: int, args: list[str]) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONHASHSEED"] = str(seed)
    out = subprocess.run(
        [sys.executable, "-c", _CONSOLE, str(jobs), "check", "--exit-zero", *args, "."],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.returncode, out.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "output", [[], ["--statistics"], ["--format", "json"]], ids=["text", "statistics", "json"]
)
def test_output_is_the_same_under_any_seed_cache_and_worker_count(
    tmp_path: Path, output: list[str]
) -> None:
    _tree(tmp_path)
    runs: dict[tuple[int, int, str], str] = {}
    for seed, jobs in [(0, 1), (1, 2), (2, 3), (3, 1), (4, 2)]:
        runs[(seed, jobs, "no cache")] = _run(tmp_path, seed, jobs, [*output, "--no-cache"])[1]
        runs[(seed, jobs, "cold cache")] = _run(tmp_path, seed, jobs, output)[1]
        runs[(seed, jobs, "warm cache")] = _run(tmp_path, seed + 10, jobs, output)[1]
        shutil.rmtree(tmp_path / DIRECTORY, ignore_errors=True)  # the next seed starts cold
    first = next(iter(runs.values()))
    # the tree really produces findings of several rules, ties included
    for code in ("PHX002", "PHX005", "PHX006", "PHX101", "PHX401"):
        assert code in first, code
    differing = sorted(key for key, text in runs.items() if text != first)
    assert not differing, f"output differs from {next(iter(runs))} in {differing}"
