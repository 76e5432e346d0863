"""Modules resolved as the import system resolves them from the project's roots (PEP 420): the
resolver against `importlib`'s own path finder, files' module names, the `module-roots`
setting, cross-file hand-offs through src layouts, namespace and regular packages, names found
in more than one root, and the cache's staleness when what a name resolves to changes."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from phx_tasklint.cli.commands import main
from phx_tasklint.lint.definitions import AMBIGUOUS_REASON, OUTSIDE_REASON
from phx_tasklint.lint.modindex import AMBIGUOUS, MISSING, ModuleIndex, Resolved, project_roots
from phx_tasklint.project.config import Config, ConfigError, load_config

RUNNER = "from phoenix.client import Client\n"

# The layout of the issue: a src/ tree without __init__.py, imported as `src.evaluation...`,
# with three evaluators Phoenix rejects (`input_val` cannot be bound).
EVALUATORS = (
    "def evaluate_clarity(output, input_val):\n    return 1.0\n\n\n"
    "def evaluate_accuracy(output, input_val):\n    return 1.0\n\n\n"
    "def evaluate_tone(output, input_val):\n    return 1.0\n"
)
RUN_EXPERIMENT = (
    RUNNER + "\nfrom {module} import evaluate_accuracy, evaluate_clarity, evaluate_tone\n\n"
    "Client().experiments.run_experiment(\n"
    "    dataset=None,\n"
    "    task=lambda input: input,\n"
    "    evaluators=[\n"
    "        evaluate_clarity,\n"
    "        evaluate_accuracy,\n"
    "        evaluate_tone,\n"
    "    ],\n"
    ")\n"
)
SRC_LAYOUT = {
    "src/evaluation/evaluators.py": EVALUATORS,
    "src/evaluation/run_experiment.py": RUN_EXPERIMENT.format(module="src.evaluation.evaluators"),
}
# where the three PHX002 are reported: the evaluators' second parameters
REPORTED = [
    ("src/evaluation/evaluators.py", "1", "PHX002"),
    ("src/evaluation/evaluators.py", "5", "PHX002"),
    ("src/evaluation/evaluators.py", "9", "PHX002"),
]
USES_TASKS = (
    RUNNER + "from {module} import f\n\nClient().experiments.run_experiment(dataset=None, task=f)\n"
)
BAD_TASK = "def f(input, style):\n    return style\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def touch(path: Path, text: str) -> None:
    """Write `path` and move its modification time on, even on a coarse clock."""
    path.write_text(text, encoding="utf-8")
    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000))


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def found(result: Result) -> list[tuple[str, str, str]]:
    """(path, line, code) of each finding of a text run."""
    out = []
    for line in result.stdout.splitlines():
        parts = line.split(":", 4)
        if len(parts) == 5 and parts[1].isdigit() and parts[3].startswith(" PHX"):
            out.append((parts[0], parts[1], parts[3].split()[0]))
    return out


def skipped(result: Result) -> dict[str, int]:
    """`--statistics`' skipped hand-offs: reason -> count."""
    out = {}
    for line in result.stdout.splitlines():
        count, _, rest = line.strip().partition(" ")
        if rest.strip().startswith("skipped"):
            out[rest.strip().removeprefix("skipped").strip(" :")] = int(count)
    return out


def both(*args: str) -> list[tuple[str, str, str]]:
    """The findings of a run from the cache and of one without it, which must be the same."""
    warm, cold = check(*args), check("--no-cache", *args)
    assert found(warm) == found(cold), (warm.output, cold.output)
    return found(warm)


# --------------------------------------------------------------------------------------------
# resolution, against the import system


def imported(name: str, path: list[str]) -> str | None:
    """The file Python imports as `name` with `path` as sys.path (None: no module, or a
    namespace package). The layouts' files are empty: importing them runs nothing."""
    saved_path, saved_modules = sys.path[:], dict(sys.modules)
    sys.path[:] = path
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    finally:
        sys.path[:] = saved_path
        for key in [k for k in sys.modules if k not in saved_modules]:
            del sys.modules[key]
    spec = module.__spec__
    assert spec is not None
    return os.path.normpath(spec.origin) if spec.has_location and spec.origin else None


