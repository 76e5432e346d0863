"""The guard where experiments are started from: `%load_ext phx_tasklint` in a real IPython
shell, and the opt-in pytest plugin around Phoenix's `pytest.mark.phoenix` (its own plugin
active, as installed with the client's `[pytest]` extra)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import phx_tasklint.pytest_options

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------
# IPython

# Runs cells in a real InteractiveShell (in a fresh interpreter: a shell changes the process's
# display and exception hooks) with a local dataset; prints what the cells print.
SHELL = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
from tests.guard_support import dataset

config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
calls = []
def ask_llm(question):
    calls.append(question)
    return question
shell.user_ns.update(dataset=dataset(), ask_llm=ask_llm)
for cell in json.loads(sys.argv[1]):
    shell.run_cell(cell)
print(f"--- llm calls: {len(calls)}")
"""


def run_cells(*cells: str) -> str:
    import json

    done = subprocess.run(
        [sys.executable, "-c", SHELL, json.dumps(cells)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".no-home")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


OURS_AMONG_CUSTOM_EXCEPTIONS = (
    "print('custom exceptions of ours:', [t for t in get_ipython().custom_exceptions"
    " if t.__module__.startswith('phx_tasklint')])"
)


def test_load_ext_guards_and_shows_a_table_not_a_traceback() -> None:
    out = run_cells(
        "%load_ext phx_tasklint",
        textwrap.dedent(
            """
            from phoenix.client import Client
            def answer(input):
                return {"answer": ask_llm(input["question"])}
            def correct(output, gold):
                return output == gold
            Client().experiments.run_experiment(dataset=dataset, task=answer, evaluators=[correct])
            """
        ),
        "import phx_tasklint; print('guard callable:', callable(phx_tasklint.guard))",
        # the table comes from GuardError itself: the extension registers no exception handler
        # (others may have: trio, when installed, registers one for exception groups)
        OURS_AMONG_CUSTOM_EXCEPTIONS,
        "%unload_ext phx_tasklint",
        "from phoenix.client.resources.experiments import Experiments as E\n"
        "print('unwrapped:', not hasattr(E.run_experiment, '__wrapped__'))",
    )
    table, rest = out.split("guard callable:")
    assert "Traceback" not in table
    lines = table.strip().splitlines()
    assert lines[0].startswith("phx-tasklint: Phoenix would fail this experiment (PHX002)")
    assert "`Experiments.run_experiment` was not called" in lines[0]
    assert lines[2].split() == ["code", "callable", "message"]
    assert lines[3].split()[:2] == ["PHX002", "correct"]
    assert rest.splitlines() == [
        " True",
        "custom exceptions of ours: []",
        "unwrapped: True",
        "--- llm calls: 0",
    ]


def test_other_binding_errors_keep_their_traceback_and_a_guard_set_before_stays() -> None:
    out = run_cells(
        "import phx_tasklint\nhandle = phx_tasklint.guard()",
        "%load_ext phx_tasklint",
        "from phx_tasklint import bind_task\nbind_task(lambda inputs, gold: 1, {'input': {}})",
        "%unload_ext phx_tasklint",
        "print('still active:', handle.active, phx_tasklint.guard() is handle)",
    )
    assert "Traceback" in out and "BindingError" in out and "PHX002" in out
    assert "still active: True True" in out


# --------------------------------------------------------------------------------------------
# pytest

TESTS = """
import pytest

def gold_typo(output, gold):
    return 1.0

def exact(output, expected):
    return output == expected

def typed(output, expected: str):  # PHX301 only: Phoenix runs it
    return 1.0

@pytest.mark.phoenix(evaluators=[gold_typo, exact])
def test_listed():
    pass

@pytest.mark.phoenix(evaluators={"exact": exact})  # any non-list is ONE evaluator: a dict
def test_dict():
    pass

@pytest.mark.phoenix(evaluators=exact)
def test_single():
    pass

@pytest.mark.phoenix(evaluators=[typed])
def test_warned():
    pass

def test_unmarked():
    pass
"""
GOOD = """
import pytest

def exact(output, expected):
    return output == expected

@pytest.mark.phoenix(evaluators=[exact])
class TestSuite:
    def test_a(self):
        pass

    def test_b(self):
        pass
"""


@pytest.fixture
def as_entry_point() -> list[Any]:
    """The plugins to run with as the installed `pytest11` entry point loads them: pytest does
    by itself when phx-tasklint is installed; otherwise the entry point's module is passed."""
    names = {ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    return [] if phx_tasklint.pytest_options.__name__ in names else [phx_tasklint.pytest_options]


def test_p_opts_in_and_a_bad_evaluator_fails_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marked=TESTS)
    result = pytester.runpytest_inprocess("-p", "phx_tasklint.pytest_plugin")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "Phoenix would fail these pytest.mark.phoenix evaluators (PHX002, PHX007)" in out
    assert "test_marked.py::test_listed: gold_typo: PHX002" in out
    assert "test_marked.py::test_dict: a dict object: PHX007" in out
    errors = out.split("ERROR collecting")[1].split("warnings summary")[0]
    assert "test_single" not in errors and "test_warned" not in errors
    warned = out.split("warnings summary")[1]  # Phoenix runs that one: a warning, at the test
    assert "test_marked.py:24: GuardWarning: test_marked.py::test_warned: typed: PHX301" in warned
    assert "passed" not in out.splitlines()[-1]


def test_registered_but_not_opted_in_does_nothing(
    pytester: pytest.Pytester, as_entry_point: list[Any]
) -> None:
    pytester.makepyfile(test_marked=TESTS)
    result = pytester.runpytest_inprocess("--collect-only", "-q", plugins=as_entry_point)
    assert result.ret == pytest.ExitCode.OK
    assert "5 tests collected" in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "ini"),
    [(["--phx-guard"], ""), ([], "[pytest]\nphx_tasklint_guard = true\n")],
    ids=["flag", "ini"],
)
def test_flag_or_ini_opts_in(
    pytester: pytest.Pytester, as_entry_point: list[Any], args: list[str], ini: str
) -> None:
    pytester.makepyfile(test_marked=TESTS)
    if ini:
        pytester.makefile(".ini", pytest=ini)
    result = pytester.runpytest_inprocess("--collect-only", *args, plugins=as_entry_point)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "gold_typo: PHX002" in result.stdout.str()


