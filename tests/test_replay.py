"""The console script's replay (`replay`): a repeated `check` prints what the last identical run
printed while nothing it consulted has changed, and never disagrees with a fresh run."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phx_tasklint.cli import output, pipeline, replay
from phx_tasklint.cli.cache import DIRECTORY

HEADER = "from phoenix.client.experiments import run_experiment\n\n\n"
BROKEN = (
    HEADER + "def bad(input, question):\n    return 1\n\n\nrun_experiment(dataset=None, task=bad)\n"
)
CLEAN = HEADER + "def good(input):\n    return input\n\n\nrun_experiment(dataset=None, task=good)\n"
FILES = {
    ".gitignore": "# nothing yet\n",
    "pyproject.toml": "[tool.phx-tasklint]\n",
    "a.py": BROKEN,
    "b.py": BROKEN.replace("question", "questio"),
    "clean.py": CLEAN,
    "sub/other.py": BROKEN,
    "notes.md": "```python\n" + BROKEN + "```\n",
}
Answer = tuple[int, str, str]


def _make(root: Path) -> None:
    (root / ".git").mkdir()
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "elsewhere").mkdir()
    (root / "sub" / "linked.py").symlink_to(root / "elsewhere" / "target.py")  # broken
    # as an earlier run leaves it: creating it changes the listing of the root, which the
    # runs consulted (the first run of a new tree is never replayed; see the last test)
    (root / DIRECTORY).mkdir()


@contextlib.contextmanager
def _captured() -> Iterator[list[str]]:
    """stdout and stderr of the block, as two strings appended to the yielded list."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        texts: list[str] = []
        try:
            yield texts
        finally:
            sys.stdout, sys.stderr = saved
            for stream in (out, err):
                stream.seek(0)
                texts.append(stream.read())


def answered(argv: list[str]) -> Answer:
    """A run of the console script past the replay: it records what it prints."""
    with _captured() as texts:
        code = output.answer(argv)
    assert code is not None
    return code, *texts  # type: ignore[return-value]


def fresh(argv: list[str]) -> Answer:
    """What a run without any cache prints (the command line's own parse of `argv`)."""
    request = output.quick_check(argv)
    assert request is not None
    options, display = request
    with _captured() as texts:
        outcome = pipeline.run(pipeline.Options(**{**vars(options), "use_cache": False}))
        code = output.emit(outcome, display)
    return code, *texts  # type: ignore[return-value]


def replayed(argv: list[str]) -> Answer | None:
    with _captured() as texts:
        code = replay.replay(argv)
    if code is None:
        assert texts == [] or texts == ["", ""]
        return None
    return code, *texts  # type: ignore[return-value]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _make(tmp_path)
    monkeypatch.chdir(tmp_path)
    # the tree was written moments ago; a run normally stores nothing until it has settled
    monkeypatch.setattr(replay, "_SETTLE_NS", 0)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


ARGVS = [
    ["check"],
    ["check", "--format", "json", "--exit-zero"],
    ["check", "--statistics"],
    ["check", "-q", "a.py", "sub"],
    ["check", "--select", "PHX002", "--format=sarif"],
]


@pytest.mark.parametrize("argv", ARGVS, ids=[" ".join(a[1:]) or "plain" for a in ARGVS])
def test_a_replay_prints_what_the_run_printed(project: Path, argv: list[str]) -> None:
    assert replayed(argv) is None  # nothing recorded yet
    first = answered(argv)
    assert first == fresh(argv)
    assert replayed(argv) == first
    assert replayed([*argv, "clean.py"]) is None  # another command line


def _same_size_edit(root: Path) -> None:
    path = root / "a.py"
    path.write_text(path.read_text().replace("question", "qvestion"))


def _new_file(root: Path) -> None:
    (root / "sub" / "new.py").write_text(BROKEN)


def _removed(root: Path) -> None:
    (root / "b.py").unlink(missing_ok=True)


def _renamed(root: Path) -> None:
    if (root / "sub" / "other.py").exists():
        (root / "sub" / "other.py").rename(root / "sub" / "renamed.py")


def _config_changed(root: Path) -> None:
    (root / "pyproject.toml").write_text('[tool.phx-tasklint]\nignore = ["PHX002"]\n')


