"""`--fix`, `--unsafe-fixes` and `--diff`: every fix on every fixture converges and stays inside the
fixed function; bytes, encodings and line endings survive; unsafe edits are refused; a write goes
into the file itself, never clobbers a file that changed on disk, and a failed one leaves the old
bytes. tests/test_fix_safety.py has links, permissions, codecs, stdin and what is not fixed."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from click.testing import CliRunner, Result
from libcst.metadata import MetadataWrapper, PositionProvider

from phx_tasklint.cli import fixing
from phx_tasklint.cli.commands import main
from phx_tasklint.lint import engine, fixes, lint, sources
from phx_tasklint.lint.findings import Finding
from phx_tasklint.project.config import Config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "from phoenix.client.experiments import run_experiment\n\n\n"
Key = tuple[str, int, str, str | None]  # path, line, code, function


def check(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["check", *args], input=stdin)


def json_findings(*paths: str) -> list[dict[str, Any]]:
    result = check("--format", "json", "--exit-zero", *paths)
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".phx-tasklint-cache" not in p.parts
    }


def key(finding: dict[str, Any]) -> Key:
    return (finding["path"], finding["line"], finding["code"], finding["function"])


def compiles(data: bytes, path: str) -> bool:
    try:
        compile(data, path, "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def fixable(finding: dict[str, Any], unsafe: bool) -> bool:
    fix = finding["fix"]
    return fix is not None and (unsafe or fix["applicability"] == "safe")


def changed_lines(before: bytes, after: bytes) -> set[int]:
    """1-based lines of `before` that a line diff replaces or deletes."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            out.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return out


def function_spans(text: str, points: set[tuple[int, int]]) -> list[range]:
    """Line spans of the innermost def / lambda around each (line, column) in `points`."""
    wrapper = MetadataWrapper(cst.parse_module(text))
    positions = wrapper.resolve(PositionProvider)
    spans: dict[tuple[int, int], range] = {}

    class Visitor(cst.CSTVisitor):
        def _owner(self, node: cst.CSTNode) -> None:
            where = positions[node]
            for line, column in points:
                inside = (where.start.line, where.start.column) <= (line, column - 1) and (
                    line,
                    column - 1,
                ) < (where.end.line, where.end.column)
                if inside:  # visited outside-in: the innermost wins
                    spans[(line, column)] = range(where.start.line, where.end.line + 1)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            self._owner(node)

        def visit_Lambda(self, node: cst.Lambda) -> None:
            self._owner(node)

    wrapper.module.visit(Visitor())
    return list(spans.values())


# --------------------------------------------------------------------------------------------
# every fix on every fixture


@pytest.mark.parametrize(
    "flags",
    [pytest.param(("--fix",), id="safe"), pytest.param(("--fix", "--unsafe-fixes"), id="unsafe")],
)
def test_every_fix_on_every_fixture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> None:
    unsafe = "--unsafe-fixes" in flags
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("__pycache__", ".*cache*"))
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    original = snapshot(root)
    before = json_findings()
    wanted = [f for f in before if fixable(f, unsafe)]
    assert wanted, "the fixtures offer no fixes"

    result = check(*flags)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    fixed = snapshot(root)
    after = json_findings()

    assert fixed.keys() == original.keys()
    changed = {path for path in original if fixed[path] != original[path]}
    assert changed and all(path.endswith(".py") for path in changed), changed
    for path in changed:
        # no file that compiled stops compiling (that includes duplicate parameters)
        if compiles(original[path], path):
            assert compiles(fixed[path], path), path
        assert original[path].count(b"\n") == fixed[path].count(b"\n"), path

    after_keys = {key(f) for f in after}
    applied: list[Key] = []
    for finding in wanted:
        path = finding["path"]
        if path in changed and finding["line"] in changed_lines(original[path], fixed[path]):
            assert key(finding) not in after_keys, f"fixed but still reported: {finding}"
            applied.append(key(finding))
        else:
            assert key(finding) in after_keys, f"unchanged line, yet gone: {finding}"
    assert len(applied) >= len(wanted) // 2, (applied, wanted)

    # the fixes introduce nothing new
    before_keys = {key(f) for f in before}
    assert after_keys <= before_keys, sorted(after_keys - before_keys, key=str)

    # only lines of the fixed functions change
    for path in changed:
        text = sources.from_bytes(original[path], path).text
        points = {(f["line"], f["column"]) for f in wanted if f["path"] == path}
        spans = function_spans(text, points)
        for line in changed_lines(original[path], fixed[path]):
            assert any(line in span for span in spans), f"{path}:{line} is outside a fixed def"

    # a second run has nothing left to do
    again = check(*flags)
    assert again.exit_code in (0, 1)
    assert snapshot(root) == fixed