@pytest.mark.parametrize("autoload", [True, False], ids=["autoload", "no-autoload"])
def test_p_naming_the_entry_point_opts_in(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, autoload: bool
) -> None:
    """`-p phx_tasklint.guard` (the entry point's name) loads the guard, with pytest's plugin
    autoload on or off, and leaves the `phx_tasklint.guard` function in place."""
    installed = {ep.name for ep in importlib.metadata.entry_points(group="pytest11")}
    assert "phx_tasklint.guard" in installed, "install phx-tasklint: pip install -e ."
    if not autoload:
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_marked=TESTS)
    result = pytester.runpytest_inprocess("--collect-only", "-p", "phx_tasklint.guard")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "gold_typo: PHX002" in result.stdout.str()
    import phx_tasklint

    assert callable(phx_tasklint.guard) and not isinstance(phx_tasklint.guard, type(pytest))


def test_a_conftest_naming_the_plugin_opts_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marked=TESTS)
    pytester.makeconftest('pytest_plugins = ["phx_tasklint.pytest_plugin"]')
    result = pytester.runpytest_inprocess("--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "gold_typo: PHX002" in result.stdout.str()


def test_good_evaluators_on_a_class_pass(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_good=GOOD)
    result = pytester.runpytest_inprocess(
        "--collect-only", "-q", "-p", "phx_tasklint.pytest_plugin"
    )
    assert result.ret == pytest.ExitCode.OK
    assert "2 tests collected" in result.stdout.str()


# --------------------------------------------------------------------------------------------
# the README's pasted run


def test_readme_notebook_run_is_what_the_cells_print() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Fail fast in notebooks\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    load, cell, (kind, shown) = blocks[0][1], blocks[1][1], blocks[2]
    assert load.strip() == "%load_ext phx_tasklint" and kind == "text"
    out = run_cells(load, cell)
    assert out == shown + "--- llm calls: 0\n", "re-run the README cell and paste its output"


def test_the_table_keeps_the_sessions_handlers_and_tb() -> None:
    """The error renders itself: a custom handler the user set stays in force, and `%tb` sees
    the guard's error (IPython recorded it)."""
    out = run_cells(
        "class MyErr(Exception): pass\n"
        "get_ipython().set_custom_exc((MyErr,), lambda *a, **k: print('my handler'))",
        "%load_ext phx_tasklint",
        "raise MyErr()",
        "from phoenix.client import Client\n"
        "def correct(output, gold):\n    return output == gold\n"
        "Client().experiments.run_experiment(dataset=dataset, task=lambda input: input, "
        "evaluators=[correct])",
        "import sys; print('last:', type(sys.last_value).__name__)",
        "%unload_ext phx_tasklint",
        "print('custom exceptions:', [t.__name__ for t in get_ipython().custom_exceptions])",
    )
    assert "my handler" in out
    assert "PHX002  correct" in out and "Traceback" not in out
    assert "last: GuardError" in out
    assert "custom exceptions: ['MyErr']" in out
