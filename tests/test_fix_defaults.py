"""Fixes never make things worse (issue 18).

* A `= None` default widens the parameter's annotation so that a type checker accepts it:
  `X | None` where the project's oldest Python evaluates it (3.10 on, read from ruff's
  `target-version`, mypy's `python_version` or `requires-python`) or under
  `from __future__ import annotations`, else `Optional[X]`, imported when the module has no
  name for it. An annotation that admits None already keeps its text.
* No fix turns Phoenix's ValueError into a callable that receives nothing: when no parameter
  would be left with a binding name, a lone unbound parameter is renamed to `input` (`output`)
  instead, and otherwise no fix is offered; every front end says the same, as the judge decides.
* What is offered (and counted as fixable) is what `--fix` makes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mypy import api

from phx_tasklint.cli.commands import main
from phx_tasklint.lint import engine, fixes, lint, sources
from phx_tasklint.lint.findings import Finding
from phx_tasklint.project.config import Config, lowest_admitted, python_target
from phx_tasklint.runtime.binder import check_callable

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "from phoenix.client.experiments import run_experiment\n\n\n"
HAND_OFF = "\n\nrun_experiment(dataset=None, task=t)\n"
OPTIONAL = (
    "from phoenix.client.experiments import run_experiment\nfrom typing import Optional\n\n\n"
)


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", "--no-cache", *args])


def fixed(project: Path, text: str, files: dict[str, str] | None = None) -> str:
    for name, content in (files or {}).items():
        (project / name).write_text(content)
    (project / "a.py").write_text(text)
    result = check("--fix", "--unsafe-fixes", "a.py")
    assert "Traceback" not in result.output, result.output
    out = (project / "a.py").read_text()
    compile(out, "a.py", "exec")
    # every fix re-lints clean of what it fixed
    again = check("--format", "json", "--exit-zero", "a.py")
    assert '"PHX002"' not in again.stdout or out == text, again.stdout
    return out


def offered(project: Path, text: str) -> list[object]:
    (project / "a.py").write_text(text)
    result = check("--format", "json", "--exit-zero", "a.py")
    import json

    return [f["fix"] for f in json.loads(result.stdout) if f["fix"] is not None]


# --------------------------------------------------------------------------------------------
# the fixture pins


def _pins(path: Path) -> dict[int, str]:
    """1-based line -> the code the line must hold after `--fix --unsafe-fixes` ("same": as
    it is)."""
    out = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = re.search(r"#\s*expect:.*?\bfixed: (.+)$", line)
        if match:
            pinned = match[1].strip()
            out[number] = _code(line) if pinned == "same" else pinned
    return out


def _code(line: str) -> str:
    return line.split("  # expect:")[0]


def test_the_fixtures_fix_as_pinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("__pycache__", ".*cache*"))
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    pinned = {p.relative_to(root): _pins(p) for p in root.rglob("*.py")}
    pinned = {path: pins for path, pins in pinned.items() if pins}
    assert sum(len(p) for p in pinned.values()) >= 9
    check("--fix", "--unsafe-fixes")
    for path, pins in pinned.items():
        lines = (root / path).read_text().splitlines()
        for number, code in pins.items():
            assert _code(lines[number - 1]) == code, f"{path}:{number}"


# --------------------------------------------------------------------------------------------
# widening the annotation

WIDENED = {
    "no-target-optional-imported": (
        {},
        HEADER + "def t(input, ctx: str):\n    return ctx\n",
        OPTIONAL + "def t(input, ctx: Optional[str] = None):\n    return ctx\n",
    ),
    "requires-python-3.10": (
        {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10"\n'},
        HEADER + "def t(input, ctx: str):\n    return ctx\n",
        HEADER + "def t(input, ctx: str | None = None):\n    return ctx\n",
    ),
    "requires-python-3.9": (
        {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.9, <4"\n'},
        HEADER + "def t(input, ctx: str):\n    return ctx\n",
        OPTIONAL + "def t(input, ctx: Optional[str] = None):\n    return ctx\n",
    ),
    "ruff-toml-before-requires-python": (
        {
            "ruff.toml": 'target-version = "py311"\n',
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.8"\n',
        },
        HEADER + "def t(input, ctx: list[int]):\n    return ctx\n",
        HEADER + "def t(input, ctx: list[int] | None = None):\n    return ctx\n",
    ),
    "tool-ruff-before-requires-python": (
        {
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.12"\n\n'
            '[tool.ruff]\ntarget-version = "py39"\n'
        },
        HEADER + "def t(input, ctx: str):\n    return ctx\n",
        OPTIONAL + "def t(input, ctx: Optional[str] = None):\n    return ctx\n",
    ),
    "mypy-ini": (
        {"mypy.ini": "[mypy]\npython_version = 3.12\n"},
        HEADER + "def t(input, ctx: str):\n    return ctx\n",
        HEADER + "def t(input, ctx: str | None = None):\n    return ctx\n",
    ),
    "tool-mypy": (
        {"pyproject.toml": '[tool.mypy]\npython_version = "3.8"\n'},
        HEADER + "def t(input, ctx: str):\n    return ctx\n",
        OPTIONAL + "def t(input, ctx: Optional[str] = None):\n    return ctx\n",
    ),
    "setup-cfg-mypy": (
        {"setup.cfg": "[metadata]\nname = x\n\n[mypy]\npython_version = 3.11\n"},
        HEADER + "def t(input, ctx: str):\n    return ctx\n",
        HEADER + "def t(input, ctx: str | None = None):\n    return ctx\n",
    ),
    "future-annotations": (
        {},
        "from __future__ import annotations\n\n" + HEADER + "def t(input, ctx: str):\n    ...\n",
        "from __future__ import annotations\n\n"
        + HEADER
        + "def t(input, ctx: str | None = None):\n    ...\n",
    ),
    "string-annotation-under-future": (
        {},
        "from __future__ import annotations\n\n"
        + HEADER
        + "class M:\n    pass\n\n\ndef t(input, m: 'M'):\n    ...\n",
        "from __future__ import annotations\n\n"
        + OPTIONAL
        + "class M:\n    pass\n\n\ndef t(input, m: Optional['M'] = None):\n    ...\n",
    ),
    "import-typing": (
        {},
        "import typing\n" + HEADER + "def t(input, ctx: typing.List[str]):\n    ...\n",
        "import typing\n" + HEADER + "def t(input, ctx: typing.Optional[typing.List[str]] = None):"
        "\n    ...\n",
    ),
    "import-typing-as": (
        {},
        "import typing as t_\n" + HEADER + "def t(input, ctx: int):\n    ...\n",
        "import typing as t_\n" + HEADER + "def t(input, ctx: t_.Optional[int] = None):\n    ...\n",
    ),
    "optional-imported-as": (
        {},
        "from typing import Optional as Opt\n" + HEADER + "def t(input, ctx: int):\n    ...\n",
        "from typing import Optional as Opt\n"
        + HEADER
        + "def t(input, ctx: Opt[int] = None):\n    ...\n",
    ),
    "after-docstring-and-imports": (
        {},
        '"""Doc."""\n\nimport os\n' + HEADER + "# about t\ndef t(input, ctx: int):\n    ...\n",
        '"""Doc."""\n\nimport os\n'
        + OPTIONAL
        + "# about t\ndef t(input, ctx: Optional[int] = None):\n    ...\n",
    ),
    "already-admits-none": (
        {},
        "from typing import Any, Optional, Union\n"
        + HEADER
        + "def t(input, a: Optional[int], b: Union[int, None], c: Any, d: object, e: None):\n"
        "    ...\n",
        "from typing import Any, Optional, Union\n"
        + HEADER
        + "def t(input, a: Optional[int] = None, b: Union[int, None] = None, c: Any = None, "
        "d: object = None, e: None = None):\n    ...\n",
    ),
    "already-admits-none-pep604": (
        {},
        HEADER + "def t(input, a: 'int | None', b: 'None | str'):\n    ...\n",
        HEADER + "def t(input, a: 'int | None' = None, b: 'None | str' = None):\n    ...\n",
    ),
    "unannotated": (
        {},
        HEADER + "def t(input, a, b: int):\n    ...\n",
        OPTIONAL + "def t(input, a=None, b: Optional[int] = None):\n    ...\n",
    ),
}


@pytest.mark.parametrize(("files", "before", "after"), WIDENED.values(), ids=WIDENED.keys())
def test_the_annotation_admits_the_default(
    project: Path, files: dict[str, str], before: str, after: str
) -> None:
    assert fixed(project, before + HAND_OFF, files) == after + HAND_OFF


@pytest.mark.parametrize("target", [None, (3, 10)])
@pytest.mark.parametrize(("files", "before", "after"), WIDENED.values(), ids=WIDENED.keys())
def test_a_cut_widens_as_the_whole_module_does(
    files: dict[str, str], before: str, after: str, target: tuple[int, int] | None
) -> None:
    source = sources.from_bytes((before + HAND_OFF).encode(), "a.py")
    findings = lint([source], Config()).findings
    cut = fixes.apply_fixes(source, findings, True, target=target)
    whole = fixes.apply_fixes(source, findings, True, whole_module=True, target=target)
    assert cut.applied and (cut.text, cut.applied) == (whole.text, whole.applied)


NOT_OFFERED = {
    # Optional would be needed (no target: below 3.10) and cannot be spelled
    "optional-imported-after-the-def": (
        HEADER + "def t(input, ctx: int):\n    ...\n\n\nfrom typing import Optional\n"
    ),
    "optional-is-another-name": HEADER + "class Optional:\n    pass\n\n\ndef t(input, ctx: int):\n"
    "    ...\n",
    "star-import": "from os.path import *\n" + HEADER + "def t(input, ctx: int):\n    ...\n",
    # `Optional["a b"]` raises SyntaxError when the def runs; `x: "a b"` did not
    "unreadable-string": HEADER + "def t(input, ctx: 'a b'):\n    ...\n",
    "f-string": HEADER + "def t(input, ctx: f'int'):\n    ...\n",
}


@pytest.mark.parametrize("text", NOT_OFFERED.values(), ids=NOT_OFFERED.keys())
def test_an_annotation_that_cannot_be_widened_gets_no_fix(project: Path, text: str) -> None:
    source = text + HAND_OFF
    assert offered(project, source) == []
    result = check("--fix", "--unsafe-fixes", "a.py")
    assert result.exit_code == 1 and "not fixed" not in result.stderr
    assert (project / "a.py").read_text() == source


def test_the_help_says_the_body_now_receives_none(project: Path) -> None:
    (project / "a.py").write_text(HEADER + "def t(input, ctx: str, k):\n    ...\n" + HAND_OFF)
    result = check("a.py")
    assert (
        "help: Add `= None` to `ctx` and `k` (widening their type to admit None): the body then "
        "receives None for them (unsafe fix)" in result.stdout
    )


def test_mypy_accepts_the_widened_defaults(project: Path) -> None:
    """`x: str = None` is what mypy rejects; the fix's spellings are not."""
    body = (
        "def t(input, ctx: str, n: list[int], m: 'M', o: 'int | None'):\n"
        "    return ctx\n\n\nclass M:\n    pass\n"
    )
    naive = re.sub(r"(\w+: [^,)]+)([,)])", r"\1 = None\2", HEADER + body + HAND_OFF)
    assert "n: list[int] = None," in naive
    pep604 = fixed(project, HEADER + body + HAND_OFF, {"ruff.toml": 'target-version = "py310"\n'})
    (project / "ruff.toml").unlink()
    optional = fixed(project, HEADER + body + HAND_OFF)
    assert "ctx: str | None = None" in pep604 and "ctx: Optional[str] = None" in optional
    for name, text in (("naive.py", naive), ("pep604.py", pep604), ("optional.py", optional)):
        (project / name).write_text(text)
    stdout, _, _ = api.run(
        [
            "--strict",
            "--ignore-missing-imports",
            "--allow-untyped-defs",
            "--allow-untyped-calls",
            "--no-incremental",
            "--cache-dir",
            str(project / ".mypy-cache"),
            "--python-version",
            "3.10",
            "naive.py",
            "pep604.py",
            "optional.py",
        ]
    )
    incompatible = [line for line in stdout.splitlines() if "Incompatible default" in line]
    assert incompatible and all(line.startswith("naive.py:") for line in incompatible), stdout


