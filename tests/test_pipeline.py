"""The fast paths never change a result: prefilter, cache, worker processes, lazy imports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phx_tasklint.cli.cache import DIRECTORY
from phx_tasklint.cli.pipeline import Options, run
from phx_tasklint.core import spec
from phx_tasklint.lint import prefilter, pyast
from phx_tasklint.lint.findings import Finding, HandOffSite

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from lint import generate_heavy_tree  # noqa: E402  (bench/lint.py builds the benchmark tree)

Key = tuple[str, int | None, int, int, str, str]


def keys(findings: list[Finding]) -> list[Key]:
    return [
        (
            f.location.path,
            f.location.cell,
            f.location.line,
            f.location.column,
            f.diagnostic.code,
            f.message(),  # with the calls that hand the definition over
        )
        for f in findings
    ]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixtures beside 60 generated Phoenix-heavy files and some files with no hand-off."""
    root = tmp_path / "tree"
    shutil.copytree(FIXTURES, root / "fixtures", ignore=shutil.ignore_patterns("*cache*"))
    generate_heavy_tree(root / "heavy", files=60, seed=3)
    (root / "plain.py").write_text("def f(x, y):\n    return x\n")
    (root / "mentions_only.py").write_text("# phoenix is mentioned, nothing is handed over\n")
    # blocks that do not parse: reported where a hand-off could be, counted or dropped elsewhere
    (root / "pseudo.py").write_text("import phoenix\nphoenix.launch_app(\n")
    (root / "broken_run.py").write_text("run_experiment(task=\n")
    (root / "docs").mkdir()
    (root / "docs/page.md").write_text(
        "```python\nfrom phoenix.client.experiments import run_experiment\n```\n"
        "```python\nresult = client.get(\n```\n```python\nrun_experiment(task=\n```\n"
    )
    (root / "docs/pseudo.md").write_text("```python\nresult = client.get(\n```\n")
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root


def python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`code` run by this interpreter in a process of its own, in `cwd`; it must succeed."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    )


def lint(**options: object) -> list[Key]:
    return keys(run(Options(**{"paths": ["."], **options})).findings)  # type: ignore[arg-type]


def outcome(**options: object) -> tuple[list[Key], dict[str, int]]:
    """Findings and the `--statistics` counts of what was skipped."""
    done = run(Options(**{"paths": ["."], "use_cache": False, "jobs": 1, **options}))  # type: ignore[arg-type]
    return keys(done.findings), dict(done.skipped)


def test_prefilter_never_changes_a_result(tree: Path) -> None:
    filtered = outcome()
    unfiltered = outcome(prefilter=False)
    assert len(filtered[0]) > 200
    assert filtered == unfiltered
    phx000 = sorted(k[0] for k in filtered[0] if k[4] == "PHX000")
    # the broken blocks that name a runner (the fixtures' own among them)
    assert phx000 == [
        "broken_run.py",
        "docs/page.md",
        "fixtures/experiment.ipynb",
        "fixtures/guide.md",
    ]
    # docs/page.md's pseudo-code, and fixtures/guide.md's `def oops(:` (whose page also hands
    # something over): each could hold no hand-off; so could not the notebook's `def broken(:`
    assert filtered[1]["code fence that does not parse (cannot hold a hand-off)"] == 2
    assert filtered[1]["notebook cell that does not parse (cannot hold a hand-off)"] == 1