def test_unsafe_fixes_do_more_than_safe_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = []
    for flags in (("--fix",), ("--fix", "--unsafe-fixes")):
        root = tmp_path / "-".join(flags)
        shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("__pycache__", ".*cache*"))
        (root / ".git").mkdir()
        monkeypatch.chdir(root)
        original = snapshot(root)
        check(*flags)
        fixed = snapshot(root)
        counts.append(sum(len(changed_lines(original[p], fixed[p])) for p in original))
    assert 0 < counts[0] < counts[1], counts


# --------------------------------------------------------------------------------------------
# exact results


@pytest.mark.parametrize(
    ("source", "expected", "flags"),
    [
        pytest.param(
            "def t(inputs, expected):\n    return inputs\n",
            "def t(input, expected):\n    return input\n",
            (),
            id="rename-with-uses",
        ),
        pytest.param(
            "def t(inputs, example):\n    return example.input or f(input=inputs)\n",
            "def t(input, example):\n    return example.input or f(input=input)\n",
            (),
            id="rename-beside-attribute-and-keyword",
        ),
        pytest.param(
            "def t(inputs, expected):\n    def g():\n        return inputs\n    return g()\n",
            "def t(input, expected):\n    def g():\n        return input\n    return g()\n",
            (),
            id="rename-closure-use",
        ),
        pytest.param(
            "def t(inputs, expected):\n    return [input for input in inputs]\n",
            "def t(input, expected):\n    return [input for input in input]\n",
            (),
            id="rename-target-bound-in-comprehension",
        ),
        pytest.param(
            "def t(input, metdata=None):\n    return metdata\n",
            "def t(input, metadata=None):\n    return metadata\n",
            (),
            id="rename-never-bound",
        ),
        pytest.param(
            "def t(input, question):\n    return question\n",
            "def t(input, question=None):\n    return question\n",
            ("--unsafe-fixes",),
            id="add-default",
        ),
        pytest.param(
            "def t(input, context, question):\n    return question\n",
            "def t(input, context=None, question=None):\n    return question\n",
            ("--unsafe-fixes",),
            id="add-two-defaults",
        ),
        pytest.param(
            "def t(input, *args):\n    return input\n",
            "def t(input):\n    return input\n",
            (),
            id="remove-args",
        ),
        pytest.param(
            "def t(input, *args, k=None):\n    return k\n",
            "def t(input, *, k=None):\n    return k\n",
            (),
            id="remove-args-keep-keyword-only",
        ),
        pytest.param(
            "def t(input, *args, **kwargs):\n    return input\n",
            "def t(input, **kwargs):\n    return input\n",
            (),
            id="remove-args-before-kwargs",
        ),
        pytest.param(
            "def t(\n    input,\n    *args,\n):\n    return input\n",
            "def t(\n    input,\n):\n    return input\n",
            (),
            id="remove-args-trailing-comma",
        ),
    ],
)
def test_fix_result(project: Path, source: str, expected: str, flags: tuple[str, ...]) -> None:
    hand_off = "\n\nrun_experiment(dataset=None, task=t)\n"
    (project / "a.py").write_text(HEADER + source + hand_off)
    check("--fix", *flags)
    assert (project / "a.py").read_text() == HEADER + expected + hand_off
    remaining = {f["code"] for f in json_findings()} & {"PHX002", "PHX005", "PHX101"}
    assert not remaining  # every fix re-lints clean


def test_fix_in_a_lambda(project: Path) -> None:
    source = HEADER + "run_experiment(dataset=None, task=lambda input, *rest: 1)\n"
    (project / "a.py").write_text(source)
    check("--fix")
    assert (project / "a.py").read_text() == source.replace(", *rest", "")