def expected(name: str, roots: list[str]) -> Resolved:
    """What the resolver must say: the import system's answer when every order of the roots
    gives the same one, else ambiguous."""
    answers = {imported(name, list(order)) for order in itertools.permutations(roots)}
    if len(answers) > 1:
        return AMBIGUOUS
    (answer,) = answers
    return Resolved(answer) if answer else MISSING


# what a root may hold; directories come with the files in them
LAYOUT_FILES = [
    "a.py",
    "a/__init__.py",
    "a/b.py",
    "a/b/__init__.py",
    "a/b/c.py",
    "a/c.py",
    "a/c/d.py",
    "b.py",
    "b/c.py",
    "a/b/c/__init__.py",
]
NAMES = ["a", "b", "a.b", "a.c", "a.b.c", "a.c.d", "b.c", "a.x", "x", "a.b.c.d"]


@contextlib.contextmanager
def layout(roots: list[list[str]]) -> Iterator[list[str]]:
    """Roots holding the given files (empty), as absolute paths; forgotten by the import
    system's caches afterwards."""
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for number, files in enumerate(roots):
            root = Path(scratch, f"r{number}")
            root.mkdir()
            for name in files:
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).touch()
            paths.append(os.path.normpath(root))
        try:
            yield paths
        finally:
            for key in [k for k in sys.path_importer_cache if k.startswith(scratch)]:
                del sys.path_importer_cache[key]


def assert_agrees(roots: list[list[str]]) -> None:
    with layout(roots) as paths:
        index = ModuleIndex(paths)
        for name in NAMES:
            assert index.resolve(name) == expected(name, paths), (name, roots)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(LAYOUT_FILES), unique=True), min_size=1, max_size=3))
def test_resolution_agrees_with_the_import_system_in_every_order_of_the_roots(
    roots: list[list[str]],
) -> None:
    assert_agrees(roots)


@pytest.mark.parametrize(
    "roots",
    [
        pytest.param([["a/b/c.py"], ["a/b/d.py"]], id="namespace-portions-merge"),
        pytest.param([["a/b/c.py"], ["a/__init__.py", "a/b/c.py"]], id="package-beats-portion"),
        pytest.param([["a.py"], ["a/__init__.py"]], id="module-or-package"),
        pytest.param([["a.py", "a/__init__.py", "a/b.py"]], id="package-beats-module-beside"),
        pytest.param([["a/__init__.py", "a/b.py"], ["a/__init__.py"]], id="submodule-or-none"),
        pytest.param([["a/__init__.py", "a/b.py"], ["a/__init__.py", "a/b.py"]], id="two-files"),
        pytest.param([["a.py"], ["b.py"], ["a/c/d.py"]], id="module-hides-portion"),
    ],
)
def test_layouts_the_resolver_must_tell_apart(roots: list[list[str]]) -> None:
    assert_agrees(roots)
    with layout(roots) as paths:
        answers = {ModuleIndex(paths).resolve(n) for n in NAMES}
    assert answers - {MISSING}  # each layout has a name that is there, or is ambiguous


def test_a_stub_is_read_where_no_source_is(tmp_path: Path) -> None:
    """The import system never reads a `.pyi`; the linter reads one where no `.py` is (it
    states the signature of a compiled module), and the `.py` where both are."""
    write(tmp_path, {"a.py": "", "a.pyi": "", "b.pyi": "", "c/__init__.pyi": "", "c/d.pyi": ""})
    index = ModuleIndex([str(tmp_path)])
    assert index.resolve("a").path == str(tmp_path / "a.py")
    assert index.resolve("b").path == str(tmp_path / "b.pyi")
    assert index.resolve("c").path == str(tmp_path / "c" / "__init__.pyi")
    assert index.resolve("c.d").path == str(tmp_path / "c" / "d.pyi")


def test_one_file_through_two_roots_is_not_ambiguous(tmp_path: Path) -> None:
    write(tmp_path, {"real/tasks.py": ""})
    (tmp_path / "link").symlink_to(tmp_path / "real")
    index = ModuleIndex([str(tmp_path / "real"), str(tmp_path / "link")])
    assert index.resolve("tasks").path is not None


