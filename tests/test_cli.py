"""`phx-tasklint check` end to end on small projects: exit codes, output formats, rule selection,
configuration, suppression, file discovery and cross-file hand-offs (DESIGN §5)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from phx_tasklint.cli.commands import main
from phx_tasklint.core import spec

HEADER = "from phoenix.client.experiments import run_experiment\n\n\n"

# line 4: an unbindable task parameter (PHX002 at column 17, `question`)
# line 8: an evaluator taking `trace_id` (fine on the latest client, PHX002 on 2.3)
# line 12: a clean task
TASKS = (
    HEADER
    + "def task(input, question):\n"
    + "    return question\n"
    + "\n\n"
    + "def ev(output, trace_id):\n"
    + "    return 1.0\n"
    + "\n\n"
    + "def good(input):\n"
    + "    return input\n"
    + "\n\n"
    + "run_experiment(dataset=None, task=task, evaluators=[ev])\n"
    + "run_experiment(dataset=None, task=good)\n"
)
CLEAN = HEADER + "def good(input):\n    return input\n\n\nrun_experiment(dataset=None, task=good)\n"
BROKEN = (
    HEADER + "def bad(input, question):\n    return 1\n\n\nrun_experiment(dataset=None, task=bad)\n"
)
NO_PARAMS = HEADER + "run_experiment(dataset=None, task=lambda: 1)\n"

TEXT_LINE = re.compile(
    r"^(?P<path>[^:\s]+):(?:cell (?P<cell>\d+):)?(?P<line>\d+):(?P<col>\d+): "
    r"(?P<code>PHX\d{3}) (?P<message>.+) \[(?P<name>[a-z-]+)\]$"
)
JSON_FIELDS = {
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "severity",
    "message",
    "role",
    "function",
    "fix",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def check(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["check", *args], input=stdin)


def text_findings(output: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in map(TEXT_LINE.match, output.splitlines()) if m]


def codes(result: Result) -> list[tuple[str, str, str]]:
    """(path, line, code) of every finding in text output."""
    return [(f["path"], f["line"], f["code"]) for f in text_findings(result.stdout)]


def json_findings(*args: str) -> list[dict[str, Any]]:
    result = check("--format", "json", "--exit-zero", *args)
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def notebook(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source}
                | ({"outputs": [], "execution_count": None} if kind == "code" else {})
                for kind, source in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


NOTEBOOK = notebook(
    ("markdown", "# An experiment\n"),
    ("code", "from phoenix.client.experiments import run_experiment\n"),
    ("code", "x = 1\ndef task(input, question):\n    return question\n"),
    ("code", "run_experiment(dataset=None, task=task)\n"),
)


# --------------------------------------------------------------------------------------------
# exit codes


@pytest.mark.parametrize(
    ("files", "args", "status"),
    [
        pytest.param({"a.py": CLEAN}, [], 0, id="clean"),
        pytest.param({"a.py": BROKEN}, [], 1, id="findings"),
        pytest.param({"a.py": BROKEN}, ["--exit-zero"], 0, id="exit-zero"),
        pytest.param({"a.py": BROKEN}, ["--ignore", "PHX002"], 0, id="all-ignored"),
        pytest.param({"a.py": CLEAN}, ["--bogus-option"], 2, id="bad-option"),
        pytest.param({"a.py": CLEAN}, ["--format", "xml"], 2, id="bad-format"),
        pytest.param({"a.py": CLEAN}, ["--select", "PHX999"], 2, id="unknown-selector"),
        pytest.param({"a.py": CLEAN}, ["--phoenix-version", "9.9"], 2, id="bad-phoenix-version"),
        pytest.param({"a.py": CLEAN}, ["a.py", "-"], 2, id="stdin-with-paths"),
    ],
)
def test_exit_status(project: Path, files: dict[str, str], args: list[str], status: int) -> None:
    write(project, files)
    result = check(*args)
    assert result.exit_code == status, result.output


def test_missing_path_is_a_one_line_usage_error(project: Path) -> None:
    write(project, {"a.py": BROKEN})
    result = check("a.py", "does/not/exist.py")
    assert result.exit_code == 2
    assert result.stdout == ""  # nothing was checked
    message = result.stderr.strip()
    assert "\n" not in message
    assert "does/not/exist.py" in message and "no such file" in message


@pytest.mark.parametrize(
    ("section", "key", "detail"),
    [
        pytest.param('selct = ["PHX002"]', "selct", "did you mean 'select'", id="unknown-key"),
        pytest.param('select = "PHX002"', "select", "array of strings", id="string-not-list"),
        pytest.param("select = [2]", "select", "array", id="list-of-int"),
        pytest.param("phoenix-version = 2.3", "phoenix-version", "string", id="float-version"),
        pytest.param(
            'per-file-ignores = ["a.py"]', "per-file-ignores", "table", id="pfi-not-table"
        ),
        pytest.param('ignore = ["PHX9"]', "ignore", "PHX9", id="unknown-prefix"),
    ],
)
def test_bad_config_exits_2_naming_the_key(
    project: Path, section: str, key: str, detail: str
) -> None:
    write(project, {"a.py": BROKEN, "pyproject.toml": f"[tool.phx-tasklint]\n{section}\n"})
    result = check()
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "pyproject.toml" in result.stderr
    assert key in result.stderr and detail in result.stderr


def test_invalid_toml_is_a_config_error(project: Path) -> None:
    write(project, {"a.py": BROKEN, "pyproject.toml": "[tool.phx-tasklint\nselect = [\n"})
    result = check()
    assert result.exit_code == 2
    assert "invalid TOML" in result.stderr


# --------------------------------------------------------------------------------------------
# output formats


def test_text_format_is_path_line_col_code_message_name(project: Path) -> None:
    write(project, {"src/tasks.py": TASKS})
    result = check()
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "src/tasks.py:4:17: PHX002 Task parameter `question` cannot be bound: with two or more "
        "parameters Phoenix passes only `input`, `expected`, `reference`, `metadata` and "
        "`example` by name, so it rejects this task with ValueError before the first example; "
        "give `question` a default or read it from `input` (handed to run_experiment at "
        "src/tasks.py:16) [unbindable-parameter]"
    )
    assert lines[1].startswith("  help: ")
    assert lines[-1].startswith("Found 1 error")
    assert codes(result) == [("src/tasks.py", "4", "PHX002")]


def test_text_positions_are_one_based(project: Path) -> None:
    # the lambda is at the very start of line 4
    write(project, {"a.py": HEADER + "t = (\nlambda: 1)\nrun_experiment(dataset=None, task=t)\n"})
    (finding,) = text_findings(check().stdout)
    assert (finding["line"], finding["col"], finding["code"]) == ("5", "1", "PHX001")


def test_notebook_text_names_the_cell(project: Path) -> None:
    write(project, {"nb.ipynb": NOTEBOOK})
    result = check()
    assert result.exit_code == 1
    (finding,) = text_findings(result.stdout)
    assert result.stdout.startswith("nb.ipynb:cell 3:2:17: PHX002 ")
    assert finding["cell"] == "3" and finding["line"] == "2"


def test_json_has_the_design_fields(project: Path) -> None:
    write(project, {"src/tasks.py": TASKS, "nb.ipynb": NOTEBOOK})
    findings = json_findings()
    assert [(f["path"], f["line"], f["code"]) for f in findings] == [
        ("nb.ipynb", 2, "PHX002"),
        ("src/tasks.py", 4, "PHX002"),
    ]
    nb, py = findings
    for f in findings:
        assert set(f) >= JSON_FIELDS, f
        assert f["name"] == "unbindable-parameter"
        assert f["severity"] == "error"
        assert f["role"] == "task"
        assert f["function"] == "task"
        assert f["end_line"] >= f["line"] >= 1 and f["column"] >= 1
    assert py["fix"] is not None and py["fix"]["edits"]
    assert nb["fix"] is None  # --fix rewrites .py files only, so a notebook gets no fix on offer
    assert nb["cell"] == 3 and (nb["line"], nb["column"]) == (2, 17)
    assert "cell" not in py
    assert (py["line"], py["column"], py["end_line"], py["end_column"]) == (4, 17, 4, 25)


def test_json_role_and_function_are_null_for_call_site_rules(project: Path) -> None:
    write(project, {"a.py": HEADER + "run_experiment(None, lambda input: 1)\n"})
    (finding,) = json_findings()
    assert finding["code"] == "PHX401"
    assert finding["role"] is None and finding["function"] is None and finding["fix"] is None


def test_sarif(project: Path) -> None:
    write(project, {"src/tasks.py": TASKS, "nb.ipynb": NOTEBOOK})
    result = check("--format", "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in spec.RULES]
    assert [r["name"] for r in rules] == [rule.name for rule in spec.RULES]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["PHX002", "PHX002"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] == "error" and r["message"]["text"]
        (location,) = r["locations"]
        region = location["physicalLocation"]["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["nb.ipynb", "src/tasks.py"]
    assert results[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert results[0]["properties"]["cell"] == 3


def test_github(project: Path) -> None:
    write(project, {"src/tasks.py": TASKS})
    result = check("--format", "github")
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert re.fullmatch(
        r"::error file=src/tasks\.py,line=4,col=17,endLine=4,endColumn=25,"
        r"title=PHX002[^:]*::Task parameter `question` cannot be bound.*",
        line,
    ), line


def test_github_notebook_names_the_cell_in_the_message(project: Path) -> None:
    write(project, {"nb.ipynb": NOTEBOOK})
    (line,) = check("--format", "github").stdout.splitlines()
    assert line.startswith("::error file=nb.ipynb,")
    assert "line=" not in line.split("::")[1]  # a cell line is not a line of the .ipynb
    assert "cell 3, line 2, column 17" in line


# --------------------------------------------------------------------------------------------
# rule selection and configuration

THREE = (
    HEADER
    + "def a(input, question):\n    return 1\n\n\n"  # line 4: PHX002
    + "def b(input, metdata=None):\n    return 1\n\n\n"  # line 8: PHX101
    + "run_experiment(dataset=None, task=a)\n"
    + "run_experiment(dataset=None, task=b)\n"
    + "run_experiment(dataset=None, task=lambda: 1)\n"  # line 14: PHX001
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], {"PHX001", "PHX002", "PHX101"}, id="default"),
        pytest.param(["--select", "PHX002"], {"PHX002"}, id="select-code"),
        pytest.param(["--select", "PHX1"], {"PHX101"}, id="select-prefix"),
        pytest.param(["--select", "never-bound-parameter"], {"PHX101"}, id="select-name"),
        pytest.param(["--ignore", "PHX002,PHX101"], {"PHX001"}, id="ignore-list"),
        pytest.param(
            ["--select", "PHX001", "--extend-select", "PHX101"],
            {"PHX001", "PHX101"},
            id="extend-select",
        ),
        pytest.param(["--select", "PHX0", "--ignore", "PHX001"], {"PHX002"}, id="select-ignore"),
    ],
)
def test_rule_selection_flags(project: Path, args: list[str], expected: set[str]) -> None:
    write(project, {"a.py": THREE})
    assert {code for _, _, code in codes(check(*args))} == expected


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        pytest.param('ignore = ["PHX001"]', {"PHX002", "PHX101"}, id="ignore"),
        pytest.param('select = ["PHX002"]', {"PHX002"}, id="select"),
        pytest.param(
            'select = ["PHX002"]\nextend-select = ["PHX001"]', {"PHX001", "PHX002"}, id="extend"
        ),
        pytest.param(
            '[tool.phx-tasklint.per-file-ignores]\n"a.py" = ["PHX002"]',
            {"PHX001", "PHX101"},
            id="per-file-ignores",
        ),
        pytest.param(
            '[tool.phx-tasklint.per-file-ignores]\n"other/*.py" = ["PHX002"]',
            {"PHX001", "PHX002", "PHX101"},
            id="per-file-ignores-elsewhere",
        ),
    ],
)
def test_pyproject_selection(project: Path, section: str, expected: set[str]) -> None:
    write(project, {"a.py": THREE, "pyproject.toml": f"[tool.phx-tasklint]\n{section}\n"})
    assert {code for _, _, code in codes(check())} == expected


def test_command_line_select_overrides_the_file(project: Path) -> None:
    write(project, {"a.py": THREE, "pyproject.toml": '[tool.phx-tasklint]\nselect = ["PHX1"]\n'})
    assert {code for _, _, code in codes(check("--select", "PHX001"))} == {"PHX001"}


def test_config_path(project: Path) -> None:
    write(
        project,
        {
            "a.py": THREE,
            # the discovered file would ignore PHX002; --config points elsewhere
            "pyproject.toml": '[tool.phx-tasklint]\nignore = ["PHX002"]\n',
            "conf/custom.toml": '[tool.phx-tasklint]\nignore = ["PHX001", "PHX101"]\n',
        },
    )
    assert {code for _, _, code in codes(check())} == {"PHX001", "PHX101"}
    assert {code for _, _, code in codes(check("--config", "conf/custom.toml"))} == {"PHX002"}


def test_config_path_with_a_bad_key(project: Path) -> None:
    write(project, {"a.py": THREE, "bad.toml": '[tool.phx-tasklint]\nexclud = ["x"]\n'})
    result = check("--config", "bad.toml")
    assert result.exit_code == 2
    assert "exclud" in result.stderr and "bad.toml" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], [("a.py", "4", "PHX002")], id="latest"),
        pytest.param(
            ["--phoenix-version", "2.3"],
            [("a.py", "4", "PHX002"), ("a.py", "8", "PHX002")],
            id="2.3-has-no-trace_id",
        ),
    ],
)
def test_phoenix_version(project: Path, args: list[str], expected: list[tuple[str, ...]]) -> None:
    write(project, {"a.py": TASKS})
    result = check(*args)
    assert codes(result) == expected
    if args:
        assert "`trace_id`" in result.stdout


def test_phoenix_version_from_pyproject(project: Path) -> None:
    write(
        project, {"a.py": TASKS, "pyproject.toml": '[tool.phx-tasklint]\nphoenix-version = "2.3"'}
    )
    assert ("a.py", "8", "PHX002") in codes(check())


@pytest.mark.parametrize(
    ("section", "reported"), [("", True), ('phoenix-evals-version = "2.x"', False)]
)
def test_phoenix_evals_version_gates_removed_evals_imports(
    project: Path, section: str, reported: bool
) -> None:
    write(
        project,
        {
            "a.py": "from phoenix.evals import llm_classify\n",
            "pyproject.toml": f"[tool.phx-tasklint]\n{section}\n",
        },
    )
    assert (("a.py", "1", "PHX407") in codes(check())) is reported


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [
        pytest.param("# noqa", True, id="bare"),
        pytest.param("# noqa: PHX002", True, id="same-code"),
        pytest.param("# NOQA:PHX101,PHX002", True, id="list"),
        pytest.param("# noqa: PHX101", False, id="other-code"),
        pytest.param("# no qa", False, id="not-noqa"),
    ],
)
def test_noqa(project: Path, comment: str, suppressed: bool) -> None:
    source = BROKEN.replace("def bad(input, question):", f"def bad(input, question):  {comment}")
    write(project, {"a.py": source})
    result = check()
    assert (codes(result) == []) is suppressed, result.stdout
    assert result.exit_code == (0 if suppressed else 1)


def test_statistics_counts_rules_and_skipped_hand_offs(project: Path) -> None:
    write(
        project,
        {
            "a.py": THREE
            + "run_experiment(dataset=None, task=lambda input, x: 1)\n"
            + "run_experiment(dataset=None, task=make_task())\n"
        },
    )
    result = check("--statistics")
    assert result.exit_code == 1
    rows = [line.split(None, 2) for line in result.stdout.splitlines()]
    assert rows[0][:2] == ["2", "PHX002"]
    assert ["1", "PHX001", "no-parameters"] in rows
    assert ["1", "PHX101", "[*] never-bound-parameter"] in rows  # [*]: a safe fix exists
    skipped = [row for row in rows if row[1] == "skipped"]
    assert skipped and all(int(row[0]) >= 1 for row in skipped)
    assert not text_findings(result.stdout)


PSEUDO_FENCE = "```python\nresult = client.experiments.get(\n```\n"  # half a call


def test_statistics_count_the_blocks_set_aside_also_from_the_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block that does not parse is a PHX000 only when it could hold a hand-off; one that
    could not is counted when its file could (a .py file is one block: reported or not,
    never counted); a notebook in another language is counted. A warm run, which reads no
    file, prints the same table."""
    from phx_tasklint.cli import pipeline

    c_sharp = json.loads(notebook(("code", 'Console.WriteLine("hi");\n')))
    c_sharp["metadata"] = {"kernelspec": {"language": "C#", "name": ".net-csharp"}}
    write(
        project,
        {
            "pseudo.py": "def f(:\n",  # cannot hold a hand-off: not read at all
            "bad.py": HEADER + "run_experiment(dataset=None, task=\n",
            "nb.ipynb": notebook(
                ("code", "from phoenix.client.experiments import run_experiment\n"),
                ("code", "x = (\n"),
                ("code", "run_experiment(dataset=None, task=lambda: 1)\n"),
            ),
            "cs.ipynb": json.dumps(c_sharp),
            "guide.md": "```python\n" + NO_PARAMS + "```\n\n" + PSEUDO_FENCE,
            "notes.md": PSEUDO_FENCE,  # no fence could hold a hand-off: nothing to count
        },
    )
    assert sorted(codes(check())) == [
        ("bad.py", "4", "PHX000"),
        ("guide.md", "5", "PHX001"),
        ("nb.ipynb", "1", "PHX001"),
    ]
    cold = check("--statistics", "--no-cache")
    rows = [line.split(None, 2) for line in cold.stdout.splitlines()]
    assert [row for row in rows if row[1] == "skipped"] == [
        ["1", "skipped", "code fence that does not parse (cannot hold a hand-off)"],
        ["1", "skipped", "notebook cell that does not parse (cannot hold a hand-off)"],
        ["1", "skipped", "notebook in another language (c#)"],
    ]
    assert check("--statistics").stdout == cold.stdout  # fills the cache

    def no_reading(*args: object) -> object:
        raise AssertionError("a warm run analysed a file")

    monkeypatch.setattr(pipeline, "analyse_share", no_reading)
    assert check("--statistics").stdout == cold.stdout