def _gitignore_changed(root: Path) -> None:
    (root / ".gitignore").write_text("a.py\n")


def _new_gitignore(root: Path) -> None:
    (root / "sub" / ".gitignore").write_text("other.py\n")


def _link_mended(root: Path) -> None:
    (root / "elsewhere" / "target.py").write_text(BROKEN)


def _markdown_edited(root: Path) -> None:
    (root / "notes.md").write_text("nothing here\n")


MUTATIONS: list[Callable[[Path], None]] = [
    _same_size_edit,
    _new_file,
    _removed,
    _renamed,
    _config_changed,
    _gitignore_changed,
    _new_gitignore,
    _link_mended,
    _markdown_edited,
]


def _never_replayed_after(argv: list[str], change: Callable[[], object]) -> Answer:
    """Record `argv`, make `change`, and check the record is not replayed; the fresh output."""
    before = answered(argv)
    assert replayed(argv) == before
    change()
    after = fresh(argv)
    assert after != before, "the change must matter for this test to mean anything"
    assert replayed(argv) is None
    return after


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__.strip("_") for m in MUTATIONS])
def test_a_change_the_output_depends_on_is_never_replayed(
    project: Path, mutate: Callable[[Path], None]
) -> None:
    argv = ["check", "--format", "json", "--exit-zero"]
    after = _never_replayed_after(argv, lambda: mutate(project))
    assert answered(argv) == after  # and the next run records the new output
    assert replayed(argv) == after


def test_a_configuration_found_below_the_old_one_is_never_replayed(project: Path) -> None:
    os.chdir(project / "sub")
    config = project / "sub" / "pyproject.toml"
    _never_replayed_after(
        ["check", "."], lambda: config.write_text('[tool.phx-tasklint]\nignore = ["PHX"]\n')
    )


def test_a_package_that_appears_around_named_files_is_never_replayed(project: Path) -> None:
    """Module names depend on `__init__.py` files, which no walk lists when the files are
    named on the command line."""
    (project / "pkg").mkdir()
    (project / "pkg" / "tasks.py").write_text("def summarize(input, style):\n    return style\n")
    (project / "pkg" / "run.py").write_text(
        HEADER + "from pkg.tasks import summarize\n\nrun_experiment(dataset=None, task=summarize)\n"
    )
    init = project / "pkg" / "__init__.py"
    _never_replayed_after(["check", "pkg/run.py", "pkg/tasks.py"], lambda: init.write_text(""))


def test_a_package_that_appears_two_levels_up_is_never_replayed(project: Path) -> None:
    """`pkg/__init__.py` renames `sub.tasks` to `pkg.sub.tasks`. No walk lists `pkg` when the
    files are named, so the run notes each directory's `__init__.py` up to the first directory
    without one, not only the nearest."""
    (project / "pkg" / "sub").mkdir(parents=True)
    (project / "pkg" / "sub" / "__init__.py").write_text("")
    (project / "pkg" / "sub" / "tasks.py").write_text(
        "def summarize(input, style):\n    return style\n"
    )
    (project / "pkg" / "sub" / "run.py").write_text(
        HEADER
        + "from pkg.sub.tasks import summarize\n\nrun_experiment(dataset=None, task=summarize)\n"
    )
    init = project / "pkg" / "__init__.py"
    _never_replayed_after(
        ["check", "pkg/sub/run.py", "pkg/sub/tasks.py"], lambda: init.write_text("")
    )


@pytest.mark.parametrize("package", ["tasks", "evals"])
def test_a_package_that_appears_around_any_named_file_is_never_replayed(
    project: Path, package: str
) -> None:
    """Named files in three directories: each directory's `__init__.py` is noted, whichever
    one appears (each makes a name the run imports resolve)."""
    for name in ("tasks", "evals"):
        (project / name).mkdir()
    (project / "tasks" / "mod.py").write_text("def summarize(input, style):\n    return style\n")
    (project / "evals" / "mod.py").write_text("def judge(output, stuff):\n    return 1.0\n")
    (project / "run.py").write_text(
        HEADER
        + "from tasks.mod import summarize\nfrom evals.mod import judge\n\n"
        + "run_experiment(dataset=None, task=summarize, evaluators=[judge])\n"
    )
    init = project / package / "__init__.py"
    _never_replayed_after(
        ["check", "run.py", "tasks/mod.py", "evals/mod.py"], lambda: init.write_text("")
    )