_CALL = "\n\ndef task(input, question):\n    return question\n\n\n"
_EVALUATOR = "\n\ndef ev(output, question):\n    return 1.0\n\n\n"
# Each way into the engine at the edge of what the byte screen looks for, with the code the
# engine reports there (None: no finding expected of this engine, only no difference).
EDGES: dict[str, tuple[dict[str, str], str | None]] = {
    "import-as": (
        {
            "a.py": "from phoenix.client.experiments import run_experiment as rx"
            + _CALL
            + "rx(dataset=None, task=task)\n"
        },
        "PHX002",
    ),
    "module-as": (
        {
            "a.py": "import phoenix.client.experiments as pxe"
            + _CALL
            + "pxe.run_experiment(dataset=None, task=task)\n"
        },
        "PHX002",
    ),
    "async-runner": (
        {
            "a.py": "from phoenix.client.experiments import async_run_experiment"
            + _CALL
            + "async def main():\n    await async_run_experiment(dataset=None, task=task)\n"
        },
        "PHX002",
    ),
    "from-phoenix-import-experiments": ({"a.py": "from phoenix import experiments\n"}, "PHX402"),
    "legacy-import-in-brackets": (
        {"a.py": "from phoenix import (\n    client,  # the new one\n    experiments,\n)\n"},
        "PHX402",
    ),
    "legacy-import-spaced": ({"a.py": "import phoenix . experiments\n"}, "PHX402"),
    "legacy-import-continued": ({"a.py": "import phoenix.\\\n    experiments as e\n"}, "PHX402"),
    "removed-evals-name": ({"a.py": "from phoenix.evals import llm_classify\n"}, "PHX407"),
    "removed-evals-module-spaced": (
        {"a.py": "from phoenix . evals . models import (\n    OpenAIModel,\n)\n"},
        "PHX407",
    ),
    "removed-evals-module-continued": (
        {"a.py": "import phoenix.\\\n    evals.legacy as old\n"},
        "PHX407",
    ),
    "evaluator-subclass": (
        {
            "a.py": "from phoenix.client.resources.experiments.types import BaseEvaluator as B\n"
            "\n\nclass Judge(B):\n    def evaluate(self, output, question):\n"
            "        return 1.0\n"
        },
        "PHX002",
    ),
    "evaluator-subclass-bracketed": (
        {
            "a.py": "from phoenix.client.resources.experiments.types import BaseEvaluator\n"
            "\n\nclass Judge(\n    Mixin,\n    BaseEvaluator,  # the client's\n):\n"
            "    def evaluate(self, output, question):\n        return 1.0\n"
        },
        "PHX002",
    ),
    "pytest-marker": (
        {
            "test_a.py": "import pytest"
            + _EVALUATOR
            + "@pytest.mark.phoenix(evaluators=[ev])\ndef test_x():\n    pass\n"
        },
        "PHX002",
    ),
    "pytest-marker-aliased": (
        {
            "test_a.py": "from pytest import mark as m"
            + _EVALUATOR
            + "@m.phoenix(evaluators=[ev])\ndef test_x():\n    pass\n"
        },
        "PHX002",
    ),
    "pytest-marker-continued": (
        {
            "test_a.py": "import pytest"
            + _EVALUATOR
            + "@pytest.mark\\\n    .phoenix(evaluators=[ev])\ndef test_x():\n    pass\n"
        },
        "PHX002",
    ),
    "configured-runner": (
        {
            "pyproject.toml": '[tool.phx-tasklint]\ntask-runners = ["mylib.launch"]\n',
            "a.py": "from mylib import launch" + _CALL + "launch(task)\n",
        },
        "PHX002",
    ),
    "nfkc-identifier": (
        {
            "a.py": "from phoenix.client.experiments import \uff52un_experiment"
            + _CALL
            + "\uff52un_experiment(dataset=None, task=task)\n"
        },
        "PHX002",
    ),
    "undeclared-client": (  # the engine may learn it: the screen must let it through
        {
            "a.py": "import phoenix"
            + _CALL
            + "px_client.experiments.run_experiment(dataset=None, task=task)\n"
        },
        None,
    ),
    "notebook-import-as": (
        {
            "nb.ipynb": json.dumps(
                {
                    "cells": [
                        {"cell_type": "code", "metadata": {}, "source": source}
                        for source in (
                            "from phoenix.client import experiments as ex\n",
                            "def task(input, question):\n    return question\n",
                            "ex.run_experiment(dataset=None, task=task)\n",
                        )
                    ],
                    "metadata": {},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            )
        },
        "PHX002",
    ),
    "pytest-marker-across-fences": (  # the names a marker needs, in two fences
        {
            "page.md": "```python\nfrom pytest import mark as m\n```\n\n```python\n"
            + _EVALUATOR.strip("\n")
            + "\n\n\n@m.phoenix(evaluators=[ev])\ndef test_x():\n    pass\n```\n"
        },
        "PHX002",
    ),
    "pytest-marker-across-cells": (
        {
            "nb.ipynb": json.dumps(
                {
                    "cells": [
                        {"cell_type": "code", "metadata": {}, "source": source}
                        for source in (
                            "from pytest import mark as m\n",
                            _EVALUATOR.strip("\n") + "\n",
                            "@m.phoenix(evaluators=[ev])\ndef test_x():\n    pass\n",
                        )
                    ],
                    "metadata": {},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            )
        },
        "PHX002",
    ),
    "console-fence-legacy-import": (
        {"page.md": "```pycon\n>>> from phoenix import (\n...     experiments)\n```\n"},
        "PHX402",
    ),
}


# What stage 2 reacts to, spelled the ways Python allows: stage 1 must let every one through.
_CALLED = sorted(prefilter._RUNNER_NAMES | {"create_evaluator", "launch"})
_GAPS = st.sampled_from(["", " ", "\t", "\\\n", " \\\n  "])
_BRACKET_GAPS = st.sampled_from(["", " ", "\n", "  # note\n  ", "\\\n"])


@st.composite
def spelled(draw: st.DrawFn, name: str) -> str:
    """`name` as Python may read it: some ASCII letters in their fullwidth (NFKC) forms."""
    return "".join(
        chr(ord(c) + 0xFEE0) if c.isalpha() and draw(st.integers(0, 5)) == 0 else c for c in name
    )


@st.composite
def handoff_snippets(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["call", "decorator", "marker", "base", "legacy"]))
    gap, inner = draw(_GAPS), draw(_BRACKET_GAPS)
    if shape == "legacy":
        phoenix, experiments = draw(spelled("phoenix")), draw(spelled("experiments"))
        return draw(
            st.sampled_from(
                [
                    f"import {phoenix}{gap}.{gap}{experiments}\n",
                    f"from {phoenix}{gap}.{gap}{experiments}{gap}.{gap}x import y\n",
                    f"from {phoenix} import{gap}({inner}client,{inner}{experiments}{inner})\n",
                ]
            )
        )
    group = {"call": _CALLED, "decorator": ["create_evaluator"], "base": prefilter._BASE_NAMES}
    name = draw(st.sampled_from(sorted(group.get(shape, [spec.PYTEST_MARKER]))))
    used = draw(spelled(name))
    head = ""
    module = "pytest.mark" if shape == "marker" else "lib.mod"
    if draw(st.booleans()):  # imported under another name
        alias = draw(st.sampled_from(["rx", "b", "m", "ce"]))
        head = f"from {module} import{gap}({inner}{used}{inner} as {alias}{inner})\n"
        used, prefix = alias, ""
    elif shape == "marker":
        heads = {
            "pytest.mark.": "import pytest\n",
            "(pytest.mark).": "import pytest\n",
            "m.": "from pytest import mark as m\n",
            "mm.": "import pytest\nmm = pytest.mark  # once\n",
        }
        prefix = draw(st.sampled_from(sorted(heads)))
        head = heads[prefix]
    else:
        prefix = draw(st.sampled_from(["", "x.", "x . y.", "(x)."]))
    if prefix and draw(st.booleans()):
        prefix = prefix[:-1] + gap + "." + gap
    if shape == "call":
        return head + f"{prefix}{used}{gap}({inner}1{inner})\n"
    if shape == "base":
        return head + f"class C(object,{inner}{prefix}{used}{inner}): pass\n"
    call = "" if shape == "decorator" and draw(st.booleans()) else f"({inner})"
    return head + f"@{prefix}{used}{call}\ndef f(): pass\n"


@given(handoff_snippets())
def test_stage_one_lets_through_whatever_stage_two_reacts_to(text: str) -> None:
    tree = pyast.parse(text)
    wrappers = frozenset({"launch"})
    assert prefilter.has_handoff(tree, wrappers)
    assert prefilter.could_hand_off(text, wrappers)


def test_the_nfkc_gate_lets_every_compatibility_letter_through() -> None:
    """Only a character whose NFKC form holds an ASCII letter, digit or underscore can make an
    identifier spell a name; `prefilter._COMPATIBLE` must match each one this Python knows."""
    missed = [
        f"U+{code:04X}"
        for code in range(0x80, sys.maxunicode + 1)
        if re.search("[A-Za-z0-9_]", unicodedata.normalize("NFKC", chr(code)))
        and not prefilter._COMPATIBLE.match(chr(code).encode())
    ]
    assert missed == []


@pytest.mark.parametrize(
    "text",
    [
        "def test_run_experiment(): pass\n",  # a longer name
        "class EvaluatorConfig: pass\nmy_create_evaluator_helper()\n",
        "import pytest\nassert metadata.phoenix is not None  # pytest.mark elsewhere\n",
        "from phoenix.client import Client\nClient().experiments.get_experiment(x)\n",
        "from phoenix import otel\n",
        # an evaluator base's name counts only among a class statement's bases
        "from phoenix.db import models\nselect(models.LLMEvaluator).where(x)\n",
        "class LLMEvaluator(Base):\n    kind = 'LLMEvaluator'\n",
        "the class Evaluator (see below) scores outputs\n",
    ],
)
def test_stage_one_passes_over_what_only_looks_alike(text: str) -> None:
    assert not prefilter.could_hand_off(text)


@pytest.mark.parametrize(
    "text",
    [
        "class Judge(base.CodeEvaluator): ...\n",
        "class Judge(Generic[T],\n            LLMEvaluator):\n    ...\n",
        "class Judge[T: (int, str)](\\\n  Evaluator): ...\n",
        "from x import Evaluator as E\nclass Judge(E): ...\n",
        'class Judge(make(")"), Other): ...  # BaseEvaluator elsewhere\n',  # not sure: yes
        ">>> class Judge(\n...     Evaluator):\n...     pass\n",  # a console session
    ],
)
def test_stage_one_finds_evaluator_bases_in_class_statements(text: str) -> None:
    assert prefilter.mentions(text.encode())


@pytest.mark.parametrize("case", sorted(EDGES))
def test_prefilter_lets_every_edge_through(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, code = EDGES[case]
    _files(tmp_path, files)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    filtered = outcome()
    assert filtered == outcome(prefilter=False)
    if code is not None:
        assert code in {k[4] for k in filtered[0]}, filtered


def test_findings_come_out_sorted_and_workers_are_forked_only_when_asked(tree: Path) -> None:
    """In any process but the console script (`fork_workers`), `jobs` changes nothing: the
    work is done in-process (a forked child would inherit this process's locks)."""
    serial = lint(use_cache=False, jobs=1)
    assert lint(use_cache=False, jobs=2) == serial
    assert serial == sorted(serial, key=lambda k: (k[0], k[1] or 0, k[2], k[3], k[4]))


def test_forked_workers_give_the_serial_result_even_when_one_dies(tree: Path) -> None:
    """The console script's forked workers: the same result as one process, and what a worker
    that dies without sending its results took, or every item when none can be started, is
    analysed here; with SIGCHLD ignored, the results that arrived whole count. (In a process of
    its own: this one may hold at-fork hooks, Phoenix's among them, that hang a forked
    child.)"""
    serial = lint(use_cache=False, jobs=1)
    code = (
        "import json, os, signal\nimport phx_tasklint.cli.pipeline as c\n"
        "parent = os.getpid()\noriginal = c.analyse_share\nhere = []\n"
        "def counted(config, index, screen, items, keep=None):\n"
        "    def noted():\n"
        "        for item in items:\n"
        "            if os.getpid() == parent:\n                here.append(item.display)\n"
        "            yield item\n"
        "    return original(config, index, screen, noted(), keep)\n"
        "def dying(*args):\n"
        "    if os.getpid() != parent:\n        os._exit(3)\n"
        "    return counted(*args)\n"
        "def refused():\n    raise BlockingIOError(11, 'fork refused')\n"
        "def run(share=counted):\n"
        "    here.clear()\n    c.analyse_share = share\n"
        "    options = c.Options(paths=['.'], use_cache=False, jobs=3, fork_workers=True)\n"
        "    found = [[f.location.path, f.location.cell, f.location.line, f.location.column,\n"
        "              f.diagnostic.code, f.message()] for f in c.run(options).findings]\n"
        "    return found, len(set(here))\n"
        "out = {'whole': run(), 'died': run(dying)}\n"
        "real_fork = os.fork\nos.fork = refused\nout['unforked'] = run()\nos.fork = real_fork\n"
        "signal.signal(signal.SIGCHLD, signal.SIG_IGN)\nout['unseen'] = run()\n"
        "print(json.dumps(out))\n"
    )
    out = json.loads(python(code, tree).stdout)
    # (findings, how many files this process analysed itself)
    every = out["unforked"][1]
    assert [tuple(k) for k in out["unforked"][0]] == serial and every > 24
    assert [tuple(k) for k in out["whole"][0]] == serial and out["whole"][1] <= every
    assert [tuple(k) for k in out["died"][0]] == serial and out["died"][1] == every
    # children reaped unseen (SIGCHLD ignored): their results, arrived whole, still count
    assert [tuple(k) for k in out["unseen"][0]] == serial and out["unseen"][1] <= every


def test_warm_cache_gives_the_cold_result(tree: Path) -> None:
    cold = lint(use_cache=False, jobs=1)
    first = lint(jobs=1)
    assert (tree / DIRECTORY / ".gitignore").exists()
    assert list((tree / DIRECTORY).glob("v*.json"))
    warm = lint(jobs=1)
    assert first == cold and warm == cold


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()  # make sure the modification time moves even on a coarse clock
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


CROSS = {
    "pkg/__init__.py": "",
    "pkg/tasks.py": "def summarize(input, style):\n    return style\n",
    "pkg/run.py": (
        "from phoenix.client.experiments import run_experiment\n"
        "from pkg.tasks import summarize\n\n"
        "def main(ds):\n    run_experiment(dataset=ds, task=summarize)\n"
    ),
}


@pytest.fixture
def cross(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in CROSS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_editing_an_imported_file_rechecks_the_file_that_imports_it(cross: Path) -> None:
    assert [k[4] for k in lint()] == ["PHX002"]
    # tasks.py has no marker of its own: only run.py's entry can notice that it changed
    _write(cross / "pkg/tasks.py", "def summarize(input, style=None):\n    return style\n")
    assert lint() == []
    _write(cross / "pkg/tasks.py", "def summarize(input, expected):\n    return 1\n")
    assert lint() == []
    _write(cross / "pkg/tasks.py", "def summarize(x, y):\n    return 1\n")
    assert [k[4] for k in lint()] == ["PHX002"]


def test_a_package_above_a_dependency_that_appears_rechecks(cross: Path) -> None:
    """With no `pkg/__init__.py` anywhere, `pkg` is a namespace package whose portions are
    `pkg/` and `lib/pkg/` (`lib` is a module root): `pkg.tasks` is found in the first. When
    `lib/pkg/__init__.py` appears, `pkg` is that regular package, and run.py's import no longer
    finds tasks.py. Nothing that run.py's entry depends on changed but what that name means."""
    (cross / "pkg/__init__.py").unlink()
    _files(cross, {"pyproject.toml": '[tool.phx-tasklint]\nmodule-roots = ["lib"]\n'})
    _files(cross, {"lib/pkg/other.py": ""})
    assert [k[4] for k in lint()] == ["PHX002"]
    (cross / "lib/pkg/__init__.py").write_text("")
    assert lint(use_cache=False) == []
    assert lint() == []
    (cross / "lib/pkg/__init__.py").unlink()
    assert lint() == lint(use_cache=False) != []


def _files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


USES = (
    "from phoenix.client.experiments import run_experiment\n{}\n\n"
    "run_experiment(dataset=None, task=f)\n"
)
TASK = "def f(input, style):\n    return style\n"


def test_a_package_that_gives_a_relative_import_its_meaning_rechecks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run.py's own module name says what `..tasks` is, and the roots of a run say what that
    name is: from the project's root `a/b/run.py` is `a.b.run` (`..tasks` is `a/tasks.py`);
    with `a/b` named on the command line it is `run` (`..tasks` is nothing). Neither run.py
    nor tasks.py changes between the runs."""
    _files(tmp_path, {"a/__init__.py": "", "a/tasks.py": TASK})
    _files(tmp_path, {"a/b/run.py": USES.format("from ..tasks import f")})
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert lint(paths=["a/b"]) == lint(use_cache=False, paths=["a/b"]) == []
        assert lint() == lint(use_cache=False) != []


def test_a_new_file_that_takes_a_modules_name_rechecks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two module roots: `tasks` is `a/tasks.py` until `b/tasks.py` appears; then which one
    runs depends on the order of sys.path, and nothing is guessed. When `a/tasks.py` goes, it
    is `b/tasks.py`."""
    _files(tmp_path, {"pyproject.toml": '[tool.phx-tasklint]\nmodule-roots = ["a", "b"]\n'})
    _files(
        tmp_path, {"a/tasks.py": TASK, "b/x.py": "", "run.py": USES.format("from tasks import f")}
    )
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert [k[0] for k in lint()] == ["a/tasks.py"]
    _files(tmp_path, {"b/tasks.py": TASK})
    assert lint() == lint(use_cache=False) == []
    (tmp_path / "a/tasks.py").unlink()
    assert [k[0] for k in lint()] == [k[0] for k in lint(use_cache=False)] == ["b/tasks.py"]


def test_a_file_that_could_not_be_read_is_read_again(
    cross: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permission changes neither size nor modification time: the PHX000 is not cached."""
    original = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "run.py":
            raise PermissionError(13, "Permission denied")
        return original(self)

    healthy = lint(use_cache=False, jobs=1)
    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", denied)
        assert [(k[0], k[4]) for k in lint(jobs=1)] == [("pkg/run.py", "PHX000")]
    assert lint(jobs=1) == healthy


def test_each_working_directory_has_its_own_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run.py` from `a/` and from `b/` are two files, even with one size and one time (as a
    tarball or `cp -p` leaves them), and one cache directory at the root serves both."""
    _files(tmp_path, {"pyproject.toml": "[tool.phx-tasklint]\n"})
    _files(tmp_path, {"a/run.py": USES.format("def f(input, style):\n    return 1\n")})
    _files(tmp_path, {"b/run.py": USES.format("def f(input, style=1):\n  return 1\n")})
    a, b = tmp_path / "a/run.py", tmp_path / "b/run.py"
    stat = a.stat()
    os.utime(b, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert b.stat().st_size == stat.st_size and a.read_bytes() != b.read_bytes()
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert lint(paths=["run.py"]) != []
    monkeypatch.chdir(tmp_path / "b")
    assert lint(paths=["run.py"]) == lint(paths=["run.py"], use_cache=False)


def test_editing_the_checked_file_itself_rechecks_it(cross: Path) -> None:
    assert len(lint()) == 1
    _write(cross / "pkg/run.py", CROSS["pkg/run.py"].replace("task=summarize", "task=len"))
    assert lint() == []


def _bad_index(stored: dict[str, Any]) -> None:
    stored["files"]["pkg/run.py"][3] = [[len(stored["diagnostics"]) + 5, 0, 1, 1, 1, 1, None, None]]


def _bad_table(stored: dict[str, Any]) -> None:
    stored["diagnostics"] = 7


def _negative_index(stored: dict[str, Any]) -> None:
    stored["files"]["pkg/run.py"][3] = [[-1, -1, 1, 1, 1, 1, None, None]]


def _other_settings(stored: dict[str, Any]) -> None:
    # another configuration whose fingerprint happens to be the same, and whose results differ
    stored["settings"][0]["codes"] = ["PHX001"]
    stored["files"]["pkg/run.py"][3] = []


def _other_directory(stored: dict[str, Any]) -> None:
    # made for runs started in another directory, where `pkg/run.py` is another file
    stored["settings"][1] = "/elsewhere"
    stored["files"]["pkg/run.py"][3] = []


def _committed(stored: dict[str, Any]) -> None:
    # written by anyone but this installation (committed to the repository, say): the trust
    # anchor cannot be guessed, and the results are not ours
    stored["settings"][3] = "phx-tasklint 1 2 3 4\n"
    stored["files"]["pkg/run.py"][3] = []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b'{"schema": 1, "version": "0.0.0", "files": {}}',
        b"\x00\xff" * 50,
        b'{"schema": 1, "version": "0.1.0", "files": {"pkg/run.py": {"m": "x"}}}',
        _bad_index,
        _bad_table,
        _negative_index,
        _other_settings,
        _other_directory,
        _committed,
    ],
    ids=[
        "empty",
        "corrupt",
        "foreign-version",
        "binary",
        "bad-entry",
        "bad-index",
        "bad-table",
        "negative-index",
        "other-settings",
        "other-directory",
        "committed",
    ],
)
def test_corrupt_or_foreign_cache_is_ignored_and_rewritten(
    cross: Path, content: bytes | Callable[[dict[str, Any]], None]
) -> None:
    cold = lint(use_cache=False)
    lint()
    for cache_file in (cross / DIRECTORY).glob("v*.json"):
        if isinstance(content, bytes):
            cache_file.write_bytes(content)
            continue
        stored = json.loads(cache_file.read_bytes())
        assert "pkg/run.py" in stored["files"] and len(stored["files"]["pkg/run.py"]) > 3
        content(stored)
        cache_file.write_text(json.dumps(stored))
    assert lint() == cold
    for cache_file in (cross / DIRECTORY).glob("v*.json"):
        assert json.loads(cache_file.read_bytes())["files"]  # rewritten whole


def test_cache_stores_each_distinct_diagnostic_once(tree: Path) -> None:
    cold = lint(use_cache=False, jobs=1)
    lint(jobs=1)
    (cache_file,) = (tree / DIRECTORY).glob("v*.json")
    stored = json.loads(cache_file.read_bytes())
    rows = [f for row in stored["files"].values() if len(row) > 3 for f in row[3]]
    # a definition handed over from several files is stored with each (its calls differ) and
    # shown once
    assert len(rows) > len(cold)
    assert len(stored["diagnostics"]) < len(rows) / 2  # the heavy files repeat their messages
    assert len(stored["diagnostics"]) == len({json.dumps(d) for d in stored["diagnostics"]})
    assert lint(jobs=1) == cold


def test_concurrent_runs_never_corrupt_the_cache(tree: Path) -> None:
    expected = lint(use_cache=False, jobs=1)
    results: list[list[Key]] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            results.append(lint(jobs=1))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results)
    assert lint(jobs=1) == expected
    for cache_file in (tree / DIRECTORY).glob("v*.json"):
        json.loads(cache_file.read_bytes())
    assert not list((tree / DIRECTORY).glob(".tmp-*")), "temporary files left behind"


def test_cache_files_no_run_writes_any_more_are_pruned(cross: Path) -> None:
    """Each version, configuration and working directory has a cache file of its own: the
    most recently written ones are kept, and nothing that is not a cache file is touched."""
    from phx_tasklint.cli import cache

    lint()
    (current,) = (cross / DIRECTORY).glob("v*.json")
    old = [cross / DIRECTORY / f"v0.0.{n}-0123456789abcdef.json" for n in range(cache._KEEP + 3)]
    for age, path in enumerate(old):
        path.write_text("{}")
        os.utime(path, ns=(10**18 - age * 10**9, 10**18 - age * 10**9))
    (cross / DIRECTORY / "notes.txt").write_text("not ours")
    (cross / "pkg/run.py").write_text((cross / "pkg/run.py").read_text() + "\n")
    lint()  # writes its cache file, and prunes
    left = set((cross / DIRECTORY).glob("v*.json"))
    assert left == {current, *old[: cache._KEEP - 1]}
    assert (cross / DIRECTORY / "notes.txt").exists()


def test_a_dependency_saved_during_a_run_is_seen_by_the_next(
    cross: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry holds the stat of each dependency taken before it was read: a save between the
    read and the end of the run leaves the entry stale, never the result."""
    import phx_tasklint.cli.pipeline as pipeline

    _write(cross / "pkg/tasks.py", "def summarize(input, style=None):\n    return style\n")
    original = pipeline._analyse

    def then_saved(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        _write(cross / "pkg/tasks.py", CROSS["pkg/tasks.py"])
        return out

    monkeypatch.setattr(pipeline, "_analyse", then_saved)
    assert lint() == []  # what the files said when they were read
    monkeypatch.undo()
    monkeypatch.chdir(cross)
    assert lint() == lint(use_cache=False) != []


def _analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display paths every later run hands to the analysis."""
    import phx_tasklint.cli.pipeline as pipeline

    seen: list[str] = []
    original = pipeline._analyse

    def spy(config: Any, index: Any, items: list[Any], *args: Any) -> Any:
        seen.extend(item.display for item in items)
        return original(config, index, items, *args)

    monkeypatch.setattr(pipeline, "_analyse", spy)
    return seen


def test_two_installations_or_users_keep_a_cache_file_each(
    cross: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit hook's copy and a virtual environment's, or two users (or one with other
    groups), run in turns over one tree: each answers from its own cache file, never finding
    the other's foreign."""
    from phx_tasklint.cli import cache, pipeline

    cold = lint(use_cache=False)
    installs = [str(tmp_path_factory.mktemp(name) / "phx_tasklint") for name in ("hook", "venv")]
    users = [cache.identity(), ((65534, 65534, (65534,)), "0000000000000000")]
    turns = [(install, user) for install in installs for user in users]
    seen = _analysed(monkeypatch)
    for again in (False, True):
        seen.clear()
        for install, user in turns:
            monkeypatch.setattr(pipeline, "identity", lambda user=user: user)
            monkeypatch.setattr(pipeline, "installation", lambda install=install: install)
            assert lint() == cold
        assert len(list((cross / DIRECTORY).glob("v*.json"))) == 4
        assert (seen == []) is again


def test_an_edited_rule_is_never_answered_from_the_cache(
    cross: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is keyed by a digest of the package's own modules: after an edit of the tool
    (an editable install whose rule message changed), every file is checked again."""
    from phx_tasklint.cli import pipeline

    cold = lint(use_cache=False)
    seen = _analysed(monkeypatch)
    assert lint() == cold and seen
    seen.clear()
    assert lint() == cold and seen == []
    monkeypatch.setattr(pipeline, "code_digest", lambda: "edited")
    assert lint() == cold and sorted(seen) == ["pkg/__init__.py", "pkg/run.py", "pkg/tasks.py"]


def test_the_code_digest_follows_every_module_of_the_package(tmp_path: Path) -> None:
    """A copy of the package with one character changed in a module digests differently."""
    import phx_tasklint

    copy = tmp_path / "site" / "phx_tasklint"
    shutil.copytree(
        Path(phx_tasklint.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    code = (
        f"import sys\nsys.path.insert(0, {str(copy.parent)!r})\n"
        "from phx_tasklint.cli.cache import code_digest\nprint(code_digest())\n"
    )
    first = python(code, tmp_path).stdout
    assert python(code, tmp_path).stdout == first
    spec = copy / "core" / "spec.py"
    spec.write_text(spec.read_text().replace("cannot be bound", "cannot be bound!", 1))
    assert python(code, tmp_path).stdout != first


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_root_keeps_a_cache_in_a_tree_of_another_users(
    cross: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container's root checking a mounted checkout: the cache directory is the user's, and
    root's cache file in it still answers the next run."""
    lint()
    for path in [cross, *cross.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    for cache_file in (cross / DIRECTORY).glob("v*.json"):
        cache_file.unlink()
    cold = lint(use_cache=False)
    assert lint() == cold
    seen = _analysed(monkeypatch)
    assert lint() == cold
    assert seen == []


def test_a_checked_file_saved_after_its_analysis_is_seen_through_its_importer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`a_tasks.py` is analysed first, then saved, then `b_run.py`, which imports from it, is
    analysed with the parse made before the save: b_run.py's entry must hold a_tasks.py's stat
    from before that read."""
    from phx_tasklint.lint.engine import Engine

    runner = "from phoenix.client.experiments import run_experiment\n"
    files = {
        "pkg/__init__.py": "",
        "pkg/a_tasks.py": runner
        + "\ndef summarize(input, style):\n    return style\n\n"
        + "def main(ds):\n    run_experiment(dataset=ds, task=summarize)\n",
        "pkg/b_run.py": runner
        + "from pkg.a_tasks import summarize\n\n"
        + "def main(ds):\n    run_experiment(dataset=ds, task=summarize)\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    original = Engine.analyse

    def then_saved(self: Engine, source: Any) -> Any:
        result = original(self, source)
        if source.path == "pkg/a_tasks.py":
            fixed = files["pkg/a_tasks.py"].replace("style)", "style=None)")
            _write(tmp_path / "pkg/a_tasks.py", fixed)
        return result

    with monkeypatch.context() as patched:
        patched.setattr(Engine, "analyse", then_saved)
        # as it was when read: one finding, handed over from both files
        assert [k[4] for k in lint(jobs=1)] == ["PHX002"]
    assert lint(jobs=1) == lint(use_cache=False, jobs=1) == []


def test_a_change_of_mode_rechecks_the_file(cross: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod changes what a run may read and neither the size nor the modification time; it
    moves the change time, which the cache keys on."""
    lint()
    seen = _analysed(monkeypatch)
    assert lint() and seen == []
    path = cross / "pkg/tasks.py"
    time.sleep(0.01)  # a change time other than the write's, on a coarse clock too
    os.chmod(path, path.stat().st_mode)
    assert lint() and sorted(seen) == ["pkg/run.py", "pkg/tasks.py"]  # and what imports it


def test_a_link_in_place_of_the_cache_directory_sends_nothing_out_of_the_tree(
    cross: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A link committed where the cache directory goes: nothing is written to or deleted from
    where it points, and the findings are the same."""
    where = DIRECTORY
    outside = tmp_path_factory.mktemp("outside")
    names = [f"v0.0.{n}-0123456789abcdef.json" for n in range(20)]
    names += [f"{n:016x}" for n in range(20)]
    for name in names:
        (outside / name).write_text("someone else's")
    (cross / where).parent.mkdir(parents=True, exist_ok=True)
    (cross / where).symlink_to(outside, target_is_directory=True)
    cold = lint(use_cache=False)
    assert lint() == cold
    assert lint() == cold
    assert sorted(p.name for p in outside.iterdir()) == sorted(names)


def test_a_dangling_link_in_place_of_the_gitignore_is_not_followed(
    cross: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = tmp_path_factory.mktemp("outside") / "created-by-whom"
    (cross / DIRECTORY).mkdir()
    (cross / DIRECTORY / ".gitignore").symlink_to(target)
    lint()
    assert not target.exists()
    assert list((cross / DIRECTORY).glob("v*.json"))


@pytest.mark.parametrize("device", ["/dev/zero", "fifo"])
def test_a_cache_file_that_never_ends_is_not_read(cross: Path, device: str) -> None:
    """A link to /dev/zero (or a FIFO) where the cache file goes: ignored, never read."""
    cold = lint(use_cache=False)
    lint()
    (cache_file,) = (cross / DIRECTORY).glob("v*.json")
    cache_file.unlink()
    if device == "fifo":
        os.mkfifo(cache_file)
    else:
        cache_file.symlink_to(device)
    assert lint() == cold


def test_no_cache_neither_reads_nor_writes(cross: Path) -> None:
    lint(use_cache=False)
    assert not (cross / DIRECTORY).exists()


def test_clean_removes_a_link_in_place_of_the_cache_not_what_it_points_to(
    cross: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from click.testing import CliRunner

    from phx_tasklint.cli.commands import main

    outside = tmp_path_factory.mktemp("outside")
    (outside / "v0.0.1-0123456789abcdef.json").write_text("someone else's")
    (cross / DIRECTORY).symlink_to(outside, target_is_directory=True)
    result = CliRunner().invoke(main, ["clean"])
    assert result.exit_code == 0 and "Removed" in result.output
    assert not os.path.lexists(cross / DIRECTORY)
    assert [p.name for p in outside.iterdir()] == ["v0.0.1-0123456789abcdef.json"]


def test_clean_removes_the_cache(cross: Path) -> None:
    from click.testing import CliRunner

    from phx_tasklint.cli.commands import main

    lint()
    assert (cross / DIRECTORY).exists()
    result = CliRunner().invoke(main, ["clean"])
    assert result.exit_code == 0 and "Removed" in result.output
    assert not (cross / DIRECTORY).exists()


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["rules"], ["check", "."]],
    ids=["version", "rules", "check-no-candidate"],
)
def test_libcst_is_not_imported_when_not_needed(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "a.py").write_text("def f(x, y):\n    return x\n")
    (tmp_path / ".git").mkdir()
    code = (
        "import sys\nfrom phx_tasklint.cli.commands import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('LIBCST', 'libcst' in sys.modules)\n"
    )
    out = python(code, tmp_path)
    assert out.stdout.strip().endswith("LIBCST False"), out.stdout


def test_console_script_forks_workers_and_gives_the_serial_result(tree: Path) -> None:
    """The console script forks its workers (no fork server); same findings as one process."""
    serial = lint(use_cache=False, jobs=1)
    code = (
        "import sys\nfrom phx_tasklint.cli import commands, pool\n"
        "seen = []\noriginal = pool.map_shares\n"
        "def spy(*args):\n    seen.append(len(args[1]) > 24)\n    return original(*args)\n"
        "pool.map_shares = spy\nsys.argv = ['phx-tasklint', 'check', '.', '--no-cache',"
        " '--format', 'json', '--exit-zero']\n"
        "try:\n    commands.entry()\nfinally:\n    print('FORK', seen, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and "FORK [True]" in out.stderr, out.stderr
    found = [
        (f["path"], f.get("cell"), f["line"], f["column"], f["code"], f["message"])
        for f in json.loads(out.stdout)
    ]
    assert found == serial


def test_remembered_verdicts_are_the_judges() -> None:
    """The engine remembers the judge's verdict per signature, except where equal-looking
    signatures differ (`Literal[1] == Literal[True]` in Python)."""
    from phx_tasklint.core import judge
    from phx_tasklint.core.model import Context, Param, Signature, TypeExpr
    from phx_tasklint.lint.definitions import InMemory
    from phx_tasklint.lint.engine import Engine
    from phx_tasklint.project.config import Config

    engine = Engine(Config(), InMemory({}))
    context = Context()
    signatures = [
        Signature((Param("output"),), TypeExpr.literal(value))
        for value in (1, True, 1.0, "1", b"1", None)
    ] + [Signature((Param("output"), Param("expcted")))] * 3
    for signature in signatures * 2:
        assert engine.verdict(signature, "evaluator", context) == judge.check(
            signature, "evaluator", context
        )
    # literal signatures are judged afresh each time; the plain one is remembered once
    assert list(engine._verdicts) == [(signatures[-1], "evaluator", context)]


def test_damaged_table_indexes_are_refused() -> None:
    from phx_tasklint.cli.cache import _Tables

    tables = _Tables([["PHX001", "n", "error", "m", "task", None, [], None, None]], ["x.py"])
    assert tables.decode_all([[0, 0, 1, 1, 1, 2, None, "f", []]])[0].location.path == "x.py"
    for row in ([-1, 0], [0, -1], [1, 0], [0, 1], ["0", 0], [0, True]):
        with pytest.raises(ValueError):
            tables.decode_all([[*row, 1, 1, 1, 2, None, "f", []]])
    handed = tables.decode_all([[0, 0, 1, 1, 1, 2, None, "f", [["run_experiment", 0, 9, 5, None]]]])
    assert handed[0].handoffs == (HandOffSite("x.py", 9, 5, None, "run_experiment"),)
    for site in (["r", 1, 9, 5, None], [None, 0, 9, 5, None], ["r", 0, "9", 5, None], ["r", 0]):
        with pytest.raises(ValueError):
            tables.decode_all([[0, 0, 1, 1, 1, 2, None, "f", [site]]])
    with pytest.raises(ValueError):
        _Tables([], [7]).path(0)


def test_a_save_carries_unchanged_rows_and_stays_compact(
    cross: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that re-checks one file extends the file's tables instead of re-encoding every
    row; rows left unused by replaced entries are dropped once they are most of a table."""
    from phx_tasklint.cli import cache

    target = cross / "changing.py"

    def write_round(round_: int) -> None:
        # a new parameter name each round: a new message, so a new diagnostic row
        _write(
            target,
            "from phoenix.client.experiments import run_experiment\n\n\n"
            f"def task(input, q{round_}):\n    return 1\n\n\n"
            "run_experiment(dataset=None, task=task)\n",
        )

    write_round(-1)
    lint(jobs=1)
    (cache_file,) = (cross / DIRECTORY).glob("v*.json")
    before = json.loads(cache_file.read_bytes())
    encoded: list[Finding] = []
    encode = cache._Tables.encode

    def counting(self: cache._Tables, f: Finding) -> list[Any]:
        encoded.append(f)
        return encode(self, f)

    monkeypatch.setattr(cache._Tables, "encode", counting)
    sizes = []
    for round_ in range(40):
        write_round(round_)
        encoded.clear()
        assert lint(jobs=1) == lint(use_cache=False, jobs=1) != []
        stored = json.loads(cache_file.read_bytes())
        used = {f[0] for row in stored["files"].values() if len(row) > 3 for f in row[3]}
        assert len(stored["diagnostics"]) <= 2 * len(used) + 16
        sizes.append(len(stored["diagnostics"]))
        if round_ == 0:  # only the changed file was encoded; every other row carried over
            assert {f.location.path for f in encoded} == {"changing.py"}
            changed = {"changing.py"}
            assert {k: v for k, v in stored["files"].items() if k not in changed} == {
                k: v for k, v in before["files"].items() if k not in changed
            }
            assert stored["diagnostics"][: len(before["diagnostics"])] == before["diagnostics"]
    assert max(sizes) > sizes[-1], "the tables were never compacted"
    assert len({json.dumps(d) for d in stored["diagnostics"]}) == len(stored["diagnostics"])


def test_a_dependency_not_among_the_checked_files_is_followed(cross: Path) -> None:
    """pre-commit passes only the staged files: a module the roots find is followed whether it
    is checked or not, so the result is the same, from the cache or not."""
    both = ["pkg/run.py", "pkg/tasks.py"]
    alone = lint(use_cache=False, paths=["pkg/run.py"])
    assert alone == lint(use_cache=False, paths=both) != []
    assert lint(paths=both) == alone
    assert lint(paths=["pkg/run.py"]) == alone
    _write(cross / "pkg/tasks.py", "def summarize(input, style=None):\n    return style\n")
    assert lint(paths=["pkg/run.py"]) == lint(use_cache=False, paths=["pkg/run.py"]) == []
