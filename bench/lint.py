"""Lint speed: `phx-tasklint check` beside `ruff check --isolated --select F401`, same run.

Three trees: (a) a copy of this environment's site-packages (thousands of real files nobody here
wrote, few hand-offs), (b) a generated Phoenix-heavy tree (1,000 files, each handing tasks
and evaluators to the different runners) and (c) Phoenix's own repository (library source,
tests, docs, notebooks: every file spells `phoenix`, few hand anything over), extracted from the
checkout or bare mirror given by `--phoenix` (by default the one fetched to
/work/.mirror/Arize-ai+phoenix/repo; without one the row is left out). Rows per tree:
* cold: no cache for either tool;
* warm: both with a filled cache (each tool runs once to fill it), over an unchanged tree: a
  CI re-run, answered from the per-file cache;
* 1 edit: both with a filled cache, and one file appended to before every run of either tool
  (a commit that changes one file): each re-checks that one file;
* (c) has the cold row only;
* 1 staged, (b) only: both with a filled cache, one unchanged file named on the command line,
  as a pre-commit hook passes the staged files. This row also times `phx-tasklint --version`
  in the same interleaved runs (columns "--version s" and "ours/--version").
Runs are interleaved; the table shows median wall time, the peak RSS of the largest process,
and the ratio ours / ruff.

"ours" is phx-tasklint as a user's pre-commit hook runs it: this checkout installed with
`pip install` (not editable) into a fresh virtual environment, which pip also compiles to
bytecode. "this env" is the `phx-tasklint` on PATH, timed in the same interleaved runs: here that
is an editable install whose interpreter also runs the environment's `.pth` start-up hooks (its
bytecode is compiled first, as PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module
on every run). The table ends with the start-up floors of both, measured in the same run: the
bare interpreter, and `phx-tasklint --version`.

"parse floor" (cold rows): what any checker built on CPython's own parser pays before it
analyses anything, timed in the same interleaved runs: start the interpreter, walk the tree,
read and `ast`-parse every .py file, one process per core (`PARSE_FLOOR`). On (b), where every
file hands something to Phoenix and must be parsed, it bounds the cold row from below; on (a)
ours parses only the files its byte-level screen lets through, so it can come in under it.

    python bench/lint.py [--runs 5] [--keep] [--only a|b|c] [--phoenix PATH]
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
PARSE_FLOOR = """
import ast, gc, os
gc.disable()
paths = sorted(
    os.path.join(d, n) for d, _, names in os.walk(".") for n in names if n.endswith(".py")
)
jobs = os.cpu_count() or 1
def parse(share):
    for path in share:
        try:
            with open(path, "rb") as handle:
                compile(handle.read(), path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, ValueError, OSError, RecursionError, MemoryError):
            pass
children = []
for i in range(1, jobs):
    pid = os.fork()
    if pid == 0:
        parse(paths[i::jobs])
        os._exit(0)
    children.append(pid)
parse(paths[0::jobs])
for pid in children:
    os.waitpid(pid, 0)
