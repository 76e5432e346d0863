"""What `--fix` writes, where, and what it says when it does not.

* A link is followed to its target, which is fixed while the link stays; a target outside the
  checked paths is refused, with a message.
* The file is written where it is: its inode (so its hard links), owner, group and mode stay. A
  file the user may not write is refused. Root may write anything, so for root the file's owner
  write bit decides: a fix does not override `chmod a-w`.
* Only the fixed lines' bytes change, in the file's own encoding; an encoding whose lines cannot
  be told apart in its bytes is declined, with a message.
* With `-`, stdout carries exactly the source (fixed or not) in its own bytes, and the report of
  what remains goes to stderr.
* A fix that could not be made is said (`<path>: not fixed: <reason>`) and no longer counted as
  fixable.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from phx_tasklint.cli.commands import main
from phx_tasklint.lint import engine, fixes
from phx_tasklint.lint.fixes import FixResult

ROOT = Path(__file__).resolve().parents[1]
WARNING = "phx-tasklint: warning: "
HEADER = "from phoenix.client.experiments import run_experiment\n\n\n"
HAND_OFF = "\n\nrun_experiment(dataset=None, task=t)\n"
# PHX002 (safe fix: rename `inputs` to `input`) on line 4
BUGGY = HEADER + "def t(inputs, expected):\n    return inputs\n" + HAND_OFF
FIXED = BUGGY.replace("inputs", "input")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file system features")
as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root (chown, root's writes)"
)


def check(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, ["check", "--no-cache", *args], input=stdin)


def warnings(result: Result) -> list[str]:
    return [
        line.removeprefix(WARNING)
        for line in result.stderr.splitlines()
        if line.startswith(WARNING)
    ]


def changed_lines(before: bytes, after: bytes) -> list[int]:
    """1-based lines of `before` that a byte-level line diff replaces or deletes."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out: list[int] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            out += range(i1 + 1, max(i2, i1 + 1) + 1)
    return out


# --------------------------------------------------------------------------------------------
# symbolic links


@posix_only
def test_a_link_is_fixed_through_its_target_and_stays_a_link(project: Path) -> None:
    (project / "real.py").write_text(BUGGY)
    (project / "a.py").symlink_to("real.py")  # walked first: the one the run reports
    result = check("--fix", ".")
    assert result.exit_code == 0, result.output
    assert "All checks passed! (1 fixed)" in result.stdout
    assert (project / "a.py").is_symlink() and os.readlink(project / "a.py") == "real.py"
    assert (project / "real.py").read_text() == FIXED


@posix_only
@pytest.mark.parametrize("through", ["file", "directory"])
def test_a_link_out_of_the_checked_paths_is_not_followed(project: Path, through: str) -> None:
    outside = project / "outside"
    outside.mkdir()
    (outside / "real.py").write_text(BUGGY)
    src = project / "src"
    src.mkdir()
    if through == "file":
        (src / "a.py").symlink_to("../outside/real.py")
        shown = "src/a.py"
    else:
        (src / "lib").symlink_to("../outside")
        shown = "src/lib/real.py"
    result = check("--fix", "src")
    assert result.exit_code == 1
    assert warnings(result) == [
        f"{shown}: not fixed: it is a symbolic link (or lies under one) to outside/real.py, "
        "outside the checked paths; check that file to fix it"
    ]
    assert "fixable" not in result.stdout
    assert (outside / "real.py").read_text() == BUGGY
    assert (src / shown.split("/")[1]).is_symlink()


@posix_only
def test_a_link_named_on_the_command_line_is_followed(project: Path) -> None:
    """Naming the link names the file it points to: its target is fixed, wherever it is."""
    outside = project / "outside"
    outside.mkdir()
    (outside / "real.py").write_text(BUGGY)
    (project / "a.py").symlink_to("outside/real.py")
    result = check("--fix", "a.py")
    assert result.exit_code == 0, result.output
    assert (project / "a.py").is_symlink()
    assert (outside / "real.py").read_text() == FIXED


# --------------------------------------------------------------------------------------------
# the file itself: inode, hard links, owner, group, mode, permission


@posix_only
def test_a_fix_keeps_the_inode_and_so_every_hard_link(project: Path) -> None:
    path = project / "a.py"
    path.write_text(BUGGY)
    os.link(path, project / "z.py")
    inode = path.stat().st_ino
    result = check("--fix", ".")
    assert result.exit_code == 0, result.output
    assert path.stat().st_ino == inode and path.stat().st_nlink == 2
    assert (project / "z.py").read_text() == FIXED