def test_a_stale_record_below_does_not_hide_a_valid_one_above(project: Path) -> None:
    """`sub` stops being a project of its own: its record is stale, the root's is used."""
    (project / "sub" / "pyproject.toml").write_text('[tool.phx-tasklint]\nignore = ["PHX"]\n')
    os.chdir(project / "sub")
    argv = ["check", "--statistics"]
    answered(argv)
    assert list((project / "sub" / DIRECTORY / "runs").iterdir())
    (project / "sub" / "pyproject.toml").write_text("[tool.black]\n")
    assert replayed(argv) is None
    second = answered(argv)
    assert list((project / DIRECTORY / "runs").iterdir())
    assert replayed(argv) == second


def test_a_record_above_the_repository_root_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records are looked for where the configuration is: up to the directory with `.git`."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _make(repo)
    monkeypatch.chdir(repo)
    monkeypatch.setattr(replay, "_SETTLE_NS", 0)
    first = answered(["check"])
    (tmp_path / DIRECTORY).mkdir()
    (repo / DIRECTORY / "runs").rename(tmp_path / DIRECTORY / "runs")
    assert replayed(["check"]) is None
    (tmp_path / DIRECTORY / "runs").rename(repo / DIRECTORY / "runs")
    assert replayed(["check"]) == first


