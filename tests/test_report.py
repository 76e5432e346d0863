"""Output formats on hand-made findings: text, json, sarif, github, statistics."""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from phx_tasklint import __version__
from phx_tasklint.cli.commands import main
from phx_tasklint.cli.report import (
    FIELDS,
    escape_data,
    escape_property,
    render,
    statistics,
    summary,
)
from phx_tasklint.core import spec
from phx_tasklint.core.model import Diagnostic, Edit, Fix, Role
from phx_tasklint.lint import merge
from phx_tasklint.lint.findings import Finding, HandOffSite, Location, handoff_note, merged

RENAME = Fix(
    "Rename the parameter to the binding name it means", True, (Edit("rename", "inputs", "input"),)
)
ADD_DEFAULT = Fix("Give `question` a default", False, (Edit("add-default", "question"),))


def diag(code: str, message: str, role: Role | None = None, fix: Fix | None = None) -> Diagnostic:
    rule = spec.RULES_BY_CODE[code]
    return Diagnostic(code, rule.name, rule.severity, message, role, fix=fix)


def loc(path: str, line: int, col: int, cell: int | None = None) -> Location:
    return Location(path, line, col, line, col + 6, cell)


# Deliberately out of order: every format sorts.
WARNING = Finding(
    loc("src/b.py", 7, 1),
    diag("PHX402", "`phoenix.experiments` was removed in arize-phoenix 14"),
)
NOTEBOOK = Finding(
    loc("nb.ipynb", 2, 5, cell=3),
    diag("PHX101", "parameter `metdata` is never bound", "evaluator"),
    function="score",
)
FIXABLE = Finding(
    loc("src/a.py", 3, 10),
    diag("PHX002", "Task parameter `inputs` cannot be bound", "task", RENAME),
    function="task",
)
UNSAFE = Finding(
    loc("src/a.py", 3, 2),
    diag("PHX002", "Task parameter `question` cannot be bound", "task", ADD_DEFAULT),
    function="other",
)
FINDINGS = [WARNING, NOTEBOOK, FIXABLE, UNSAFE]


# --------------------------------------------------------------------------------------------
# text


def test_text_lines_sorted_with_fixes_and_summary() -> None:
    assert render(FINDINGS, "text").splitlines() == [
        "nb.ipynb:cell 3:2:5: PHX101 parameter `metdata` is never bound [never-bound-parameter]",
        "src/a.py:3:2: PHX002 Task parameter `question` cannot be bound [unbindable-parameter]",
        "  help: Give `question` a default (unsafe fix)",
        "src/a.py:3:10: PHX002 Task parameter `inputs` cannot be bound [unbindable-parameter]",
        "  help: Rename the parameter to the binding name it means (safe fix)",
        "src/b.py:7:1: PHX402 `phoenix.experiments` was removed in arize-phoenix 14 "
        "[legacy-experiments-import]",
        "Found 2 errors and 2 warnings "
        "(1 fixable with `--fix`, 1 more with `--fix --unsafe-fixes`).",
    ]


def test_text_without_fixes_has_one_line_per_finding() -> None:
    lines = render(FINDINGS, "text", show_fixes=False).splitlines()
    assert len(lines) == len(FINDINGS) + 1
    assert not any(line.startswith("  help:") for line in lines)
    assert "\x1b" not in "".join(lines)


def test_text_color() -> None:
    out = render([FIXABLE, WARNING], "text", color=True)
    assert "\x1b[1msrc/a.py:3:10:\x1b[0m \x1b[1m\x1b[31mPHX002\x1b[0m Task parameter" in out
    assert "\x1b[1m\x1b[33mPHX402\x1b[0m" in out


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        pytest.param([], "", id="none"),
        pytest.param([WARNING], "Found 1 warning.", id="one-warning"),
        pytest.param([FIXABLE, FIXABLE], "Found 2 errors (2 fixable with `--fix`).", id="safe"),
        pytest.param(
            [UNSAFE], "Found 1 error (1 fixable with `--fix --unsafe-fixes`).", id="unsafe"
        ),
    ],
)
def test_summary(findings: list[Finding], expected: str) -> None:
    assert summary(findings) == expected


def test_no_findings_render_empty_text() -> None:
    assert render([], "text") == ""


# --------------------------------------------------------------------------------------------
# json