@posix_only
@as_root
def test_a_fix_keeps_the_owner_group_and_mode(project: Path) -> None:
    path = project / "a.py"
    path.write_text(BUGGY)
    os.chown(path, 4321, 8765)
    path.chmod(0o664)
    result = check("--fix", ".")
    assert result.exit_code == 0, result.output
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 8765, 0o664)
    assert path.read_text() == FIXED


@posix_only
def test_a_read_only_file_is_not_fixed(project: Path) -> None:
    path = project / "a.py"
    path.write_text(BUGGY)
    path.chmod(0o444)
    result = check("--fix", ".")
    assert result.exit_code == 1
    root = os.geteuid() == 0
    reason = "the file is read-only (-r--r--r--); make it writable to fix it"
    assert warnings(result) == [f"a.py: not fixed: {reason if root else 'Permission denied'}"]
    assert "fixable" not in result.stdout
    assert path.read_text() == BUGGY and stat.S_IMODE(path.stat().st_mode) == 0o444


@posix_only
def test_a_file_the_kernel_refuses_is_not_fixed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What opening a file one may not write does for everyone but root."""
    path = project / "a.py"
    path.write_text(BUGGY)
    real_open = os.open

    def guarded(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(name).endswith("a.py") and flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded)
    result = check("--fix", ".")
    assert warnings(result) == ["a.py: not fixed: Permission denied"]
    assert path.read_text() == BUGGY


@pytest.mark.parametrize(
    ("euid", "owner", "mode", "allowed"),
    [
        pytest.param(0, 1000, 0o644, True, id="root-owner-may-write"),
        pytest.param(0, 1000, 0o444, False, id="root-read-only"),
        pytest.param(0, 1000, 0o464, False, id="root-group-writable-only"),
        pytest.param(1000, 1000, 0o444, True, id="user-the-kernel-decides"),
    ],
)
def test_who_may_write(
    monkeypatch: pytest.MonkeyPatch, euid: int, owner: int, mode: int, allowed: bool
) -> None:
    from phx_tasklint.cli import writeback

    monkeypatch.setattr(os, "geteuid", lambda: euid, raising=False)
    st = os.stat_result((stat.S_IFREG | mode, 1, 1, 1, owner, owner, 10, 0, 0, 0))
    assert writeback.may_write(st) is allowed


# --------------------------------------------------------------------------------------------
# encodings: only the fixed lines' bytes change


def _fix_bytes(project: Path, data: bytes) -> tuple[Result, bytes]:
    path = project / "a.py"
    path.write_bytes(data)
    result = check("--fix", ".")
    return result, path.read_bytes()


def test_a_unicode_escape_file_keeps_its_lines(project: Path) -> None:
    data = b"# coding: unicode_escape\n" + BUGGY.replace("None", "'caf\\xe9'").encode()
    result, after = _fix_bytes(project, data)
    assert result.exit_code == 0, result.output
    assert after == data.replace(b"inputs", b"input")
    assert changed_lines(data, after) == [5, 6]  # the def's two lines, nothing else


def test_a_utf7_file_keeps_the_bytes_of_the_lines_not_fixed(project: Path) -> None:
    # `+AGM-` is a valid utf-7 spelling of "c" that Python's encoder would not choose
    body = BUGGY.replace(HEADER, HEADER + 'S = "caf\xe9 ~"\n\n\n').encode("utf-7")
    data = b"# coding: utf-7\n" + body.replace(b'"caf', b'"+AGM-af')
    assert data.decode("utf-7") == "# coding: utf-7\n" + body.decode("utf-7")
    result, after = _fix_bytes(project, data)
    assert result.exit_code == 0, result.output
    assert after == data.replace(b"inputs", b"input")
    assert changed_lines(data, after) == [8, 9]


def test_an_encoding_that_hides_line_breaks_is_not_fixed(project: Path) -> None:
    # `\n` in a unicode_escape file is a line break of the code, not of the file
    data = b"# coding: unicode_escape\nimport os\\nimport sys\n" + BUGGY.encode()
    result, after = _fix_bytes(project, data)
    assert result.exit_code == 1
    assert warnings(result) == [
        "a.py: not fixed: its encoding (unicode_escape) does not keep each line of code on a "
        "line of its own in the file, so a fix could not leave the other lines' bytes alone"
    ]
    assert "fixable" not in result.stdout
    assert after == data


# --------------------------------------------------------------------------------------------
# stdin


def test_fix_on_stdin_prints_only_the_source_and_reports_on_stderr(project: Path) -> None:
    # PHX002 `inputs` is fixed; PHX401 (a positional argument) has no fix and remains
    source = BUGGY.replace("run_experiment(dataset=None, task=t)", "run_experiment(None, task=t)")
    result = check("--fix", "--stdin-filename", "x.py", "-", stdin=source.encode())
    assert result.stdout_bytes == source.replace("inputs", "input").encode()
    assert "PHX401" in result.stderr and "PHX002" not in result.stderr
    assert "Fixed 1 finding." in result.stderr
    assert result.exit_code == 1
    assert sorted(p.name for p in project.iterdir()) == [".git"]  # nothing was written


def test_fix_on_stdin_keeps_the_source_encoding(project: Path) -> None:
    data = ("# -*- coding: latin-1 -*-\n" + BUGGY.replace("None", "'café'")).encode("latin-1")
    result = check("--fix", "--stdin-filename", "x.py", "-", stdin=data)
    assert result.stdout_bytes == data.replace(b"inputs", b"input")
    assert result.exit_code == 0
    assert "All checks passed! (1 fixed)" in result.stderr


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(FIXED, id="clean"),
        pytest.param(BUGGY.replace("\n", "\r"), id="not-fixable"),
        pytest.param("def (:\n", id="syntax-error"),
    ],
)
def test_fix_on_stdin_prints_the_source_when_nothing_is_fixed(project: Path, source: str) -> None:
    data = source.encode()
    result = check("--fix", "--stdin-filename", "x.py", "-", stdin=data)
    assert result.stdout_bytes == data


@posix_only
def test_fix_on_stdin_through_a_pipe_gives_a_file_that_parses(project: Path) -> None:
    """The issue's own command: `check --fix --stdin-filename x.py - < in.py > out.py`."""
    data = ("# coding: latin-1\n" + BUGGY.replace("None", "'café'")).encode("latin-1")
    (project / "in.py").write_bytes(data)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    code = "from phx_tasklint.cli.commands import main; main()"
    with (project / "in.py").open("rb") as stdin, (project / "out.py").open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-c", code, "check", "--fix", "--stdin-filename", "x.py", "-"],
            cwd=project,
            env=env,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    out = (project / "out.py").read_bytes()
    assert out == data.replace(b"inputs", b"input")
    compile(out, "out.py", "exec")
    assert b"All checks passed! (1 fixed)" in done.stderr