def test_quiet_prints_findings_only(project: Path) -> None:
    write(project, {"a.py": BROKEN})
    loud, quiet = check(), check("--quiet")
    assert quiet.exit_code == loud.exit_code == 1
    assert codes(quiet) == codes(loud) == [("a.py", "4", "PHX002")]
    assert "Found" in loud.stdout and "help:" in loud.stdout
    assert quiet.stdout.splitlines() == [
        line for line in loud.stdout.splitlines() if TEXT_LINE.match(line)
    ]


def test_quiet_clean_prints_nothing(project: Path) -> None:
    write(project, {"a.py": CLEAN})
    result = check("-q")
    assert result.exit_code == 0 and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        pytest.param(["--stdin-filename", "pkg/job.py"], "pkg/job.py", id="named"),
        pytest.param([], "-", id="unnamed"),
    ],
)
def test_stdin(project: Path, args: list[str], shown: str) -> None:
    result = check("-", *args, stdin=BROKEN)
    assert result.exit_code == 1
    assert codes(result) == [(shown, "4", "PHX002")]


def test_stdin_filename_picks_the_notebook_reader(project: Path) -> None:
    result = check("-", "--stdin-filename", "nb.ipynb", stdin=NOTEBOOK)
    assert result.stdout.startswith("nb.ipynb:cell 3:2:17: PHX002")