def test_the_environment_that_changes_the_output_is_part_of_the_key(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered(["check"])
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert replayed(["check"]) is None
    coloured = answered(["check"])
    assert "\x1b[" in coloured[1]
    assert replayed(["check"]) == coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert replayed(["check"]) is None


def test_git_activity_and_the_caches_own_writes_do_not_stop_a_replay(project: Path) -> None:
    argv = ["check", "--statistics"]
    first = answered(argv)
    (project / ".git" / "index").write_bytes(b"a commit was made")
    answered(["check", "--format", "github"])  # another run writes to the cache directory
    assert replayed(argv) == first


def test_a_tree_changed_moments_ago_is_not_recorded(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system stamps times coarsely (FAT: 2 s): a file changed again within the same
    stamp would look unchanged, so a run over a file that changed just now stores nothing."""
    monkeypatch.setattr(replay, "_SETTLE_NS", 2_000_000_000)
    answered(["check"])
    assert replayed(["check"]) is None
    assert not list((project / DIRECTORY / "runs").glob("*"))


def test_the_packages_own_modules_are_among_what_a_replay_checks(project: Path) -> None:
    import marshal

    answered(["check"])
    (stored,) = (project / DIRECTORY / "runs").iterdir()
    _key, paths, *_ = marshal.loads(_trusted(stored.read_bytes()))
    assert pipeline.__file__ in paths and replay.__file__ in paths


def _trusted(data: bytes) -> bytes:
    """What follows the trust anchor in a record this package wrote."""
    trust = replay.anchor()
    assert trust is not None and data.startswith(trust)
    return data[len(trust) :]


def _anchored(data: bytes) -> bytes:
    trust = replay.anchor()
    assert trust is not None
    return trust + data


@pytest.mark.parametrize(
    "damage",
    [b"", b"\x00garbage", None, b"anchored garbage"],
    ids=["empty", "garbage", "other-format", "anchored-garbage"],
)
def test_a_damaged_record_is_a_miss_never_a_crash(project: Path, damage: bytes | None) -> None:
    import marshal

    answered(["check"])
    (stored,) = (project / DIRECTORY / "runs").iterdir()
    if damage is None:
        data = _anchored(marshal.dumps(("not", "a", "record")))
    else:
        data = _anchored(b"\x00garbage") if damage == b"anchored garbage" else damage
    stored.write_bytes(data)
    assert replayed(["check"]) is None
    answered(["check"])
    assert replayed(["check"]) is not None


def _record_path() -> Path:
    key = replay._key(["check"])
    assert key is not None
    return Path(DIRECTORY) / "runs" / replay._name(key)


@pytest.mark.parametrize(
    "body",
    [
        lambda key: (key, "paths", [], [], 0),
        lambda key: (key, [], [], [(1, 2)], 0),
        lambda key: (key, [], [], [(True, "x", "y")], 0),
        lambda key: (key, [], [], [], "0"),
        lambda key: (key, ["a.py"], [], [], 0),
        lambda key: (key, [1], [None], [], 0),
    ],
    ids=["paths", "chunk-types", "chunk-size", "code", "lengths", "path-type"],
)
def test_a_record_of_the_right_key_and_a_wrong_shape_is_a_miss(
    project: Path, body: Callable[[object], Any]
) -> None:
    import marshal

    path = _record_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(_anchored(marshal.dumps(body(replay._key(["check"])))))
    assert replayed(["check"]) is None


@pytest.mark.parametrize("state", [None, True], ids=["absent", "exists"])
def test_a_record_committed_to_the_repository_is_not_replayed(
    project: Path, state: bool | None
) -> None:
    """A record that anyone could write (its key is predictable on a CI runner: paths,
    interpreter, user) must not make `check` print a clean bill and exit 0: a record is trusted
    only when it starts with the state of this package's own `replay.py`, which no one can
    know before it is installed (its modification time to the nanosecond, and its inode)."""
    import marshal

    path = _record_path()
    path.parent.mkdir(parents=True)
    forged = [(False, "All checks passed!\n")]
    noted = str(project / "nothing-here") if state is None else str(project / "a.py")
    body = marshal.dumps((replay._key(["check"]), [noted], [state], forged, 0))
    st = os.stat(replay.__file__)
    guessed = b"phx-tasklint %d %d 0\n" % (st.st_mtime_ns // 10**9 * 10**9, st.st_size)
    for data in (body, guessed + body):
        path.write_bytes(data)
        assert replayed(["check"]) is None


# Bytes on which CPython 3.11's marshal.loads crashes the interpreter (a mutated code object).
_MARSHAL_CRASH = bytes.fromhex(
    "e30000000000000000000000000200000000000000f30e00000097006403640184015a0064025300a904e9"
    "01000000630200000000000000000000000600000003006400f32e00000097007c007c0164016402690174"
    "010000000000000000000064036801a6010000ab0100000000000000006704530029044e7202000000e902"
    "000000e9030000002901da0966726f7a656e7365742902da0161da016273020000002020da0178da016672"
    "0a00000001000000731d0000008000d80a0b8841887190118865954998719863914e944ed00923d00223f3"
    "000000004e290172020000002901720a000000a900720b0000007209000000fa083c6d6f64756c653e590d"
    "000000010000007323000000f003010101f002010124f000010124f000010124f000010124f000010124f0"
    "00010124720b000000"
)


def test_a_crafted_record_is_never_decoded(project: Path) -> None:
    """marshal is not safe on crafted bytes: a committed record is rejected by its first line,
    before anything is decoded (these bytes, decoded, kill the interpreter)."""
    path = _record_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(_MARSHAL_CRASH)
    code = (
        "import sys\nfrom phx_tasklint.cli import replay\n"
        "sys.argv = ['phx-tasklint', 'check']\nreplay.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True)
    assert done.returncode == 1, done
    assert b"PHX002" in done.stdout


def test_a_fifo_in_place_of_a_record_is_a_miss_not_a_hang(project: Path) -> None:
    path = _record_path()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert replayed(["check"]) is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_record_of_another_users_is_not_used(project: Path) -> None:
    """Outside any repository records are looked for up to `/`: in a shared directory above,
    another user could put one."""
    first = answered(["check"])
    (record,) = (project / DIRECTORY / "runs").iterdir()
    os.chown(record, 65534, 65534)
    assert replayed(["check"]) is None
    os.chown(record, 0, 0)
    assert replayed(["check"]) == first


def test_a_replayed_record_is_kept_before_unused_ones(project: Path) -> None:
    first = answered(["check"])
    (record,) = (project / DIRECTORY / "runs").iterdir()
    os.utime(record, ns=(10**9, 10**9))
    assert replayed(["check"]) == first
    assert record.stat().st_mtime_ns > 10**9


def test_a_record_just_written_survives_the_prune(project: Path) -> None:
    """Records with times in the future (a checkout with its commit times restored, say) are
    pruned before the one this run wrote."""
    runs = project / DIRECTORY / "runs"
    runs.mkdir(parents=True)
    for n in range(replay._KEEP):
        (runs / f"{n:016x}").write_bytes(b"old")
        os.utime(runs / f"{n:016x}", ns=(4 * 10**18, 4 * 10**18))
    first = answered(["check"])
    assert replayed(["check"]) == first
    assert len(list(runs.iterdir())) == replay._KEEP


def test_the_capabilities_of_the_process_are_part_of_the_key(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root without CAP_DAC_OVERRIDE is refused what root with it reads."""
    first = answered(["check"])
    with monkeypatch.context() as patched:
        patched.setattr(replay, "_capabilities", lambda: "0000000000000000")
        assert replayed(["check"]) is None
    assert replayed(["check"]) == first
    if sys.platform == "linux":
        assert len(replay._capabilities()) == 16


def test_no_stdout_no_replay(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answered(["check"])
    monkeypatch.setattr(sys, "stdout", None)
    assert replay.replay(["check"]) is None
    # and the answer that follows prints nothing, as click does, rather than fail
    assert output.answer(["check"]) == 1


def test_old_records_are_pruned(project: Path) -> None:
    for n in range(replay._KEEP + 4):
        answered(["check", *["a.py"] * (n + 1)])  # a file named twice is checked once
    runs = project / DIRECTORY / "runs"
    assert len(list(runs.iterdir())) == replay._KEEP
    (runs / "notes.txt").write_text("not ours")
    answered(["check", "--statistics"])
    assert (runs / "notes.txt").exists(), "the prune deletes only records"


_STEPS = st.lists(
    st.sampled_from(
        [
            *MUTATIONS,
            lambda root: None,  # nothing changed: a replay, which must be right
            lambda root: (root / ".git" / "index").write_text("a commit"),  # nothing either
            lambda root: (root / "clean.py").touch(),  # no change to the output
            lambda root: (root / "sub" / "new.py").write_text(CLEAN),
            lambda root: (root / "a.py").write_text(BROKEN),  # back as it was
            lambda root: (root / ".gitignore").write_text("# nothing yet\n"),
        ]
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=15, deadline=None)
@given(steps=_STEPS, argv=st.sampled_from(ARGVS))
def test_a_replay_never_disagrees_with_a_fresh_run(
    steps: list[Callable[[Path], None]], argv: list[str]
) -> None:
    saved_cwd, saved_settle = os.getcwd(), replay._SETTLE_NS
    replay._SETTLE_NS = 0
    try:
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            _make(root)
            os.chdir(root)
            answered(argv)
            for step in steps:
                time.sleep(0.005)  # past the file system's clock tick, as an editor would be
                step(root)
                got = replayed(argv)
                if got is not None:
                    assert got == fresh(argv), step
                answered(argv)
    finally:
        os.chdir(saved_cwd)
        replay._SETTLE_NS = saved_settle


def test_the_console_script_replays_without_importing_the_rest(project: Path) -> None:
    """End to end, with the real settling time: the first run stores nothing (the tree is
    new), the one after the tree settled records, the next replays."""
    code = (
        "import sys\nbefore = set(sys.modules)\nfrom phx_tasklint.cli import replay\n"
        "sys.argv[0] = 'phx-tasklint'\ntry:\n    replay.entry()\nfinally:\n"
        "    new = set(sys.modules) - before\n"
        "    print('LOADED', sorted(m for m in new if m.startswith('phx_tasklint')),"
        " sorted(new & {'typing', 'dataclasses', 'pathlib', 'json'}), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}

    def run() -> tuple[int, str, str]:
        out = subprocess.run(
            [sys.executable, "-c", code, "check", "--format", "json"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return out.returncode, out.stdout, out.stderr

    first = run()
    assert not (project / DIRECTORY / "runs").exists()
    time.sleep(2.2)
    second = run()
    third = run()
    expected = fresh(["check", "--format", "json"])
    for status, stdout, stderr in (first, second, third):
        assert (status, stdout) == expected[:2]
        assert stderr.rpartition("LOADED")[0] == expected[2]
    assert third[2].endswith("LOADED ['phx_tasklint', 'phx_tasklint.cli', 'phx_tasklint.cli.replay'] []\n"), third[2]
    assert "phx_tasklint.cli.output" in second[2]
