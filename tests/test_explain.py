"""`phx-tasklint explain`: the binding line of every parameter, the findings, the exit status."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from phx_tasklint.cli.commands import main
from phx_tasklint.runtime.explain import LoadError, explain, load_callable

SHAPES = """\
import functools
from typing import Any


def summarize(input, expected=None, model="gpt-4o", **kwargs):
    return {"summary": input["text"][:10]}


def lone(x):
    return x


def bad(input, question):
    return question


def kwonly(*, input):
    return input


def positional(input, expected, /):
    return input


def catch_all(input, **metadata):
    return metadata


def star(*args):
    return args


def nothing():
    return 1


async def answer(input: dict[str, Any]) -> dict[str, str]:
    return {"answer": "yes"}


def near_miss(output, metdata=None):
    return 1.0


def traced(output, trace_id=None):
    return 1.0


class Grader:
    def score(self, output, expected):
        return 1.0

    @staticmethod
    def static(output):
        return 1.0

    @classmethod
    def of_class(cls, output):
        return 1.0


class Pipeline:
    def __init__(self, model):
        self.model = model

    def run(this, input):
        return input


grader = Grader()
partial_grader = functools.partial(near_miss, metdata={})
not_callable = 42
"""


@pytest.fixture(autouse=True)
def shapes_py(importable_project: Path) -> Path:
    """Every test here runs in a project holding shapes.py (SHAPES)."""
    path = importable_project / "shapes.py"
    path.write_text(SHAPES)
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["explain", *args])


def lines(result: Result) -> list[str]:
    return result.output.splitlines()


def line_of(name: str) -> int:
    return next(i for i, text in enumerate(SHAPES.splitlines(), 1) if f" {name}(" in text)


# --------------------------------------------------------------------------------------------
# binding lines


def test_defaults_and_var_keyword() -> None:
    result = run("shapes.py:summarize")
    assert result.exit_code == 0, result.output
    assert lines(result)[:5] == [
        f"task summarize(input, expected=None, model='gpt-4o', **kwargs)  "
        f"[shapes.py:{line_of('summarize')}]",
        "  input     ← example.input — the example's input (a dict)",
        "  expected  ← example.output — the example's expected output (a dict)",
        "  model     ← default 'gpt-4o' — not a binding name, never filled",
        "  **kwargs  ← {} — never filled  [PHX102]",
    ]
    assert lines(result)[5].startswith("PHX102 `**kwargs` always receives nothing")
    assert lines(result)[5].endswith("[empty-var-keyword]")


def test_single_parameter_falls_back_to_input_for_a_task() -> None:
    result = run("shapes:lone")
    assert result.exit_code == 0, result.output
    assert lines(result)[1:] == [
        "  x  ← example.input — the example's input (a dict); a lone parameter receives "
        "`input` whatever its name",
        "no findings",
    ]


def test_single_parameter_falls_back_to_output_for_an_evaluator() -> None:
    result = run("shapes:lone", "--role", "evaluator")
    assert result.exit_code == 0, result.output
    assert lines(result)[0].startswith("evaluator lone(x)")
    assert lines(result)[1] == (
        "  x  ← the task's output after JSON normalisation; a lone parameter receives `output` "
        "whatever its name"
    )


def test_single_var_positional_gets_a_one_tuple() -> None:
    result = run("shapes:star")
    assert result.exit_code == 0, result.output
    assert lines(result)[1].startswith("  *args  ← (example.input,) — the example's input")


def test_var_keyword_named_like_a_binding_name_receives_it() -> None:
    result = run("shapes:catch_all")
    assert result.exit_code == 0, result.output
    assert lines(result)[1:] == [
        "  input       ← example.input — the example's input (a dict)",
        "  **metadata  ← {'metadata': example.metadata}",
        "no findings",
    ]


def test_async_task_header_and_typing_names() -> None:
    result = run("shapes.py:answer")
    assert result.exit_code == 0, result.output
    assert lines(result)[0] == (
        "async task answer(input: dict[str, Any]) -> dict[str, str]  "
        f"[shapes.py:{line_of('answer')}]"
    )


def test_method_of_an_instance() -> None:
    result = run("shapes:grader.score", "--role", "evaluator")
    assert result.exit_code == 0, result.output
    assert lines(result)[0].startswith("evaluator Grader.score(output, expected)  [shapes.py:")
    assert lines(result)[2] == (
        "  expected  ← example.output — the example's expected output (a dict)"
    )


def test_a_method_read_from_its_class_is_judged_with_self_and_the_note_says_so() -> None:
    """`Grader.score` is the plain function: Phoenix sees `self` and rejects it (PHX002). The
    output says why, and what to hand Phoenix instead."""
    result = run("shapes:Grader.score", "--role", "evaluator")
    assert result.exit_code == 1, result.output
    assert lines(result)[1] == "  self      ← nothing — not a binding name and no default  [PHX002]"
    assert lines(result)[-1] == (
        "note: `Grader.score` read from the class is the plain function, `self` included: that "
        "is what Phoenix would be handed, and what is judged above. Hand Phoenix a bound method "
        "instead, `Grader().score`, so that Python fills `self`"
    )


def test_the_bound_method_suggestion_names_the_first_parameter_and_constructor_arguments() -> None:
    result = run("shapes:Pipeline.run")
    assert result.exit_code == 1, result.output
    assert "`this` included" in lines(result)[-1]
    assert "`Pipeline(...).run`, so that Python fills `this`" in lines(result)[-1]


@pytest.mark.parametrize("target", ["shapes:Grader.static", "shapes:Grader.of_class"])
def test_static_and_class_methods_get_no_note(target: str) -> None:
    result = run(target, "--role", "evaluator")
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output
    assert "note:" not in run("shapes:grader.score", "--role", "evaluator").output


# --------------------------------------------------------------------------------------------
# findings and exit status


def test_unbindable_parameter_is_an_error() -> None:
    result = run("shapes:bad")
    assert result.exit_code == 1
    assert lines(result)[2] == "  question  ← nothing — not a binding name and no default  [PHX002]"
    assert lines(result)[3].startswith("PHX002 Task parameter `question` cannot be bound")
    assert lines(result)[3].endswith("[unbindable-parameter]")


def test_keyword_only_single_parameter() -> None:
    result = run("shapes:kwonly")
    assert result.exit_code == 1
    assert lines(result)[1] == (
        "  input  ← nothing — Phoenix passes example.input positionally  [PHX003]"
    )


def test_positional_only_binding_names_carry_the_code() -> None:
    result = run("shapes:positional")
    assert result.exit_code == 1
    assert lines(result)[1].endswith("[PHX004]") and lines(result)[2].endswith("[PHX004]")


def test_no_parameters() -> None:
    result = run("shapes:nothing")
    assert result.exit_code == 1
    assert lines(result)[1] == "  (no parameters)"
    assert lines(result)[2].startswith("PHX001 ")


def test_a_warning_alone_exits_zero() -> None:
    result = run("shapes:near_miss", "--role", "evaluator")
    assert result.exit_code == 0, result.output
    assert lines(result)[2] == (
        "  metdata  ← default None — not a binding name, never filled  [PHX101]"
    )
    assert "did you mean `metadata`?" in lines(result)[3]


def test_partial_shows_the_remaining_signature() -> None:
    result = run("shapes:partial_grader", "--role", "evaluator")
    assert lines(result)[0].startswith("evaluator near_miss(output, *, metdata={})")


def test_sync_client_flags_an_async_task() -> None:
    assert run("shapes:answer", "--client", "async").exit_code == 0
    result = run("shapes:answer", "--client", "sync")
    assert result.exit_code == 1
    assert any(line.startswith("PHX006 ") for line in lines(result))


def test_phoenix_version_changes_the_binding_names() -> None:
    latest = run("shapes:traced", "--role", "evaluator")
    assert lines(latest)[2] == "  trace_id  ← the task run's trace id (str or None)"
    older = run("shapes:traced", "--role", "evaluator", "--phoenix-version", "2.3")
    assert lines(older)[2] == (
        "  trace_id  ← default None — not a binding name, never filled  [PHX101]"
    )


def test_a_create_evaluator_object_is_explained_through_its_function(project: Path) -> None:
    (project / "decorated.py").write_text(
        "from phoenix.client.experiments import create_evaluator\n\n\n"
        "@create_evaluator()\n"
        "def match(output, expected):\n"
        "    return output == expected\n"
    )
    result = run("decorated:match", "--role", "evaluator")
    assert result.exit_code == 0, result.output
    assert lines(result)[0] == "evaluator match(output, expected)  [decorated.py:4]"


def test_explain_api() -> None:
    explanation = explain(load_callable("shapes:bad"), "task")
    assert [(b.param, b.codes) for b in explanation.bindings] == [
        ("input", ()),
        ("question", ("PHX002",)),
    ]
    assert explanation.has_errors
    assert [d.code for d in explanation.diagnostics] == ["PHX002"]


# --------------------------------------------------------------------------------------------
# loading


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing_module:task", "no module named 'missing_module'"),
        ("shapes:missing", "'shapes' has no attribute 'missing'"),
        ("shapes", "is not MODULE:NAME"),
        ("shapes:", "is not MODULE:NAME"),
        ("no/such/file.py:task", "no such file"),
        ("shapes:not_callable", "is not callable"),
        ("broken:task", "importing 'broken' failed: ZeroDivisionError: division by zero"),
        ("broken.py:task", "failed: ZeroDivisionError: division by zero"),
        ("exits:task", "failed: SystemExit: 3"),
        ("needs_dep:task", "failed: ModuleNotFoundError: No module named 'not_installed_dep'"),
    ],
)
def test_import_problems_exit_2_with_one_line(project: Path, target: str, message: str) -> None:
    (project / "broken.py").write_text("def task(input):\n    return input\n\n1 / 0\n")
    (project / "exits.py").write_text("import sys\n\nsys.exit(3)\n")
    (project / "needs_dep.py").write_text("import not_installed_dep\n")
    result = run(target)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_dotted_module_is_imported_from_the_current_directory(project: Path) -> None:
    package = project / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "experiment.py").write_text(
        textwrap.dedent(
            """\
            from pkg.helpers import PREFIX

            def task(input, expected):
                return PREFIX
            """
        )
    )
    (package / "helpers.py").write_text("PREFIX = 'x'\n")
    result = run("pkg.experiment:task")
    assert result.exit_code == 0, result.output
    assert lines(result)[0].startswith("task task(input, expected)  [pkg")


def test_a_file_can_import_its_siblings(project: Path) -> None:
    sub = project / "sub"
    sub.mkdir()
    (sub / "sibling_helper.py").write_text("VALUE = 1\n")
    (sub / "uses_sibling.py").write_text(
        "from sibling_helper import VALUE\n\ndef task(input):\n    return VALUE\n"
    )
    result = run("sub/uses_sibling:task")
    assert result.exit_code == 0, result.output


def test_load_error_type() -> None:
    with pytest.raises(LoadError, match="has no attribute"):
        load_callable("shapes:nope")


def test_help_says_the_module_is_imported() -> None:
    result = CliRunner().invoke(main, ["explain", "--help"])
    assert result.exit_code == 0
    assert "IMPORTS your module" in result.output
    assert "MODULE:CALLABLE" in result.output


def test_version_imports_neither_libcst_nor_the_runtime() -> None:
    code = (
        "import sys\n"
        "from phx_tasklint.cli.commands import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('libcst', 'phx_tasklint.runtime.binder', 'phx_tasklint.runtime.explain', "
        "'phx_tasklint.runtime.localrun', 'phx_tasklint.runtime.datasets')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