def test_each_directory_is_listed_once_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names are answered from one listing of each directory per run, however many names and
    how many times they are asked (a warm run asks each root for every name its cached
    results missed)."""
    write(tmp_path, {"r1/pkg/__init__.py": "", "r1/pkg/a.py": "", "r2/ns/b.py": ""})
    listed: list[str] = []
    scandir = os.scandir

    def counting(path: str) -> object:
        listed.append(os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    index = ModuleIndex([str(tmp_path / "r1"), str(tmp_path / "r2")])
    names = ["numpy", "pandas.core", "pkg.a", "pkg.b", "ns.b", "ns.c", "pkg", "ns", "x.y.z"]
    for _ in range(3):
        for name in names:
            index.resolve(name)
        index.module_name(str(tmp_path / "r1/pkg/a.py"))
    assert len(listed) == len(set(listed)) >= 4


# --------------------------------------------------------------------------------------------
# roots and module names


def test_roots_are_named_directories_the_config_directory_its_src_and_the_setting(
    project: Path,
) -> None:
    write(project, {"src/x.py": "", "lib/y.py": "", "tools/run.py": ""})
    got = project_roots(["tools", "tools/run.py", "."], project, [str(project / "lib")])
    assert got == tuple(str(project / p) for p in ("tools", ".", "src", "lib"))
    # a file named on the command line is no root, and src/ only when it is a directory
    (project / "src/x.py").unlink()
    (project / "src").rmdir()
    assert project_roots(["tools/run.py"], project) == (str(project),)


def test_a_named_package_stands_for_the_directory_above_its_packages(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check app/pkg/sub`, or `check .` inside a package, means modules named `pkg.sub...`."""
    write(project, {"app/pkg/__init__.py": "", "app/pkg/sub/__init__.py": "", "app/x.py": ""})
    assert project_roots(["app/pkg/sub"], project) == (str(project / "app"), str(project))
    write(
        project,
        {"app/pkg/tasks.py": BAD_TASK, "app/pkg/run.py": USES_TASKS.format(module="pkg.tasks")},
    )
    monkeypatch.chdir(project / "app/pkg")
    assert both(".") == both("run.py", "..") == [("tasks.py", "1", "PHX002")]


def test_a_file_is_named_from_the_nearest_root_above_its_packages(project: Path) -> None:
    write(
        project,
        {
            "src/evaluation/run.py": "",
            "src/pkg/__init__.py": "",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/mod.py": "",
            "my-docs/deep/nb.py": "",
            "loose.py": "",
        },
    )
    both_roots = ModuleIndex([str(project), str(project / "src")])
    dot_only = ModuleIndex([str(project)])
    assert both_roots.module_name("src/evaluation/run.py") == "evaluation.run"
    assert dot_only.module_name("src/evaluation/run.py") == "src.evaluation.run"
    assert both_roots.module_name("src/pkg/sub/mod.py") == "pkg.sub.mod"
    assert both_roots.module_name("src/pkg/sub/__init__.py") == "pkg.sub"
    assert dot_only.module_name(str(project / "loose.py")) == "loose"
    # a directory name that is no identifier cannot be imported through: the packages alone
    assert dot_only.module_name("my-docs/deep/nb.py") == "nb"
    # under no root: the packages alone, as before roots
    assert (
        ModuleIndex([str(project / "src" / "evaluation")]).module_name("src/pkg/sub/mod.py")
        == "pkg.sub.mod"
    )


# --------------------------------------------------------------------------------------------
# configuration