def test_stdin_filename_applies_per_file_ignores(project: Path) -> None:
    write(project, {"pyproject.toml": '[tool.phx-tasklint.per-file-ignores]\n"gen/*" = ["PHX0"]\n'})
    assert check("-", "--stdin-filename", "gen/x.py", stdin=BROKEN).exit_code == 0
    assert check("-", "--stdin-filename", "src/x.py", stdin=BROKEN).exit_code == 1


# --------------------------------------------------------------------------------------------
# colour (a real process: click strips colour codes unless it is told otherwise)


_MAIN = "from phx_tasklint.cli.commands import main; main()"


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-c", _MAIN, "check", *args],
        cwd=cwd,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({}, id="not-a-tty"),
        pytest.param({"NO_COLOR": "1"}, id="no-color"),
        pytest.param({"NO_COLOR": "1", "FORCE_COLOR": "1"}, id="no-color-wins"),
    ],
)
def test_no_colour(project: Path, env: dict[str, str]) -> None:
    write(project, {"a.py": BROKEN})
    result = _run(project, env)
    assert result.returncode == 1
    assert "PHX002" in result.stdout and "\x1b[" not in result.stdout


def test_no_color_flag_beats_force_color(project: Path) -> None:
    write(project, {"a.py": BROKEN})
    result = _run(project, {"FORCE_COLOR": "1"}, "--no-color")
    assert "PHX002" in result.stdout and "\x1b[" not in result.stdout