# --------------------------------------------------------------------------------------------
# no fix that leaves a callable receiving nothing

SILENT = {
    "lambda": "run_experiment(dataset=None, task=lambda question, ctx: question)\n",
    "partial": (
        "import functools\n\n\ndef call_llm(question, ctx, model):\n    return question\n\n\n"
        "run_experiment(dataset=None, task=functools.partial(call_llm, model='m'))\n"
    ),
    "positional-only": (
        "def t(question, /, model='m'):\n    return question\n\n\n"
        "run_experiment(dataset=None, task=t)\n"
    ),
    "two-unbound": (
        "def t(question, context: str):\n    return question\n\n\n"
        "run_experiment(dataset=None, task=t)\n"
    ),
}


@pytest.mark.parametrize("body", SILENT.values(), ids=SILENT.keys())
def test_no_default_where_no_parameter_would_receive_a_value(project: Path, body: str) -> None:
    source = HEADER + body
    assert offered(project, source) == []
    result = check("a.py")
    assert "no parameter would receive a value" in result.stdout
    # the advice is a rename, and says why a default is not
    assert re.search(r"rename [^;]*\(no parameter would receive a value", result.stdout)
    check("--fix", "--unsafe-fixes", "a.py")
    assert (project / "a.py").read_text() == source


@pytest.mark.parametrize(
    ("role", "name"), [("task", "input"), ("evaluator", "output")], ids=["task", "evaluator"]
)
def test_a_lone_unbound_parameter_is_renamed_to_the_main_value(
    project: Path, role: str, name: str
) -> None:
    hand_off = "task=t" if role == "task" else "task=lambda input: 1, evaluators=[t]"
    source = HEADER + "def t(question, model='m'):\n    return question\n\n\n"
    source += f"run_experiment(dataset=None, {hand_off})\n"
    (project / "a.py").write_text(source)
    result = check("a.py")
    assert f"help: Rename `question` to `{name}`: it then receives" in result.stdout
    assert "(unsafe fix)" in result.stdout
    assert check("--fix", "a.py").exit_code == 1  # unsafe: not made by `--fix` alone
    assert fixed(project, source) == source.replace("question", name)