"""


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


REPO = Path(__file__).resolve().parent.parent
PHOENIX_MIRROR = Path("/work/.mirror/Arize-ai+phoenix/repo")


def extract(source: Path, dest: Path) -> int:
    """The files at HEAD of a bare mirror or a checkout (else a plain copy of the directory) in
    `dest`; the number of files of the kinds phx-tasklint reads."""
    dest.mkdir(parents=True)
    if (source / "HEAD").is_file() and (source / "objects").is_dir():
        where = ["git", f"--git-dir={source}"]  # a bare repository
    elif (source / ".git").exists():
        where = ["git", "-C", str(source)]
    else:
        where = []
        shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)
    if where:
        archive = subprocess.run([*where, "archive", "HEAD"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    from phx_tasklint.lint.kinds import kind_of

    return sum(kind_of(name) is not None for _, _, names in os.walk(dest) for name in names)


def install_fresh(work: Path) -> Path | None:
    """A new virtual environment with this checkout pip-installed (a wheel, as pre-commit
    installs a hook): its bin directory, or None when the install failed (no index, say)."""
    source = work / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", "build", "*.egg-info", "__pycache__", ".phx-tasklint-cache", ".*_cache"
        ),
    )
    venv = work / "venv"
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(source)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"could not install a fresh copy ({exc}); timing only the one on PATH")
        return None
    return bin_dir


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


def bench_tree(
    name: str,
    tree: Path,
    edited: Path,
    runs: int,
    cache_root: Path,
    fresh: Path | None,
    staged: Path | None = None,
    modes: tuple[str, ...] = ("cold", "warm", "1 edit"),
) -> list[tuple[str, ...]]:
    ruff_cache = cache_root / f"ruff-{name}"
    args = ["check", ".", "--exit-zero", "-q"]
    ruff = ["ruff", "check", "--isolated", "--select", "F401", "--exit-zero", "-q", "."]
    tools = {"this env": ["phx-tasklint", *args], "ruff": ruff}
    if fresh is not None:
        tools["ours"] = [str(fresh / "phx-tasklint"), *args]
    python = str(fresh / "python") if fresh is not None else sys.executable
    rows: list[tuple[str, ...]] = []
    for mode in (*modes, *(["1 staged"] if staged is not None else [])):
        if mode == "cold":
            commands = {k: [*cmd, "--no-cache"] for k, cmd in tools.items()}
            if hasattr(os, "fork"):
                commands["parse floor"] = [python, "-c", PARSE_FLOOR]
        else:
            commands = {**tools, "ruff": [*ruff, "--cache-dir", str(ruff_cache)]}
        if mode == "1 staged" and staged is not None:
            path = str(staged.relative_to(tree))
            commands = {k: [path if a == "." else a for a in cmd] for k, cmd in commands.items()}
            ours_cmd = tools.get("ours", tools["this env"])
            commands["--version"] = [ours_cmd[0], "--version"]
        if mode in ("warm", "1 staged"):
            for cmd in commands.values():  # fill every cache (each installation has its own)
                measure(cmd, tree)
        timings: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
        for n in range(runs):  # interleaved, so all see the same machine state
            for tool, cmd in commands.items():
                if mode == "1 edit":
                    with edited.open("a", encoding="utf-8") as handle:
                        handle.write(f"# edit {n} before {tool}\n")
                timings[tool].append(measure(cmd, tree))
        wall = {k: statistics.median(t for t, _ in v) for k, v in timings.items()}
        mib = {k: max(m for _, m in v) for k, v in timings.items()}
        ours = "ours" if "ours" in wall else "this env"
        floor = wall.get("parse floor")
        version = wall.get("--version")
        rows.append(
            (
                name,
                mode,
                f"{wall[ours]:.3f}",
                f"{wall['ruff']:.3f}",
                f"{wall[ours] / wall['ruff']:.2f}",
                f"{mib[ours]:.0f}",
                f"{mib['ruff']:.0f}",
                f"{wall['this env']:.3f}",
                f"{wall['this env'] / wall['ruff']:.2f}",
                "" if floor is None else f"{floor:.3f}",
                "" if floor is None else f"{floor / wall['ruff']:.2f}",
                "" if version is None else f"{version:.3f}",
                "" if version is None else f"{wall[ours] / version:.2f}",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated trees")
    parser.add_argument("--only", choices=["a", "b", "c"])
    parser.add_argument(
        "--phoenix",
        type=Path,
        default=PHOENIX_MIRROR if PHOENIX_MIRROR.exists() else None,
        help="a checkout or bare mirror of Phoenix's repository, for row (c)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="phx-bench-"))
    ruff_version = subprocess.run(["ruff", "--version"], capture_output=True, text=True).stdout
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {ruff_version.strip()}")
    import phx_tasklint

    package = Path(phx_tasklint.__file__).parent
    compileall.compile_dir(str(package), quiet=1)
    print(f"bytecode compiled for {package} (this env)")
    started = time.perf_counter()
    fresh = install_fresh(work)
    if fresh is not None:
        print(f"fresh install (ours): {fresh.parent} ({time.perf_counter() - started:.1f}s)")
    rows: list[tuple[str, ...]] = []
    try:
        if args.only in (None, "a"):
            tree = work / "site-packages"
            started = time.perf_counter()
            count = copy_site_packages(tree)
            print(f"(a) site-packages copy: {count} files ({time.perf_counter() - started:.1f}s)")
            edited = min(tree.rglob("*.py"))
            rows += bench_tree("(a) site-packages", tree, edited, args.runs, work, fresh)
        if args.only in (None, "b"):
            tree = work / "heavy"
            count = generate_heavy_tree(tree)
            print(f"(b) Phoenix-heavy tree: {count} files")
            edited = tree / "pkg0" / "experiment_0.py"
            staged = tree / "pkg0" / "experiment_1.py"
            rows += bench_tree("(b) Phoenix-heavy", tree, edited, args.runs, work, fresh, staged)
        if args.only in (None, "c") and args.phoenix is None:
            print(f"(c) Phoenix's repository: none at {PHOENIX_MIRROR} (--phoenix PATH); left out")
        elif args.only in (None, "c"):
            tree = work / "phoenix"
            started = time.perf_counter()
            count = extract(args.phoenix, tree)
            took = time.perf_counter() - started
            print(f"(c) Phoenix's repository from {args.phoenix}: {count} files ({took:.1f}s)")
            cold = ("cold",)
            rows += bench_tree("(c) Phoenix repo", tree, tree, args.runs, work, fresh, None, cold)
        floors = {
            "this env, python -c pass": [sys.executable, "-c", "pass"],
            "this env, phx-tasklint --version": ["phx-tasklint", "--version"],
        }
        if fresh is not None:
            floors["ours, python -c pass"] = [str(fresh / "python"), "-c", "pass"]
            floors["ours, phx-tasklint --version"] = [str(fresh / "phx-tasklint"), "--version"]
        floor_walls = {
            label: statistics.median(measure(cmd, work)[0] for _ in range(args.runs))
            for label, cmd in floors.items()
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"trees kept in {work}")
    header = (
        "tree",
        "cache",
        "ours s",
        "ruff s",
        "ours/ruff",
        "ours MiB",
        "ruff MiB",
        "this env s",
        "this env/ruff",
        "parse floor s",
        "floor/ruff",
        "--version s",
        "ours/--version",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    print(f"\nmedian of {args.runs} interleaved runs each; peak RSS of the largest process")
    for label, wall in floor_walls.items():
        print(f"start-up floor, {label}: {wall:.3f} s")


if __name__ == "__main__":
    main()