def test_one_def_handed_off_twice_gets_its_identical_fix_once(project: Path) -> None:
    # as task and as evaluator: two PHX002 findings at 4:14 offer the same two defaults (in
    # alphabetical order, which is the signature's: each added alone would not compile)
    source = (
        HEADER + "def t(input, context, question):\n    return 1.0\n\n\n"
        "run_experiment(dataset=None, task=t, evaluators=[t])\n"
    )
    (project / "a.py").write_text(source)
    assert [f["line"] for f in json_findings() if f["fix"]] == [4, 4]
    result = check("--fix", "--unsafe-fixes")
    assert "not fixed" not in result.stderr
    assert (project / "a.py").read_text() == source.replace(
        "context, question)", "context=None, question=None)"
    )


def test_fix_reports_what_it_fixed(project: Path) -> None:
    (project / "a.py").write_text(
        HEADER + "def t(inputs, expected):\n    return 1\n\n\n"
        "run_experiment(dataset=None, task=t)\n"
    )
    result = check("--fix")
    assert result.exit_code == 0
    assert "All checks passed! (1 fixed)" in result.stdout


def test_fix_from_stdin_prints_the_fixed_source(project: Path) -> None:
    source = HEADER + "def t(inputs, expected):\n    return inputs\n\n\nrun_experiment(task=t)\n"
    result = check("-", "--fix", "--stdin-filename", "a.py", stdin=source)
    assert result.stdout == source.replace("inputs", "input")
    assert sorted(p.name for p in project.iterdir()) == [".git"]  # nothing was written


# --------------------------------------------------------------------------------------------
# preservation: every byte but the edit

_BODY = (
    "from phoenix.client.experiments import run_experiment{nl}"
    "{nl}"
    "S = {nonascii!r}  # trailing comment   {nl}"
    "{nl}"
    "{nl}"
    "def t( inputs ,expected ):   # keep:  spacing{tab}{nl}"
    "    # a comment about inputs?  no: about the example   {nl}"
    "    return inputs  {nl}"
    "{nl}"
    "{nl}"
    "run_experiment(dataset=None, task=t){nl}"
)


def _case(
    nl: str, prefix: bytes, encoding: str, cookie: str = "", final_newline: bool = True
) -> tuple[bytes, bytes]:
    nonascii = "café ☕" if encoding == "utf-8" else "café"
    text = cookie.replace("\n", nl) + _BODY.format(nl=nl, nonascii=nonascii, tab="\t")
    if not final_newline:
        text = text.removesuffix(nl)
    data = prefix + text.encode(encoding)
    expected = data.replace(b"t( inputs ,", b"t( input ,").replace(
        b"return inputs", b"return input"
    )
    return data, expected


PRESERVATION = {
    "lf": _case("\n", b"", "utf-8"),
    "crlf": _case("\r\n", b"", "utf-8"),
    "utf8-bom": _case("\n", b"\xef\xbb\xbf", "utf-8"),
    "bom-crlf": _case("\r\n", b"\xef\xbb\xbf", "utf-8"),
    "latin-1-cookie": _case("\n", b"", "latin-1", "# -*- coding: latin-1 -*-\n"),
    "latin-1-cookie-line-2": _case(
        "\n", b"", "latin-1", "#!/usr/bin/env python\n# coding=latin-1\n"
    ),
    "no-final-newline": _case("\n", b"", "utf-8", final_newline=False),
    "crlf-no-final-newline": _case("\r\n", b"", "utf-8", final_newline=False),
}


@pytest.mark.parametrize(("data", "expected"), PRESERVATION.values(), ids=PRESERVATION.keys())
def test_fix_preserves_every_other_byte(project: Path, data: bytes, expected: bytes) -> None:
    assert data != expected and b"inputs?" in expected  # the comment is not a use
    (project / "a.py").write_bytes(data)
    (project / "untouched.py").write_bytes(data.replace(b"task=t", b"task=print"))
    result = check("--fix")
    assert result.exit_code == 0, result.output
    assert (project / "a.py").read_bytes() == expected
    assert (project / "untouched.py").read_bytes() == data.replace(b"task=t", b"task=print")


def test_a_file_libcst_cannot_reproduce_is_left_alone(project: Path) -> None:
    # old-Mac line endings: libcst's round trip drops the final "\r"
    data, _ = _case("\r", b"", "utf-8")
    (project / "a.py").write_bytes(data)
    result = check("--fix")
    assert result.exit_code == 1  # still reported, not fixed
    assert (project / "a.py").read_bytes() == data