def test_module_roots_are_read_relative_to_the_config_and_enter_the_fingerprint(
    project: Path,
) -> None:
    write(project, {"lib/a.py": "", "vendor/b.py": ""})
    write(project, {"pyproject.toml": '[tool.phx-tasklint]\nmodule-roots = ["lib", "vendor"]\n'})
    config = load_config(None, project / "lib")
    assert config.module_roots == ("lib", "vendor")
    assert config.module_root_dirs() == (str(project / "lib"), str(project / "vendor"))
    assert config.settings()["module-roots"] == ["lib", "vendor"]
    assert config.fingerprint() != Config(root=project).fingerprint()


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        pytest.param('"lib"', "must be an array of strings, not a string", id="string"),
        pytest.param("[1]", "array containing an integer", id="integer"),
        pytest.param('[""]', "empty path", id="empty"),
        pytest.param('["missing"]', "'missing' is not a directory", id="missing"),
        pytest.param('["lib/a.py"]', "'lib/a.py' is not a directory", id="a-file"),
    ],
)
def test_a_bad_module_roots_is_a_config_error(project: Path, value: str, detail: str) -> None:
    write(
        project,
        {"lib/a.py": "", "pyproject.toml": f"[tool.phx-tasklint]\nmodule-roots = {value}\n"},
    )
    with pytest.raises(ConfigError) as error:
        load_config(None, project)
    assert error.value.key == "module-roots" and detail in str(error.value)
    result = check()
    assert result.exit_code == 2 and result.stdout == ""
    assert "module-roots" in result.stderr and detail in result.stderr


# --------------------------------------------------------------------------------------------
# hand-offs across files


def test_the_src_layout_of_the_issue_is_reported(project: Path) -> None:
    """No __init__.py anywhere, `from src.evaluation.evaluators import ...`: three broken
    evaluators, reported whether the tree or the one file that hands them over is checked."""
    write(project, SRC_LAYOUT)
    tree = check(".", "--statistics")
    assert tree.exit_code == 1 and "skipped" not in tree.stdout, tree.output
    assert found(check(".")) == REPORTED
    alone = check("src/evaluation/run_experiment.py")
    assert found(alone) == REPORTED, alone.output
    assert (
        "handed to Client().experiments.run_experiment at src/evaluation/run_experiment.py:5"
        in (alone.stdout)
    )
    assert both("src/evaluation/run_experiment.py") == REPORTED


@pytest.mark.parametrize("module", [".evaluators", "evaluation.evaluators"])
def test_imports_inside_a_namespace_package_under_src(project: Path, module: str) -> None:
    """Under src/ (itself a root), a file is named from src: `.evaluators` and
    `evaluation.evaluators` both mean the sibling."""
    write(
        project,
        {**SRC_LAYOUT, "src/evaluation/run_experiment.py": RUN_EXPERIMENT.format(module=module)},
    )
    assert both(".") == both("src/evaluation/run_experiment.py") == REPORTED


@pytest.mark.parametrize("config", ["", 'module-roots = ["app"]'])
def test_a_relative_import_finds_its_sibling_from_any_root(project: Path, config: str) -> None:
    """`app/evaluation/run.py` is `app.evaluation.run` from the project's root and
    `evaluation.run` from the `app` root: `.evaluators` is the sibling either way."""
    write(
        project,
        {
            "pyproject.toml": f"[tool.phx-tasklint]\n{config}\n",
            "app/evaluation/evaluators.py": EVALUATORS,
            "app/evaluation/run.py": RUN_EXPERIMENT.format(module=".evaluators"),
        },
    )
    expect = [(p.replace("src/", "app/"), line, code) for p, line, code in REPORTED]
    assert both(".") == both("app/evaluation/run.py") == expect


def test_a_regular_package_is_followed_from_one_checked_file(project: Path) -> None:
    write(
        project,
        {
            "pkg/__init__.py": "",
            "pkg/tasks.py": BAD_TASK,
            "pkg/run.py": USES_TASKS.format(module="pkg.tasks"),
        },
    )
    assert both("pkg/run.py") == both(".") == [("pkg/tasks.py", "1", "PHX002")]


def test_a_plain_directory_is_a_root_only_when_configured(project: Path) -> None:
    """`from helpers import f` works when `lib` is on sys.path: the linter follows it when
    `module-roots` says so, and otherwise says it looked nowhere."""
    write(project, {"lib/helpers.py": BAD_TASK, "run.py": USES_TASKS.format(module="helpers")})
    unconfigured = check("--statistics")
    assert unconfigured.exit_code == 0 and skipped(unconfigured) == {OUTSIDE_REASON: 1}
    write(project, {"pyproject.toml": '[tool.phx-tasklint]\nmodule-roots = ["lib"]\n'})
    assert both(".") == both("run.py") == [("lib/helpers.py", "1", "PHX002")]