def test_force_color_colours_piped_output(project: Path) -> None:
    """click.echo strips ANSI codes when stdout is not a terminal unless told `color=True`
    (this once made FORCE_COLOR a no-op)."""
    write(project, {"a.py": BROKEN})
    result = _run(project, {"FORCE_COLOR": "1"})
    assert result.returncode == 1
    assert "\x1b[" in result.stdout, result.stdout


def test_colour_never_reaches_machine_formats(project: Path) -> None:
    write(project, {"a.py": BROKEN})
    result = CliRunner().invoke(
        main, ["check", "--format", "json"], env={"FORCE_COLOR": "1"}, color=True
    )
    assert "\x1b[" not in result.stdout
    assert json.loads(result.stdout)[0]["code"] == "PHX002"


# --------------------------------------------------------------------------------------------
# discovery


def test_gitignore_is_honoured(project: Path) -> None:
    write(
        project,
        {
            ".gitignore": "generated/\n*_gen.py\n",
            "generated/a.py": BROKEN,
            "src/x_gen.py": BROKEN,
            "src/kept.py": BROKEN,
        },
    )
    assert {path for path, _, _ in codes(check())} == {"src/kept.py"}


@pytest.mark.parametrize(
    "directory", [".venv", "venv", "build", "dist", "site-packages", "node_modules", ".tox"]
)
def test_default_exclusions(project: Path, directory: str) -> None:
    write(project, {f"{directory}/lib/bad.py": BROKEN, "src/ok.py": CLEAN})
    result = check()
    assert result.exit_code == 0, result.stdout
    assert "All checks passed!" in result.stdout