def _lone(question, model="m"):  # type: ignore[no-untyped-def]
    return question


@pytest.mark.parametrize(
    ("obj", "fix"),
    [
        pytest.param(lambda question, ctx: question, None, id="lambda"),
        pytest.param(_lone, [("rename", "question", "input")], id="lone"),
    ],
)
def test_the_runtime_offers_what_the_linter_offers(
    project: Path, obj: object, fix: list[tuple[str, str, str]] | None
) -> None:
    [runtime] = [d for d in check_callable(obj, "task") if d.code == "PHX002"]
    got = (
        None
        if runtime.fix is None
        else [(e.action, e.param, e.new_name) for e in runtime.fix.edits]
    )
    assert got == fix
    source = (
        HEADER + "def _lone(question, model='m'):\n    return question\n\n\n"
        "run_experiment(dataset=None, task=_lone)\n"
        "run_experiment(dataset=None, task=lambda question, ctx: question)\n"
    )
    findings = lint([sources.from_bytes(source.encode(), "a.py")], Config()).findings
    messages = {f.diagnostic.message for f in findings}
    assert runtime.message in messages


# --------------------------------------------------------------------------------------------
# what is offered is what --fix makes


def test_the_summary_counts_only_what_fix_would_write(project: Path) -> None:
    source = (
        HEADER
        + "def refused(inputs, expected):\n    input = inputs\n    return input\n\n\n"
        + "def made(inputs, expected):\n    return inputs\n\n\n"
        + "run_experiment(dataset=None, task=refused)\nrun_experiment(dataset=None, task=made)\n"
    )
    (project / "a.py").write_text(source)
    result = check("a.py")
    assert result.stdout.endswith("Found 2 errors (1 fixable with `--fix`).\n"), result.stdout
    result = check("--fix", "a.py")
    assert result.stdout.endswith("Found 1 error.\nFixed 1 finding.\n"), result.stdout
    assert "not fixed" not in result.stderr