def test_fix_keeps_the_file_mode(project: Path) -> None:
    data, expected = PRESERVATION["lf"]
    path = project / "a.py"
    path.write_bytes(data)
    path.chmod(0o640)
    check("--fix")
    assert path.read_bytes() == expected
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


# --------------------------------------------------------------------------------------------
# --diff


def test_diff_prints_a_unified_diff_and_writes_nothing(project: Path) -> None:
    data, _ = PRESERVATION["lf"]
    (project / "a.py").write_bytes(data)
    result = check("--diff")
    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/a.py\n+++ b/a.py\n@@ ")
    assert "\n-def t( inputs ,expected ):" in result.stdout
    assert "\n+def t( input ,expected ):" in result.stdout
    assert "\n+    return input  \n" in result.stdout
    assert (project / "a.py").read_bytes() == data
    assert sorted(p.name for p in project.iterdir() if not p.name.startswith(".")) == ["a.py"]


@pytest.mark.parametrize(
    ("source", "flags"),
    [
        pytest.param("def t(input):\n    return 1\n", (), id="clean"),
        pytest.param("def t(input, question):\n    return 1\n", (), id="unsafe-only"),
    ],
)
def test_diff_without_changes_exits_0(project: Path, source: str, flags: tuple[str, ...]) -> None:
    (project / "a.py").write_text(HEADER + source + "\n\nrun_experiment(dataset=None, task=t)\n")
    result = check("--diff", *flags)
    assert result.exit_code == 0
    assert result.stdout == ""


def test_diff_with_unsafe_fixes(project: Path) -> None:
    source = (
        HEADER + "def t(input, question):\n    return 1\n\n\nrun_experiment(dataset=None, task=t)\n"
    )
    (project / "a.py").write_text(source)
    result = check("--diff", "--unsafe-fixes")
    assert result.exit_code == 1
    assert "+def t(input, question=None):" in result.stdout
    assert (project / "a.py").read_text() == source


# --------------------------------------------------------------------------------------------
# safety: fixes that would change behaviour or break the file are not applied

UNCHANGED = {
    "rename-target-assigned": "def t(inputs, expected):\n    input = inputs\n    return input\n",
    "rename-target-builtin-read": "def t(inputs, expected):\n    return input(inputs)\n",
    "rename-target-read-in-closure": (
        "def t(inputs, expected):\n    def g():\n        return input\n    return g(), inputs\n"
    ),
    "rename-target-global": "def t(inputs, expected):\n    global input\n    return inputs\n",
    "rename-old-nonlocal": (
        "def t(inputs, expected):\n    def g():\n        nonlocal inputs\n        inputs = 1\n"
        "    g()\n    return inputs\n"
    ),
    "rename-old-read-by-locals": "def t(inputs, expected):\n    return locals()['inputs']\n",
    "rename-old-is-a-nested-def": (
        "def t(inputs, expected):\n    def inputs():\n        return 1\n    return inputs\n"
    ),
    "remove-args-used": "def t(input, *args):\n    return args\n",
    "remove-args-used-in-closure": (
        "def t(input, *args):\n    def g():\n        return len(args)\n    return g()\n"
    ),
    "remove-args-in-lambda-used": None,  # the lambda below
}


def offered_anyway(monkeypatch: pytest.MonkeyPatch, text: str) -> list[Finding]:
    """The findings of `text` with every fix the judge attaches, even those the linter holds
    back because `--fix` would refuse them (`engine._writable`)."""
    monkeypatch.setattr(engine, "_writable", lambda fix, anchor: True)
    findings = lint([sources.from_bytes(text.encode(), "a.py")], Config()).findings
    monkeypatch.undo()
    return [f for f in findings if f.diagnostic.fix is not None]


@pytest.mark.parametrize(("name", "body"), UNCHANGED.items(), ids=UNCHANGED.keys())
def test_unsafe_edit_is_not_offered_nor_applied(
    project: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str | None
) -> None:
    if body is None:
        source = HEADER + "run_experiment(dataset=None, task=lambda input, *rest: rest)\n"
    else:
        source = HEADER + body + "\n\nrun_experiment(dataset=None, task=t)\n"
    (project / "a.py").write_text(source)
    # the linter offers none (a return read from the body may add a finding of its own)
    found = [f["fix"] for f in json_findings() if f["code"] in ("PHX002", "PHX005")]
    assert found == [None]
    result = check("--fix", "--unsafe-fixes")
    assert "Traceback" not in result.output and "not fixed" not in result.stderr
    assert (project / "a.py").read_text() == source
    # and `--fix` refuses it when handed it anyway
    offered = offered_anyway(monkeypatch, source)
    assert offered, "the case needs a fix the judge attaches"
    result_text = fixes.apply_fixes(sources.from_bytes(source.encode(), "a.py"), offered, True)
    assert result_text.applied == ()