def test_explicitly_named_excluded_file_is_checked(project: Path) -> None:
    write(project, {"build/bad.py": BROKEN, ".venv/bad.py": BROKEN})
    assert codes(check()) == []
    assert codes(check("build/bad.py")) == [("build/bad.py", "4", "PHX002")]


def test_extend_exclude(project: Path) -> None:
    write(
        project,
        {
            "pyproject.toml": '[tool.phx-tasklint]\nextend-exclude = ["legacy"]\n',
            "legacy/bad.py": BROKEN,
            "src/bad.py": BROKEN,
        },
    )
    assert {path for path, _, _ in codes(check())} == {"src/bad.py"}


def test_paths_default_to_the_current_directory(project: Path) -> None:
    write(project, {"a.py": BROKEN, "sub/b.py": BROKEN})
    assert {p for p, _, _ in codes(check())} == {"a.py", "sub/b.py"}
    assert {p for p, _, _ in codes(check("sub"))} == {"sub/b.py"}


def test_markdown_fences_are_checked(project: Path) -> None:
    write(project, {"guide.md": "# Guide\n\n```python\n" + BROKEN + "```\n"})
    assert codes(check()) == [("guide.md", "7", "PHX002")]


def test_no_hand_offs_all_checks_passed(project: Path) -> None:
    write(
        project,
        {
            "a.py": "def task(input, question):\n    return 1\n",
            "b.py": "import os\n\nprint(os.getcwd())\n",
            "nb.ipynb": notebook(("code", "x = 1\n")),
        },
    )
    result = check()
    assert result.exit_code == 0
    assert result.stdout == "All checks passed!\n"