def test_a_module_in_two_roots_is_skipped_and_said_so(project: Path) -> None:
    """Which of two `tasks.py` runs depends on the order of sys.path: no finding, no guess,
    and `--statistics` names the reason."""
    write(
        project,
        {
            "pyproject.toml": '[tool.phx-tasklint]\nmodule-roots = ["a", "b"]\n',
            "a/tasks.py": BAD_TASK,
            "b/tasks.py": "def f(input):\n    return input\n",
            "run.py": USES_TASKS.format(module="tasks"),
        },
    )
    for args in ([], ["--no-cache"], ["run.py"]):
        result = check("--statistics", *args)
        assert result.exit_code == 0, result.output
        assert skipped(result) == {AMBIGUOUS_REASON: 1}


def test_the_mypy_plugin_reports_the_src_layout_too(project: Path) -> None:
    """Verification only: mypy, with namespace packages and explicit package bases, follows
    the same import and the plugin reports the three evaluators."""
    import mypy.api

    write(project, SRC_LAYOUT)
    write(
        project,
        {
            "mypy.ini": "[mypy]\nplugins = phx_tasklint.mypy\nnamespace_packages = True\n"
            "explicit_package_bases = True\n"
        },
    )
    stdout, _stderr, _status = mypy.api.run(
        ["--cache-dir", str(project / ".mypy_cache"), "src/evaluation/run_experiment.py"]
    )
    errors = [e for e in stdout.splitlines() if "[phx-unbindable-parameter]" in e]
    assert [e.split(":")[1] for e in errors] == ["9", "10", "11"], stdout
    assert all("input_val" in e for e in errors)


# --------------------------------------------------------------------------------------------
# the cache


def test_a_dependency_outside_the_checked_files_edited_rechecks(project: Path) -> None:
    write(project, SRC_LAYOUT)
    args = ("src/evaluation/run_experiment.py",)
    assert both(*args) == REPORTED
    fixed = EVALUATORS.replace("input_val)", "input_val=None)")
    touch(project / "src/evaluation/evaluators.py", fixed)
    assert both(*args) == []
    touch(project / "src/evaluation/evaluators.py", EVALUATORS)
    assert both(*args) == REPORTED


def test_a_namespace_portion_that_gains_the_module_rechecks(project: Path) -> None:
    """`ns` is a namespace package of two portions; `ns.tasks` appears in the other one."""
    write(
        project,
        {
            "pyproject.toml": '[tool.phx-tasklint]\nmodule-roots = ["lib"]\n',
            "ns/run.py": USES_TASKS.format(module="ns.tasks"),
            "lib/ns/other.py": "",
        },
    )
    assert both("ns/run.py") == []
    write(project, {"lib/ns/tasks.py": BAD_TASK})
    assert both("ns/run.py") == [("lib/ns/tasks.py", "1", "PHX002")]
    # an __init__.py in the first portion makes `ns` a regular package without `tasks`
    write(project, {"ns/__init__.py": ""})
    assert both("ns/run.py") == []
    (project / "ns/__init__.py").unlink()
    assert both("ns/run.py") == [("lib/ns/tasks.py", "1", "PHX002")]


