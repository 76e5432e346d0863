"""The linter on real code: per repository of a corpus, the hand-offs it resolved, the ones it
skipped (with the reason), its findings per rule, and the time of a cold `check`.

The corpus is fetched, not committed: each argument is a directory, or a bare git repository
(a `fetch` mirror) whose HEAD is extracted to a scratch directory first. Repositories that hand
tasks and evaluators to Phoenix are where users' code lives: Phoenix's own docs, tutorials and
notebooks (github:Arize-ai/phoenix) first of all. The corpus measured so far (`fetch` each):

    github:Arize-ai/phoenix                 docs, tutorials, notebooks, the library itself
    github:airbytehq/connector-builder-mcp  AsyncClient experiments, evaluators in a sibling module
    github:Percolation-Labs/reminiscent     a client wrapper class, integration scripts
    github:salescode-ai/deusauditron        the legacy runner from a FastAPI router, a docs page
    github:selvamanigovindaraj/business-intelligence-data-analysis-agent
                                            async_run_experiment, create_evaluator, closures
    github:Egor698/LLMBasedRouter           a small src/ layout with create_evaluator
    github:bstraehle/ai-ml-dl               course notebooks (legacy run/evaluate_experiment)

    python bench/corpus.py /work/.mirror/Arize-ai+phoenix/repo [MORE ...] [--part docs ...]

"resolved" counts the hand-offs the judge saw (`lint.Report.handoffs`); "skipped" those left
unresolved, never guessed (`--statistics` lists the same reasons). The time is a cold
`phx-tasklint check --no-cache` of the tree in a process of its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from phx_tasklint.cli.walk import iter_files
from phx_tasklint.lint import lint, sources
from phx_tasklint.lint import wrappers as lint_wrappers
from phx_tasklint.project.config import load_config


def tree_of(argument: str, scratch: Path) -> tuple[str, Path]:
    """(a name for the repository, the directory to check)."""
    path = Path(argument).resolve()
    if (path / "HEAD").is_file() and (path / "objects").is_dir():  # a bare repository
        name = path.parent.name.replace("+", "/") if path.name == "repo" else path.name
        target = scratch / name.replace("/", "+")
        target.mkdir(parents=True)
        extract(path, target)
        return name, target
    return path.name, path


def extract(git_dir: Path, target: Path) -> None:
    """HEAD's files into `target`. A `fetch` mirror may lack its largest blobs, which makes
    `git archive` fail: those files are left out (they are data, not code)."""
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", "HEAD"], capture_output=True
    )
    if archive.returncode == 0:
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        return
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", "HEAD"],
        capture_output=True,
        check=True,
    ).stdout
    entries = []  # (object id, path) of the regular files
    for record in filter(None, listing.split(b"\0")):
        meta, _, name = record.partition(b"\t")
        mode, kind, oid = meta.split()
        if kind == b"blob" and mode in (b"100644", b"100755"):
            entries.append((oid, name))
    batch = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        input=b"".join(oid + b"\n" for oid, _ in entries),
        capture_output=True,
        check=True,
    ).stdout
    at = 0
    for _oid, name in entries:
        end = batch.index(b"\n", at)
        header = batch[at:end].split()
        at = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        destination = target / os.fsdecode(name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(batch[at : at + size])
        at += size + 1


def survey(tree: Path) -> tuple[int, int, Counter[str], Counter[str], float]:
    """(files, resolved hand-offs, skipped reasons, findings per code, cold check seconds)."""
    config = load_config(None, tree)
    walked = iter_files([str(tree)], config)
    wrappers = lint_wrappers(config)  # PHX000 where `check` reports it
    loaded = [sources.load(Path(f.raw), f.display, wrappers=wrappers) for f in walked.files]
    report = lint(loaded, config)
    codes = Counter(f.diagnostic.code for f in report.findings)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "phx_tasklint", "check", "--no-cache", "--exit-zero", "-q", "."],
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    seconds = time.perf_counter() - started
    return len(walked.files), len(report.handoffs), report.skipped, codes, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", help="directories or bare git repositories")
    parser.add_argument(
        "--part", action="append", default=[], help="also a row for this subdirectory (docs)"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="phx-corpus-"))
    rows = []
    reasons: dict[str, Counter[str]] = {}
    try:
        for argument in args.trees:
            repository, root = tree_of(argument, scratch)
            parts = [(repository, root)]
            parts += [(f"{repository}/{p}", root / p) for p in args.part if (root / p).is_dir()]
            for name, tree in parts:
                files, resolved, skipped, codes, seconds = survey(tree)
                total = resolved + sum(skipped.values())
                share = f"{100 * resolved / total:.1f} %" if total else "-"
                found = ", ".join(f"{c} {n}" for c, n in sorted(codes.items())) or "-"
                row = (name, str(files), str(resolved), str(total - resolved), share)
                rows.append((*row, f"{seconds:.2f}", found))
                reasons[name] = skipped
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    header = ("repository", "files", "resolved", "skipped", "resolved %", "check s", "findings")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    for name, skipped in reasons.items():
        if skipped:
            print(f"\nskipped in {name}:")
            for reason, count in skipped.most_common():
                print(f"  {count:5}  {reason}")


if __name__ == "__main__":
    main()