# --------------------------------------------------------------------------------------------
# what is not fixed is said, and not counted as fixable


def _json(result: Result) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_a_file_libcst_cannot_write_back_is_said_and_not_counted(project: Path) -> None:
    path = project / "a.py"
    path.write_bytes(BUGGY.replace("\n", "\r").encode())
    # b.py is fixed by the first pass, after which a.py is tried again: it is said once
    (project / "b.py").write_text(
        HEADER + "def t(inputs, expectd=None):\n    return inputs\n" + HAND_OFF
    )
    result = check("--fix", ".")
    assert result.exit_code == 1
    assert warnings(result) == [
        "a.py: not fixed: libcst cannot write back a file whose lines end in a lone `\\r` "
        "(old Mac style)"
    ]
    assert result.stdout.endswith("Found 1 error.\nFixed 2 findings.\n"), result.stdout
    assert "help:" not in result.stdout
    again = check("--fix", "--format", "json", ".")
    assert [f["fix"] for f in _json(again)] == [None]


def test_a_refused_edit_is_said_and_not_counted(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # renaming `inputs` to `input` would make `input = inputs` rebind the parameter: the
    # linter offers no such fix (tests/test_fixes.py), but were it to, `--fix` says so
    monkeypatch.setattr(engine, "_writable", lambda fix, anchor: True)
    (project / "a.py").write_text(
        HEADER + "def t(inputs, expected):\n    input = inputs\n    return input\n" + HAND_OFF
    )
    result = check("--fix", ".")
    assert result.exit_code == 1
    assert warnings(result) == [
        "a.py: not fixed: the fix of PHX002 at 4:7 could change what the code means or would "
        "not leave valid Python; change the code by hand"
    ]
    assert "fixable" not in result.stdout


def test_an_edit_that_would_not_parse_is_not_written(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the edits produce, bytes that do not parse are never written."""
    path = project / "a.py"
    path.write_text(BUGGY)

    def broken(source: Any, findings: Any, unsafe: bool, **options: Any) -> FixResult:
        return FixResult(source.text.replace("def t(", "def t(("), tuple(findings))

    monkeypatch.setattr(fixes, "apply_fixes", broken)
    result = check("--fix", ".")
    assert result.exit_code == 1
    [message] = warnings(result)
    assert message.startswith("a.py: not fixed: the result would not parse (4:")
    assert "fixable" not in result.stdout
    assert path.read_text() == BUGGY