def test_add_default_before_a_required_parameter_is_not_written(project: Path) -> None:
    # partial() binds `b`, so only `a` is unbindable; `def two(input, a=None, b)` is a
    # SyntaxError
    source = (
        "import functools\n\n" + HEADER + "def two(input, a, b):\n    return a\n\n\n"
        "run_experiment(dataset=None, task=functools.partial(two, b=1))\n"
    )
    (project / "a.py").write_text(source)
    found = [f for f in json_findings() if f["code"] == "PHX002"]
    assert found and not any(f["fix"] for f in found)  # no fix on offer that cannot be written
    for flags in (("--fix", "--unsafe-fixes"), ("--diff", "--unsafe-fixes")):
        result = check(*flags)
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        assert not crashed, result.output
        assert (project / "a.py").read_text() == source


def test_two_renames_to_one_name_apply_once(project: Path) -> None:
    # PHX002 renames `expected_output` and PHX101 `expectd`, both to `expected`
    source = HEADER + "def t(expected_output, expectd=None):\n    return 1\n\n\n"
    source += "run_experiment(dataset=None, task=t)\n"
    (project / "a.py").write_text(source)
    check("--fix")
    text = (project / "a.py").read_text()
    assert "def t(expected, expectd=None):" in text
    compile(text, "a.py", "exec")  # no duplicate argument
    check("--fix")
    assert (project / "a.py").read_text() == text


def test_a_refused_fix_does_not_block_the_others(project: Path) -> None:
    source = (
        HEADER
        + "def t(inputs, expected):\n    return input(inputs)\n\n\n"
        + "def u(inputs, expected):\n    return inputs\n\n\n"
        + "run_experiment(dataset=None, task=t)\nrun_experiment(dataset=None, task=u)\n"
    )
    (project / "a.py").write_text(source)
    check("--fix")
    assert (project / "a.py").read_text() == source.replace(
        "def u(inputs, expected):\n    return inputs", "def u(input, expected):\n    return input"
    )


# --------------------------------------------------------------------------------------------
# writing


def _stale_setup(project: Path) -> tuple[Path, bytes, bytes]:
    data, expected = PRESERVATION["lf"]
    path = project / "a.py"
    path.write_bytes(data)
    return path, data, expected


def _listing(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir())


def test_write_refuses_a_file_changed_since_it_was_read(project: Path) -> None:
    path, data, fixed = _stale_setup(project)
    edited = data + b"# edited meanwhile\n"
    path.write_bytes(edited)
    listing = _listing(project)
    problem = fixing.write_fixed(path, data, fixed)
    assert problem is not None and "changed on disk" in problem
    assert path.read_bytes() == edited
    assert _listing(project) == listing