def test_empty_directory_all_checks_passed(project: Path) -> None:
    result = check()
    assert result.exit_code == 0
    assert "All checks passed!" in result.stdout


# --------------------------------------------------------------------------------------------
# across files


def test_cross_file_hand_off_is_reported_at_the_definition(project: Path) -> None:
    write(
        project,
        {
            "pkg/__init__.py": "",
            "pkg/tasks.py": "def summarize(input, style):\n    return style\n",
            "pkg/run.py": (
                "from phoenix.client.experiments import run_experiment\n"
                "\n"
                "from pkg.tasks import summarize\n"
                "\n"
                "\n"
                "def main(dataset):\n"
                "    run_experiment(dataset=dataset, task=summarize)\n"
            ),
        },
    )
    result = check()
    assert result.exit_code == 1
    (finding,) = text_findings(result.stdout)
    assert (finding["path"], finding["line"], finding["col"], finding["code"]) == (
        "pkg/tasks.py",
        "1",
        "22",
        "PHX002",
    )
    assert "handed to run_experiment at pkg/run.py:7" in finding["message"]


CROSS_FILE = {
    "pkg/__init__.py": "",
    "pkg/tasks.py": "def summarize(input, style):\n    return style\n",
    "pkg/run.py": (
        "from phoenix.client.experiments import run_experiment\n"
        "from pkg.tasks import summarize\n"
        "run_experiment(dataset=None, task=summarize)\n"
    ),
}