def test_json_fields_exactly() -> None:
    data = json.loads(render(FINDINGS, "json"))
    assert [(d["path"], d["line"], d["column"]) for d in data] == [
        ("nb.ipynb", 2, 5),
        ("src/a.py", 3, 2),
        ("src/a.py", 3, 10),
        ("src/b.py", 7, 1),
    ]
    for item in data:
        expected_keys = set(FIELDS) | ({"cell"} if item["path"] == "nb.ipynb" else set())
        assert set(item) == expected_keys
    assert data[0]["cell"] == 3
    assert data[2] == {
        "path": "src/a.py",
        "line": 3,
        "column": 10,
        "end_line": 3,
        "end_column": 16,
        "code": "PHX002",
        "name": "unbindable-parameter",
        "severity": "error",
        "message": "Task parameter `inputs` cannot be bound",
        "role": "task",
        "function": "task",
        "fix": {
            "title": "Rename the parameter to the binding name it means",
            "applicability": "safe",
            "edits": [{"action": "rename", "param": "inputs", "new_name": "input"}],
        },
        "handoffs": [],
    }
    assert data[1]["fix"]["applicability"] == "unsafe"
    assert data[1]["fix"]["edits"] == [
        {"action": "add-default", "param": "question", "new_name": None}
    ]
    assert data[3]["role"] is None
    assert data[3]["function"] is None
    assert data[3]["fix"] is None
    assert data[3]["severity"] == "warning"


def test_json_empty() -> None:
    assert json.loads(render([], "json")) == []


# A name with a terminal escape, one with a byte that is not UTF-8 (kept by Python as a lone
# surrogate), and one with a right-to-left override: the walk shows each escaped, `names` maps
# the display back to the name.
ODD_NAMES = {
    "\\x1b[31mred.py": "\x1b[31mred.py",
    "caf\\xe9.py": "caf\udce9.py",
    "evil\\u202etxt.py": "evil\u202etxt.py",
}


def odd_findings() -> list[Finding]:
    return [
        Finding(loc(shown, 1, 1), diag("PHX001", "no parameters", "task")) for shown in ODD_NAMES
    ]


def test_json_names_the_file_exactly() -> None:
    """`path` is the name itself when it is text (JSON escapes what is not printable); a name
    with a byte that is not UTF-8 keeps a readable `path` and gives the bytes in `path_bytes`."""
    output = render(odd_findings(), "json", names=ODD_NAMES)
    assert all(c.isprintable() or c == "\n" for c in output)  # escaped, never raw
    data = json.loads(output)
    paths = {f["path"]: f.get("path_bytes") for f in data}
    assert paths == {
        "\x1b[31mred.py": None,
        "caf\\xe9.py": "caf%E9.py",
        "evil\u202etxt.py": None,
    }
    [latin] = [f for f in data if "path_bytes" in f]
    assert list(latin)[:3] == ["path", "path_bytes", "line"]
    assert urllib.parse.unquote_to_bytes(latin["path_bytes"]) == b"caf\xe9.py"


def test_sarif_uri_percent_encodes_the_bytes_of_the_name() -> None:
    data = json.loads(render(odd_findings(), "sarif", names=ODD_NAMES))
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in data["runs"][0]["results"]
    )
    assert uris == ["%1B%5B31mred.py", "caf%E9.py", "evil%E2%80%AEtxt.py"]


# --------------------------------------------------------------------------------------------
# sarif


def sarif(findings: list[Finding]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(findings, "sarif"))
    return data