def test_fix_does_not_overwrite_a_concurrent_edit(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, data, _ = _stale_setup(project)
    edited = data + b"# edited meanwhile\n"
    real = fixing.write_fixed

    def racing(target: Path, *args: Any) -> str | None:
        target.write_bytes(edited)  # the user saves just before the write
        return real(target, *args)

    monkeypatch.setattr(fixing, "write_fixed", racing)
    result = check("--fix")
    assert path.read_bytes() == edited
    assert "changed on disk" in result.stderr


def _raise(exc: BaseException) -> Callable[..., None]:
    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    return fail


def _failing(exc: BaseException, after: int = 0) -> Callable[..., Any]:
    """A stand-in for an `os` function that raises `exc` on call number `after` (0-based) and
    otherwise does what the real one does."""
    calls = 0

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def fail(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == after + 1:
                raise exc
            return real(*args, **kwargs)

        return fail

    return wrap


@pytest.mark.parametrize(
    ("target", "exc", "grow"),
    [
        pytest.param("write", OSError(28, "No space left on device"), True, id="full-disk-grow"),
        pytest.param("write", OSError(5, "Input/output error"), False, id="write-oserror"),
        pytest.param("ftruncate", OSError(5, "Input/output error"), False, id="truncate"),
        pytest.param("fsync", OSError(5, "Input/output error"), False, id="fsync-oserror"),
        pytest.param("write", KeyboardInterrupt(), False, id="write-interrupted"),
        pytest.param("write", KeyboardInterrupt(), True, id="grow-interrupted"),
    ],
)
def test_a_failed_write_leaves_the_old_file_whole(
    project: Path, monkeypatch: pytest.MonkeyPatch, target: str, exc: BaseException, grow: bool
) -> None:
    path, data, fixed = _stale_setup(project)
    if grow:
        fixed = data.replace(b"inputs ,expected", b"inputs ,expected=None")
    inode, listing = path.stat().st_ino, _listing(project)
    monkeypatch.setattr(os, target, _failing(exc)(getattr(os, target)))
    if isinstance(exc, OSError):
        problem = fixing.write_fixed(path, data, fixed)
        assert problem == exc.strerror
    else:
        with pytest.raises(type(exc)):
            fixing.write_fixed(path, data, fixed)
    assert path.read_bytes() == data
    assert path.stat().st_ino == inode and _listing(project) == listing


def test_cli_reports_a_failed_write(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, data, _ = _stale_setup(project)
    monkeypatch.setattr(os, "write", _raise(OSError(28, "No space left on device")))
    result = check("--fix", "--no-cache")
    assert result.exit_code == 1  # the finding is still there
    assert "a.py: not fixed: No space left on device" in result.stderr
    assert path.read_bytes() == data


# --------------------------------------------------------------------------------------------
# fixes on offer must be fixes --fix can make


@pytest.mark.parametrize(
    ("source", "flags"),
    [
        pytest.param(
            "def unwrapped(fn):\n    def wrapper(*args, **kwargs):\n        return fn(*args)\n"
            "    return wrapper\n\n\n"
            "@unwrapped\ndef hidden(input, expected):\n    return input\n\n\n"
            "run_experiment(dataset=None, task=hidden)\n",
            ("--fix",),
            id="decorator-hides-the-signature",
        ),
        pytest.param(
            "import functools\n\n\ndef two(input, a, b):\n    return a\n\n\n"
            "run_experiment(dataset=None, task=functools.partial(two, b=1))\n",
            ("--fix", "--unsafe-fixes"),
            id="partial-binds-the-later-parameter",
        ),
    ],
)
def test_no_regression_fix_on_offer_that_fix_can_never_make(
    project: Path, source: str, flags: tuple[str, ...]
) -> None:
    """The report advertises a fix ("help: Remove `*args` (safe fix)", "1 fixable with
    `--fix`") that no `--fix` run can apply:

    * `@unwrapped def hidden(input, expected)` (a decorator without functools.wraps): PHX005 is
      reported at the def name with fix `remove args`, but `*args` belongs to the wrapper, not
      to the decorated def (fixtures/callables.py:78 `hidden_task` is the same case);
    * `functools.partial(two, b=1)` with `def two(input, a, b)`: PHX002 offers `add-default a`,
      but `def two(input, a=None, b)` is not Python.

    The engine should attach no fix when the edit cannot be made to the source it points at."""
    (project / "a.py").write_text(HEADER + source)
    unsafe = "--unsafe-fixes" in flags
    check(*flags)
    still_offered = [f for f in json_findings() if fixable(f, unsafe)]
    assert still_offered == []


def test_no_rename_of_a_parameter_a_call_in_the_file_passes_by_keyword(project: Path) -> None:
    """`ev(output=1, metdata={})` in a test beside the evaluator would break if `metdata` were
    renamed: that def's rename is not offered; the same typo in a def nobody calls is."""
    source = HEADER + (
        "def ev(output, metdata=None):\n    return 1.0\n\n\n"
        "def test_ev():\n    assert ev(output=1, metdata={}) == 1.0\n\n\n"
        "def ev2(output, metdata=None):\n    return 1.0\n\n\n"
        "run_experiment(dataset=None, task=lambda input: input, evaluators=[ev, ev2])\n"
    )
    (project / "a.py").write_text(source)
    offered = {f["function"]: f["fix"] for f in json_findings() if f["code"] == "PHX101"}
    assert offered["ev"] is None and offered["ev2"] is not None
    check("--fix")
    fixed = (project / "a.py").read_text()
    assert "def ev(output, metdata=None)" in fixed and "metdata={}" in fixed
    assert "def ev2(output, metadata=None)" in fixed
