"""Fuzz `phx-tasklint check` in-process, many more times than the test suite does.

The generators and oracles are those of tests/test_fuzz.py (fixtures mutated byte by byte, deep
nesting, empty and 20 MB files, notebooks, Markdown, generated hand-offs), driven here by a seeded
`random.Random` instead of hypothesis. Each case is checked as `checking.run` checks it, then:

* crash: an exception escaping `checking.run` (a usage error would be exit status 2), or an
  "internal error" message (an exception the engine swallowed);
* bad output: a format that fails to render or to encode as UTF-8, invalid JSON, a finding
  whose position is not 1-based or ends before it starts;
* wrong: a PHX000 where the oracle expects none, or none where it expects one (see the
  docstring of tests/test_fuzz.py); in the `fix` row, a `--fix --unsafe-fixes` run that breaks
  a file, changes lines outside the fixed functions, or leaves work for a second `--fix`;
* judged / expected PHX000 (how much the oracle decided): files it had a verdict for, and the
  PHX000s it expected in them;
* compile-only (not a failure): inputs that only CPython's bytecode compiler rejects (`return`
  outside a function, more than 20 nested blocks, ...), which phx-tasklint does not report, by
  design (its PHX000 is the parser's verdict).

One table row per input family, then the total; exit status 1 when anything crashed, printed
bad output or got a wrong verdict. Case `i` of a run is drawn from `Random(f"{seed}-{i}")`, so
`--only FAMILY --start i --cases 1` replays it (`--keep` leaves its files in place).

    python bench/fuzz.py [--cases 1000] [--seed 0] [--only FAMILY,...] [--keep]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIG_EVERY = 2000  # one 20 MB case per this many cases (each writes and reads 20 MB)
FIX_EVERY = 20  # one `--fix` case per this many cases (libcst makes them slow)


def load_generators() -> ModuleType:
    """tests/test_fuzz.py, importing this checkout's phx_tasklint (not an installed copy)."""
    for path in (str(ROOT / "tests"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    spec = importlib.util.spec_from_file_location("test_fuzz", ROOT / "tests" / "test_fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["test_fuzz"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Row:
    cases: int = 0
    judged: int = 0
    expected: int = 0
    crashes: int = 0
    bad_output: int = 0
    wrong: int = 0
    compile_only: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def plan(families: list[str], cases: int) -> list[str]:
    """Which family each case comes from: round robin, the slow ones rationed and spread out."""
    slow = {"big-20MB": BIG_EVERY, "fix": FIX_EVERY}
    fast = [f for f in families if f not in slow]
    if not fast:
        return [families[i % len(families)] for i in range(cases)]
    order: list[str | None] = [None] * cases
    for name, every in slow.items():
        free = [i for i, f in enumerate(order) if f is None]
        if name not in families or not free:
            continue
        count = min(len(free), max(1, cases // every))
        for j in range(count):
            order[free[j * len(free) // count]] = name
    rest = (fast[i % len(fast)] for i in range(cases))
    return [f if f is not None else next(rest) for f in order]


def run_one(fz: Any, family: str, draw: Any, root: Path, sub: str) -> tuple[Any, list[str]]:
    """(Run or None, fix problems) of one case."""
    if family != "fix":
        return fz.run_case(fz.generate(family, draw), root, sub), []
    for _ in range(50):  # a compiling candidate from a family where fixes have work to do
        source = fz.pick(draw, fz.FIXABLE_FAMILIES)
        [(name, data)] = fz.generate(source, draw).files
        if name.endswith(".py") and fz.prefilter.mentions(data) and fz.compiles(data):
            return None, [f"{source}: {p}" for p in fz.fix_problems(name, data, root, sub)]
    return None, []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases to run (default 1000)")
    parser.add_argument("--seed", default="0", help="seed of the run (default 0)")
    parser.add_argument("--start", type=int, default=0, help="index of the first case")
    parser.add_argument("--only", help="comma-separated families (default: all, and fix)")
    parser.add_argument("--keep", action="store_true", help="keep the files of every case")
    args = parser.parse_args(argv)

    fz = load_generators()
    families = [*fz.FAMILIES, "fix"]
    if args.only:
        families = [f.strip() for f in args.only.split(",")]
        unknown = sorted(set(families) - {*fz.FAMILIES, "fix"})
        if unknown:
            parser.error(f"unknown families {unknown}; known: {', '.join([*fz.FAMILIES, 'fix'])}")
    order = plan(families, args.cases)

    rows: dict[str, Row] = {name: Row() for name in families}
    workdir = Path(tempfile.mkdtemp(prefix="phx-fuzz-"))
    (workdir / ".git").mkdir()  # the pyproject.toml search stops here
    cwd = os.getcwd()
    os.chdir(workdir)
    started = time.perf_counter()
    try:
        for offset, family in enumerate(order):
            index = args.start + offset
            draw = fz.RandomDraw(random.Random(f"{args.seed}-{index}"))
            sub = f"c{index}"
            row = rows[family]
            tick = time.perf_counter()
            try:
                run, fix = run_one(fz, family, draw, workdir, sub)
            except Exception as exc:  # a generator or oracle bug: say so, never hide it
                run, fix = None, [f"harness error {type(exc).__name__}: {exc}"]
            row.cases += 1
            row.seconds += time.perf_counter() - tick
            label = f"{family} --start {index}"
            if run is not None:
                row.crashes += run.crash is not None
                row.bad_output += bool(run.output)
                row.wrong += bool(run.wrong)
                row.compile_only += run.compile_only
                row.judged += run.judged
                row.expected += run.expected
                for problem in ([run.crash] if run.crash else []) + run.output + run.wrong:
                    row.failures.append(f"{label}: {problem.strip().splitlines()[-1][:300]}")
            if fix:
                row.wrong += 1
                row.failures += [f"{label}: {p[:300]}" for p in fix]
            if not args.keep:
                shutil.rmtree(workdir / sub, ignore_errors=True)
    finally:
        os.chdir(cwd)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started

    columns = {  # header: Row attribute
        "cases": "cases",
        "judged": "judged",
        "expected PHX000": "expected",
        "crashes": "crashes",
        "bad output": "bad_output",
        "wrong": "wrong",
        "compile-only": "compile_only",
    }
    attributes = list(columns.values())
    total = Row(seconds=elapsed)
    for r in rows.values():
        for attribute in attributes:
            setattr(total, attribute, getattr(total, attribute) + getattr(r, attribute))
    header = ("family", *columns, "time")
    table: list[tuple[object, ...]] = [
        (name, *(getattr(r, a) for a in attributes), f"{r.seconds:.1f}s")
        for name, r in [*((n, r) for n, r in rows.items() if r.cases), ("total", total)]
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *table, strict=True)]
    for number, line in enumerate([header, *table]):
        if number == len(table):
            print("  ".join("-" * w for w in widths))
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in
                 enumerate(zip(line, widths, strict=True))]  # fmt: skip
        print("  ".join(cells))
    failures = [f for r in rows.values() for f in r.failures]
    if failures:
        print(f"\n{len(failures)} failures (replay with --seed {args.seed} --only F --start I "
              "--cases 1 --keep):")  # fmt: skip
        for kind, count in Counter(f.split(": ", 1)[1][:80] for f in failures).most_common(10):
            print(f"  {count:>5} x {kind}")
        for failure in failures[:20]:
            print(f"  {failure}")
    bad = total.crashes + total.bad_output + total.wrong
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
