"""`phx-tasklint check` against a hostile file system (issue 6): unreadable files, FIFOs and
sockets, directories named like source files, symbolic link loops, broken links, files that
vanish or change kind during the run, file names that are not UTF-8, paths given twice.

Each gives a one-line message (or nothing) and the run goes on: the good file beside it keeps
its finding. Exit status 2 is only for a path named on the command line that does not exist
(a broken link or a link loop named there counts as one). tests/test_walk.py covers the walk
itself; these go through the command line.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from phx_tasklint.cli import fixing
from phx_tasklint.cli.commands import main
from phx_tasklint.cli.walk import iter_files

ROOT = Path(__file__).resolve().parents[1]
GOOD = """\
from phoenix.client.experiments import run_experiment


def task(input, question):
    return question


run_experiment(dataset=None, task=task)
"""
NOTEBOOK = json.dumps(
    {
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": GOOD}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
)
WARNING = "phx-tasklint: warning: "
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file system features")


@pytest.fixture(autouse=True)
def good_py(project: Path) -> Path:
    """Every test here runs in a `project` holding good.py, whose one finding shows that the odd
    files around it hid nothing."""
    path = project / "good.py"
    path.write_text(GOOD)
    return path


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", "--format", "json", *args])


def findings(result: Result) -> list[tuple[str, str]]:
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return [(f["path"], f["code"]) for f in data]


def messages(result: Result) -> list[str]:
    lines = result.stderr.splitlines()
    assert all(line.startswith(WARNING) for line in lines), lines
    return [line.removeprefix(WARNING) for line in lines]


def cli(
    cwd: Path, *args: str | bytes, timeout: float = 60, memory: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """A real process: stdout is a pipe, names are bytes, a hang is a failure; `memory` caps
    its address space (a run reading /dev/zero fails instead of taking the machine's)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    code = "from phx_tasklint.cli.commands import main; main()"
    if memory is not None:
        code = (
            f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory})); {code}"
        )
    command: list[str | bytes] = [sys.executable, "-c", code, "check", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=timeout)


# --------------------------------------------------------------------------------------------
# unreadable files


@posix_only
def test_unreadable_file(project: Path) -> None:
    locked = project / "locked.py"
    locked.write_text(GOOD)
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reads (see the simulated test)")
        result = check(".")
    finally:
        locked.chmod(0o644)
    assert result.exit_code == 1
    assert sorted(findings(result)) == [("good.py", "PHX002"), ("locked.py", "PHX000")]
    problem = json.loads(result.stdout)[1]
    assert problem["message"] == "cannot parse this file: cannot read it: Permission denied"