def test_sarif_structure() -> None:
    data = sarif(FINDINGS)
    assert data["version"] == "2.1.0"
    assert "sarif-2.1.0" in data["$schema"]
    [run] = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "phx-tasklint"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert len(rules) == len(spec.RULES)
    assert [r["id"] for r in rules] == [r.code for r in spec.RULES]
    phx002 = rules[[r.code for r in spec.RULES].index("PHX002")]
    assert phx002["name"] == "unbindable-parameter"
    assert phx002["shortDescription"]["text"] == spec.RULES_BY_CODE["PHX002"].summary
    assert phx002["fullDescription"]["text"] == spec.RULES_BY_CODE["PHX002"].what_it_does
    assert "## Why is this bad?" in phx002["help"]["text"]
    assert "```python" in phx002["help"]["markdown"]
    assert phx002["defaultConfiguration"]["level"] == "error"
    assert {r["defaultConfiguration"]["level"] for r in rules} == {"error", "warning"}

    results = run["results"]
    assert [r["ruleId"] for r in results] == ["PHX101", "PHX002", "PHX002", "PHX402"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["level"] for r in results] == ["warning", "error", "error", "warning"]
    fixable = results[2]
    assert fixable["message"]["text"] == "Task parameter `inputs` cannot be bound"
    [location] = fixable["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "src/a.py"
    assert physical["region"] == {"startLine": 3, "startColumn": 10, "endLine": 3, "endColumn": 16}
    assert fixable["properties"]["fix"]["applicability"] == "safe"
    notebook = results[0]
    assert notebook["properties"]["cell"] == 3
    assert notebook["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert "cell" not in results[3].get("properties", {})


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        pytest.param("src/my file.py", "src/my%20file.py", id="space"),
        pytest.param("../up/x.py", "../up/x.py", id="parent"),
        pytest.param("/abs/x.py", "file:///abs/x.py", id="absolute"),
    ],
)
def test_sarif_uri(path: str, uri: str) -> None:
    finding = Finding(loc(path, 1, 1), diag("PHX001", "no parameters", "task"))
    [result] = sarif([finding])["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri


def test_sarif_without_findings_still_lists_rules() -> None:
    [run] = sarif([])["runs"]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(spec.RULES)


# --------------------------------------------------------------------------------------------
# github


def test_github_lines() -> None:
    assert render(FINDINGS, "github").splitlines() == [
        "::warning file=nb.ipynb,title=PHX101 (never-bound-parameter)"
        "::cell 3, line 2, column 5: parameter `metdata` is never bound",
        "::error file=src/a.py,line=3,col=2,endLine=3,endColumn=8,"
        "title=PHX002 (unbindable-parameter)::Task parameter `question` cannot be bound",
        "::error file=src/a.py,line=3,col=10,endLine=3,endColumn=16,"
        "title=PHX002 (unbindable-parameter)::Task parameter `inputs` cannot be bound",
        "::warning file=src/b.py,line=7,col=1,endLine=7,endColumn=7,"
        "title=PHX402 (legacy-experiments-import)"
        "::`phoenix.experiments` was removed in arize-phoenix 14",
    ]


def test_github_escaping() -> None:
    finding = Finding(
        loc("odd,dir/a:b%.py", 1, 1),
        diag("PHX001", "100% broken:\r\nsee, here", "task"),
    )
    assert render([finding], "github") == (
        "::error file=odd%2Cdir/a%3Ab%25.py,line=1,col=1,endLine=1,endColumn=7,"
        "title=PHX001 (no-parameters)::100%25 broken:%0D%0Asee, here\n"
    )


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        pytest.param("a%b", "a%25b", "a%25b", id="percent"),
        pytest.param("a\nb\rc", "a%0Ab%0Dc", "a%0Ab%0Dc", id="newlines"),
        pytest.param("a:b,c", "a:b,c", "a%3Ab%2Cc", id="colon-comma"),
        pytest.param("%0A", "%250A", "%250A", id="already-escaped-looking"),
    ],
)
def test_github_escape_functions(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


# --------------------------------------------------------------------------------------------
# statistics and errors


def test_statistics_table() -> None:
    skipped = {"task defined in another module": 2, "evaluators built at run time": 5, "x": 0}
    assert statistics(FINDINGS, skipped).splitlines() == [
        "2  PHX002   [*] unbindable-parameter",
        "1  PHX101       never-bound-parameter",
        "1  PHX402       legacy-experiments-import",
        "5  skipped      evaluators built at run time",
        "2  skipped      task defined in another module",
    ]


def test_statistics_empty() -> None:
    assert statistics([], {}) == ""


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render(FINDINGS, "xml")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# odd file names, end to end: a reader of the output can open the file

TASK = """\
from phoenix.client.experiments import run_experiment


def task(input, question):
    return question


run_experiment(dataset=None, task=task)
"""


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs byte file names")
def test_json_and_sarif_name_files_a_reader_can_open(project: Path) -> None:
    names = [b"\x1b[31mred.py", b"caf\xe9.py", b"tab\there.py", b"plain.py"]
    for name in names:
        with open(os.path.join(os.fsencode(project), name), "wb") as handle:
            handle.write(TASK.encode() + b"# " + name.hex().encode() + b"\n")

    def opened(name: bytes) -> bytes:
        with open(name, "rb") as handle:
            return handle.read()

    def check(fmt: str) -> Any:
        result = CliRunner().invoke(main, ["check", "--no-cache", "--format", fmt, "."])
        assert result.exit_code == 1, result.output
        return json.loads(result.stdout)

    by_json = [
        urllib.parse.unquote_to_bytes(f["path_bytes"])
        if "path_bytes" in f
        else os.fsencode(f["path"])
        for f in check("json")
    ]
    sarif_results = check("sarif")["runs"][0]["results"]
    by_sarif = [
        urllib.parse.unquote_to_bytes(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        )
        for r in sarif_results
    ]
    for found in (by_json, by_sarif):
        assert sorted(found) == sorted(names)
        assert all(opened(name).endswith(name.hex().encode() + b"\n") for name in found)


# --------------------------------------------------------------------------------------------
# hand-offs: one finding per definition, every call that hands it over listed


def site(
    path: str, line: int, runner: str = "run_experiment", cell: int | None = None
) -> HandOffSite:
    return HandOffSite(path, line, 5, cell, runner)


def handed(*sites: HandOffSite) -> Finding:
    return FIXABLE._replace(handoffs=tuple(sites))


@pytest.mark.parametrize(
    ("sites", "note"),
    [
        pytest.param((), "", id="none"),
        pytest.param((site("b.py", 9),), " (handed to run_experiment at b.py:9)", id="one"),
        pytest.param(
            (site("b.py", 9), site("c.py", 4)),
            " (handed to run_experiment at b.py:9 and c.py:4)",
            id="two",
        ),
        pytest.param(
            (site("b.py", 9), site("c.py", 4), site("d.py", 1)),
            " (handed to run_experiment at b.py:9, c.py:4 and d.py:1)",
            id="three",
        ),
        pytest.param(
            tuple(site(f"f{i:02}.py", 1) for i in range(30)),
            " (handed to run_experiment at f00.py:1, f01.py:1 and 28 more)",
            id="many",
        ),
        pytest.param(
            (site("b.py", 9, "Client().experiments.run_experiment"), site("c.py", 4)),
            " (handed to Client().experiments.run_experiment at b.py:9; to run_experiment at "
            "c.py:4)",
            id="two-runners",
        ),
        pytest.param(
            (site("nb.ipynb", 2, cell=3),),
            " (handed to run_experiment at nb.ipynb:cell 3:2)",
            id="notebook",
        ),
    ],
)
def test_handoff_note(sites: tuple[HandOffSite, ...], note: str) -> None:
    assert handoff_note(sites) == note


def test_findings_of_one_definition_merge_with_every_handoff() -> None:
    """Each file's analysis finds the definition's findings with its own calls; joined, they
    are one finding listing the calls in order, each once, whatever order they came in."""
    per_file = [handed(site("c.py", 4)), handed(site("b.py", 9)), handed(site("c.py", 4))]
    for order in (per_file, per_file[::-1]):
        [one] = merged(order)
        assert one.handoffs == (site("b.py", 9), site("c.py", 4))
    other_message = FIXABLE._replace(
        diagnostic=diag("PHX002", "Evaluator parameter `inputs`", "evaluator", RENAME),
        handoffs=(site("b.py", 9),),
    )
    # another role's wording is another finding, at the same place
    assert len(merged([*per_file, other_message])) == 2
    assert merge(per_file, []).findings == merged(per_file)


def test_handoffs_in_every_format() -> None:
    finding = handed(
        site("b.py", 9, "Client().experiments.run_experiment"), site("nb.ipynb", 2, cell=3)
    )
    note = (
        " (handed to Client().experiments.run_experiment at b.py:9; to run_experiment at "
        "nb.ipynb:cell 3:2)"
    )
    text = render([finding], "text", show_summary=False, show_fixes=False)
    message = f"Task parameter `inputs` cannot be bound{note}"
    assert text == f"src/a.py:3:10: PHX002 {message} [unbindable-parameter]\n"
    [item] = json.loads(render([finding], "json"))
    assert item["message"] == "Task parameter `inputs` cannot be bound" + note
    assert item["handoffs"] == [
        {"runner": "Client().experiments.run_experiment", "path": "b.py", "line": 9, "column": 5},
        {"runner": "run_experiment", "path": "nb.ipynb", "line": 2, "column": 5, "cell": 3},
    ]
    [result] = sarif([finding])["runs"][0]["results"]
    assert result["message"]["text"].endswith(note)
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [0, 1]
    assert related[0]["physicalLocation"] == {
        "artifactLocation": {"uri": "b.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 9, "startColumn": 5},
    }
    assert related[0]["message"]["text"] == "handed to Client().experiments.run_experiment"
    assert related[1]["properties"] == {"cell": 3}
    assert render([finding], "github").rstrip("\n").endswith(escape_data(note))


def test_sarif_logical_location_is_the_qualified_name() -> None:
    method = FIXABLE._replace(function="Summarizer.__call__")
    [result] = sarif([method])["runs"][0]["results"]
    assert result["locations"][0]["logicalLocations"] == [
        {"name": "__call__", "fullyQualifiedName": "Summarizer.__call__", "kind": "function"}
    ]
    [plain] = sarif([WARNING])["runs"][0]["results"]
    assert "logicalLocations" not in plain["locations"][0]