def test_cross_file_from_a_directory_argument(project: Path) -> None:
    write(project, CROSS_FILE)
    assert codes(check("pkg")) == [("pkg/tasks.py", "1", "PHX002")]


def test_cache_from_a_narrower_run_keeps_cross_file_findings(project: Path) -> None:
    """A cache never changes what is reported: after `check pkg/run.py` (tasks.py unchecked),
    `check pkg` still finds PHX002 in tasks.py (once, the cached entry for run.py carried no
    hand-offs and tasks.py, linted alone, never learnt it reaches run_experiment)."""
    write(project, CROSS_FILE)
    expected = [("pkg/tasks.py", "1", "PHX002")]
    assert codes(check("--no-cache", "pkg")) == expected
    check("pkg/run.py")
    assert codes(check("pkg")) == expected


def test_no_regression_var_positional_message_says_a_evaluator(project: Path) -> None:
    """PHX005 on an evaluator reads "Phoenix rejects `*args` in a evaluator with two or more
    parameters": the message template puts "a" before the role (spec.py / judge.py)."""
    write(
        project,
        {
            "a.py": HEADER
            + "def ev(output, *args):\n    return 1\n\n\n"
            + "run_experiment(dataset=None, task=print, evaluators=[ev])\n"
        },
    )
    (finding,) = text_findings(check().stdout)
    assert finding["code"] == "PHX005"
    assert " a evaluator" not in finding["message"]