def _handed_every_fix(monkeypatch: pytest.MonkeyPatch, source: sources.Source) -> list[Finding]:
    monkeypatch.setattr(engine, "_writable", lambda fix, anchor: True)
    findings = lint([source], Config()).findings
    monkeypatch.undo()
    return [f for f in findings if f.diagnostic.fix is not None]


def test_the_linter_offers_exactly_the_fixes_the_planner_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On every fixture and every test case above: a fix the judge attaches is offered by the
    linter exactly when `--fix` makes it alone (decorators and partials aside, which `_writable`
    holds back before the planner is asked)."""
    texts = [p.read_text() for p in sorted(FIXTURES.glob("*.py"))]
    texts += [before + HAND_OFF for _, before, _ in WIDENED.values()]
    texts += [text + HAND_OFF for text in NOT_OFFERED.values()]
    compared = 0
    for text in texts:
        source = sources.from_bytes(text.encode(), "a.py")
        offered_ = {
            (f.location, f.diagnostic.message)
            for f in lint([source], Config()).findings
            if f.diagnostic.fix is not None
        }
        for finding in _handed_every_fix(monkeypatch, source):
            made = bool(fixes.apply_fixes(source, [finding], True).applied)
            key = (finding.location, finding.diagnostic.message)
            if made or key in offered_:
                assert made == (key in offered_), (finding, text)
                compared += 1
    assert compared > 40


# --------------------------------------------------------------------------------------------
# the project's Python target


@pytest.mark.parametrize(
    ("specifiers", "lowest"),
    [
        (">=3.9,<4", (3, 9)),
        ("~=3.10", (3, 10)),
        ("==3.11.*", (3, 11)),
        (">3.8", (3, 8)),
        (">= 3.10.0rc1", (3, 10)),
        (">=3.8, >=3.11", (3, 11)),
        ("<3.13", None),
        ("!=3.9", None),
        ("not a specifier", None),
        ("", None),
    ],
)
def test_lowest_admitted(specifiers: str, lowest: tuple[int, int] | None) -> None:
    assert lowest_admitted(specifiers) == lowest


def test_python_target_reads_the_nearest_configured_directory(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.11"\n')
    inner = tmp_path / "pkg" / "sub"
    inner.mkdir(parents=True)
    assert python_target(Config(root=inner)) == (3, 11)
    (tmp_path / "pkg" / "mypy.ini").write_text("[mypy]\npython_version = 3.9\n")
    assert python_target(Config(root=inner)) == (3, 9)  # the nearest directory decides
    (tmp_path / "pkg" / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    assert python_target(Config(root=inner)) is None  # it says nothing; nothing above is read
    (tmp_path / "pkg" / ".ruff.toml").write_text("target-version = 'py312'\n")
    assert python_target(Config(root=inner)) == (3, 12)
    (tmp_path / "pkg" / ".ruff.toml").write_text("target-version = [broken\n")
    assert python_target(Config(root=inner)) is None  # ruff reports its own broken file