def test_unreadable_file_simulated(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What chmod 000 does for everyone but root: the read fails with EACCES."""
    (project / "locked.py").write_text(GOOD)
    read_bytes = Path.read_bytes

    def guarded(self: Path) -> bytes:
        if self.name == "locked.py":
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    result = check(".")
    assert result.exit_code == 1, result.output
    assert sorted(findings(result)) == [("good.py", "PHX002"), ("locked.py", "PHX000")]
    assert "cannot read it: Permission denied" in result.stdout
    assert messages(result) == []


@posix_only
def test_fifo_and_socket_in_a_walked_directory_do_not_block(project: Path) -> None:
    """Reading a FIFO nobody writes to blocks forever: a walk must not open one."""
    os.mkfifo(project / "pipe.py")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(project / "sock.py"))
        result = cli(project, "--no-cache", "--format", "json", ".", timeout=60)
    finally:
        server.close()
    assert result.returncode == 1, result.stderr
    assert [(f["path"], f["code"]) for f in json.loads(result.stdout)] == [("good.py", "PHX002")]
    assert result.stderr.decode().splitlines() == [
        WARNING + "pipe.py: skipped: not a regular file",
        WARNING + "sock.py: skipped: not a regular file",
    ]


@posix_only
@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("pipe.py", "a FIFO"),
        ("/dev/zero", "a character device"),
        (os.devnull, "a character device"),
    ],
)
def test_fifo_or_device_named_on_the_command_line_is_refused(
    project: Path, name: str, what: str
) -> None:
    """Reading a FIFO nobody writes to blocks, reading /dev/zero never ends: a named path gets
    what a walked one gets, unread, and the run exits 2 (`-` reads stdin)."""
    os.mkfifo(project / "pipe.py")
    result = cli(project, "--no-cache", name, "good.py", timeout=60, memory=1 << 30)
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode() == (
        f"phx-tasklint: error: {name}: {what}, not a regular file or directory\n"
    )


# --------------------------------------------------------------------------------------------
# directories with source names, links


def test_directories_named_like_source_files_are_walked(project: Path) -> None:
    for name in ("x.py", "nb.ipynb", "doc.md"):
        (project / name).mkdir()
    (project / "x.py" / "inner.py").write_text(GOOD)
    (project / "nb.ipynb" / "real.ipynb").write_text(NOTEBOOK)
    result = check(".")
    assert result.exit_code == 1
    assert sorted(findings(result)) == [
        ("good.py", "PHX002"),
        ("nb.ipynb/real.ipynb", "PHX002"),
        ("x.py/inner.py", "PHX002"),
    ]
    assert messages(result) == []
    named = check("x.py")  # named on the command line: still a directory to walk
    assert (named.exit_code, findings(named)) == (1, [("x.py/inner.py", "PHX002")])


needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")


@needs_symlinks
@posix_only
def test_link_loops_and_broken_links(project: Path) -> None:
    os.symlink("loop_b.py", project / "loop_a.py")
    os.symlink("loop_a.py", project / "loop_b.py")
    os.symlink("self.py", project / "self.py")
    os.symlink("nowhere.py", project / "broken.py")
    (project / "sub").mkdir()
    os.symlink("..", project / "sub" / "up")
    os.symlink("../good.py", project / "sub" / "same.py")  # the same file twice: checked once
    result = check(".")
    assert result.exit_code == 1
    assert findings(result) == [("good.py", "PHX002")]
    assert messages(result) == [
        "broken.py: skipped: broken symbolic link",
        "loop_a.py: skipped: symbolic link loop",
        "loop_b.py: skipped: symbolic link loop",
        "self.py: skipped: symbolic link loop",
        "sub/up: skipped: symbolic link loop (links to a parent directory)",
    ]
    # named on the command line, a link that leads nowhere is a path that does not exist
    for name in ("broken.py", "loop_a.py"):
        named = check(name, "good.py")
        assert named.exit_code == 2
        assert named.stderr == f"phx-tasklint: error: {name}: no such file or directory\n"


def test_path_given_twice_is_checked_once(project: Path) -> None:
    result = check("good.py", "./good.py", str(project / "good.py"), ".", "good.py")
    assert (result.exit_code, findings(result)) == (1, [("good.py", "PHX002")])


# --------------------------------------------------------------------------------------------
# files that vanish or change during the run


@pytest.fixture
def vanishing(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`gone.py` is found by the walk, then deleted before it is read."""
    gone = project / "gone.py"
    gone.write_text(GOOD)

    def walk_then_delete(*args: Any, **kwargs: Any) -> Any:
        result = iter_files(*args, **kwargs)
        if gone.exists():
            gone.unlink()
        return result

    monkeypatch.setattr("phx_tasklint.cli.pipeline.iter_files", walk_then_delete)
    yield gone


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_file_vanishing_between_walk_and_read(vanishing: Path, cache: bool) -> None:
    result = check(".", *([] if cache else ["--no-cache"]))
    assert result.exit_code == 1, result.output
    assert sorted(findings(result)) == [("gone.py", "PHX000"), ("good.py", "PHX002")]
    assert "cannot read it: No such file or directory" in result.stdout
    assert messages(result) == []


def test_file_turning_into_a_directory(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    odd = project / "odd.py"
    odd.write_text(GOOD)

    def walk_then_replace(*args: Any, **kwargs: Any) -> Any:
        result = iter_files(*args, **kwargs)
        odd.unlink()
        odd.mkdir()
        return result

    monkeypatch.setattr("phx_tasklint.cli.pipeline.iter_files", walk_then_replace)
    result = check("--no-cache", ".")
    assert result.exit_code == 1, result.output
    assert sorted(findings(result)) == [("good.py", "PHX002"), ("odd.py", "PHX000")]
    assert "cannot read it: Is a directory" in result.stdout


def test_file_vanishing_before_fix_is_written(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleted after it was checked, before its fix is written: a one-line message, the other
    file is still fixed."""
    (project / "gone.py").write_text(GOOD)
    write = fixing.write_fixed

    def delete_then_write(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path.name == "gone.py":
            path.unlink()
        return write(path, *args, **kwargs)

    monkeypatch.setattr(fixing, "write_fixed", delete_then_write)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--unsafe-fixes", "--fix", "."])
    assert result.exit_code in (0, 1), result.output
    assert messages(result) == ["gone.py: not fixed: No such file or directory"]
    assert not (project / "gone.py").exists()
    assert "question=None" in (project / "good.py").read_text()


# --------------------------------------------------------------------------------------------
# names that are not UTF-8


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs byte file names")
def test_non_utf8_file_names(project: Path) -> None:
    base = os.fsencode(project)
    names = {b"caf\xe9.py": GOOD, b"nb\xff.ipynb": NOTEBOOK, b"d\xfe.md": f"```python\n{GOOD}```\n"}
    for name, text in names.items():
        with open(os.path.join(base, name), "wb") as handle:
            handle.write(text.encode())
    shown = {"caf\\xe9.py", "nb\\xff.ipynb", "d\\xfe.md", "good.py"}
    for fmt in ("text", "json", "sarif", "github"):
        result = cli(project, "--no-cache", "--format", fmt, ".")
        assert result.returncode == 1, result.stderr
        stdout = result.stdout.decode("utf-8")  # no lone surrogate reached the output
        assert result.stderr == b""
        if fmt == "json":
            assert {f["path"] for f in json.loads(stdout)} == shown
        elif fmt == "sarif":
            json.loads(stdout)
        else:
            assert all(name in stdout for name in shown)
    named = cli(project, "--no-cache", "--format", "json", b"caf\xe9.py")  # argv bytes
    assert [f["path"] for f in json.loads(named.stdout)] == ["caf\\xe9.py"]
    fixed = cli(project, "--no-cache", "--fix", "--unsafe-fixes", b"caf\xe9.py")
    assert fixed.returncode == 0 and fixed.stderr == b"", fixed.stderr
    with open(os.path.join(base, b"caf\xe9.py"), "rb") as handle:
        assert b"question=None" in handle.read()


# --------------------------------------------------------------------------------------------
# permissions on write


@posix_only
def test_fix_is_not_stopped_by_a_read_only_directory(project: Path) -> None:
    """`--fix` writes into the file itself, not a new file beside it: a directory that does not
    let anyone add a file does not matter, the file's own permission does."""
    locked = project / "locked"
    locked.mkdir()
    (locked / "a.py").write_text(GOOD)
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = CliRunner().invoke(main, ["check", "--no-cache", "--unsafe-fixes", "--fix", "."])
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 0, result.output
    assert messages(result) == []
    assert sorted(p.name for p in locked.iterdir()) == ["a.py"]
    for path in (locked / "a.py", project / "good.py"):
        assert "question=None" in path.read_text()