def test_only_the_files_a_hand_off_resolves_into_are_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other modules under the roots are never opened: a file is read when a name resolves to
    it, once however many names do."""
    from phx_tasklint.lint import sources

    write(project, {f"lib/other{n}.py": BAD_TASK for n in range(20)})
    write(
        project,
        {
            "lib/__init__.py": "",
            "lib/tasks.py": BAD_TASK + "g = f\n",
            "run.py": USES_TASKS.format(module="lib.tasks")
            + "from lib import tasks\n\n"
            + "Client().experiments.run_experiment(dataset=None, task=tasks.g)\n",
        },
    )
    loaded: list[str] = []
    load = sources.load

    def counting(path: Path, *args: object, **kwargs: object) -> sources.Source:
        loaded.append(str(path))
        return load(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sources, "load", counting)
    # one finding, naming the two calls that hand the def over
    result = check("--no-cache", "run.py")
    assert found(result) == [("lib/tasks.py", "1", "PHX002")]
    assert "(handed to Client().experiments.run_experiment at run.py:" in result.stdout
    # `lib` itself is looked in too (`tasks.g` could be a class `tasks` of `lib`)
    assert sorted(loaded) == [str(project / "lib" / n) for n in ("__init__.py", "tasks.py")]


# --------------------------------------------------------------------------------------------
# a script's own directory comes first


def test_a_script_finds_its_sibling_module_first(project: Path) -> None:
    """`python evals/run.py` puts `evals/` first on sys.path: `from helpers import f` there is
    `evals/helpers.py`, even where another root holds a `helpers` too (no ambiguity: the
    script's directory is searched before any root)."""
    write(
        project,
        {
            "evals/helpers.py": BAD_TASK,
            "evals/run.py": USES_TASKS.format(module="helpers"),
            "helpers.py": "def f(input):\n    return input\n",
        },
    )
    assert both(".") == both("evals/run.py") == [("evals/helpers.py", "1", "PHX002")]


def test_two_scripts_each_find_their_own_sibling(project: Path) -> None:
    write(
        project,
        {
            "one/helpers.py": BAD_TASK,
            "one/run.py": USES_TASKS.format(module="helpers"),
            "two/helpers.py": "def f(input):\n    return input\n",
            "two/run.py": USES_TASKS.format(module="helpers"),
        },
    )
    result = check("--no-cache", "--statistics", ".")
    assert skipped(result) == {}, result.output
    assert both(".") == [("one/helpers.py", "1", "PHX002")]


def test_a_notebook_finds_its_sibling_module(project: Path) -> None:
    """A notebook's kernel starts in the notebook's directory."""
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {
        "cells": [{**cell, "source": USES_TASKS.format(module="helpers")}],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    write(project, {"nb/helpers.py": BAD_TASK, "nb/book.ipynb": json.dumps(notebook)})
    assert both(".") == both("nb/book.ipynb") == [("nb/helpers.py", "1", "PHX002")]


def test_a_package_module_does_not_search_its_own_directory(project: Path) -> None:
    """A module of a regular package is imported by its package's name: its directory is not
    on sys.path, so a bare `from helpers import f` there is not its sibling."""
    write(
        project,
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": BAD_TASK,
            "pkg/run.py": USES_TASKS.format(module="helpers"),
        },
    )
    result = check("--no-cache", "--statistics", ".")
    assert found(result) == [] and skipped(result) == {OUTSIDE_REASON: 1}, result.output


def test_an_evaluator_list_imported_from_another_module_is_followed(project: Path) -> None:
    """Seen in a real project: `evaluators=EVALUATORS`, the list defined beside the
    evaluators; each item is judged where it is defined."""
    write(
        project,
        {
            "evals/evaluators.py": "def good(output):\n    return 1.0\n\n\n"
            "def bad(output, what):\n    return 1.0\n\n\nEVALUATORS = [good, bad]\n",
            "evals/run.py": RUNNER + "from evaluators import EVALUATORS\n\n"
            "Client().experiments.run_experiment(dataset=None, task=len, evaluators=EVALUATORS)\n",
        },
    )
    assert both(".") == both("evals/run.py") == [("evals/evaluators.py", "5", "PHX002")]


def test_a_none_in_an_imported_list_is_reported_where_the_list_is(project: Path) -> None:
    write(
        project,
        {
            "evals/evaluators.py": "def good(output):\n    return 1.0\n\n\n"
            "EVALUATORS = [\n    good,\n    None,\n]\n",
            "evals/run.py": RUNNER + "from evaluators import EVALUATORS\n\n"
            "Client().experiments.run_experiment(dataset=None, task=len, evaluators=EVALUATORS)\n",
        },
    )
    assert both(".") == [("evals/evaluators.py", "7", "PHX007")]
