"""The console script's answer from the cache (`console`): a repeated `check` of an unchanged tree
prints exactly what the full command line prints, without importing click or the linter, and
anything it does not understand or cannot answer goes to the full command line."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from phx_tasklint.cli import commands, output, pipeline, replay

HEADER = "from phoenix.client.experiments import run_experiment\n\n\n"
BROKEN = (
    HEADER + "def bad(input, question):\n    return 1\n\n\nrun_experiment(dataset=None, task=bad)\n"
)
WARNS = (
    HEADER + "def ev(output, metdata=None):\n    return 1.0\n\n\n"
    "run_experiment(dataset=None, task=lambda input: 1, evaluators=[ev])\n"
)
CLEAN = HEADER + "def good(input):\n    return input\n\n\nrun_experiment(dataset=None, task=good)\n"
PYPROJECT = '[tool.phx-tasklint]\nper-file-ignores = {"sub/ignored.py" = ["PHX002"]}\n'

# Prints, after the run, whether click was imported (the last line of stderr).
_CONSOLE = (
    "import sys\nfrom phx_tasklint.cli import output\nsys.argv[0] = 'phx-tasklint'\n"
    "try:\n    output.entry()\nfinally:\n    print('CLICK', 'click' in sys.modules,"
    " 'phx_tasklint.lint.sources' in sys.modules, file=sys.stderr)\n"
)
_CLICK = (
    "import sys\nfrom phx_tasklint.cli.commands import main\nsys.argv[0] = 'phx-tasklint'\nmain()\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    files = {
        "pyproject.toml": PYPROJECT,
        "a.py": BROKEN,
        "b.py": WARNS,
        "clean.py": CLEAN,
        "sub/ignored.py": BROKEN,
        "sub/other.py": BROKEN + "\n\n# more\n",
        "notes.md": "```python\n" + BROKEN + "```\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(
    code: str, cwd: Path, args: list[str], env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.returncode, out.stdout, out.stderr


def _console(cwd: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[str, ...]:
    """(exit status, stdout, stderr, the import line) of one console-script run."""
    status, stdout, stderr = _run(_CONSOLE, cwd, args, env)
    rest, _, imports = stderr.rstrip("\n").rpartition("\n")
    return str(status), stdout, rest + "\n" if rest else "", imports


ARGVS = [
    ["check"],
    ["check", "."],
    ["check", "-q"],
    ["check", "--exit-zero", "--format", "json"],
    ["check", "--format=sarif"],
    ["check", "--format", "github", "--quiet"],
    ["check", "--statistics"],
    ["check", "--select", "PHX002", "--no-color"],
    ["check", "--ignore=PHX002", "--exit-zero"],
    ["check", "--extend-select", "PHX", "sub"],
    ["check", "--phoenix-version", "2.3", "b.py"],
    ["check", "clean.py"],
    ["check", "a.py", "sub", "notes.md"],
]


@pytest.mark.parametrize("argv", ARGVS, ids=[" ".join(a[1:]) or "plain" for a in ARGVS])
def test_an_answer_from_the_cache_is_the_full_runs_output(project: Path, argv: list[str]) -> None:
    fresh = _run(_CLICK, project, [*argv, "--no-cache"])
    _run(_CLICK, project, argv)  # fills the cache
    status, stdout, stderr, imports = _console(project, argv)
    assert (int(status), stdout, stderr) == fresh
    assert imports == "CLICK False False", "the cache did not answer"


def test_colour_is_decided_the_same_way(project: Path) -> None:
    fresh = _run(_CLICK, project, ["check", "--no-cache"], {"FORCE_COLOR": "1"})
    assert "\x1b[" in fresh[1]
    _run(_CLICK, project, ["check"])
    status, stdout, stderr, imports = _console(project, ["check"], {"FORCE_COLOR": "1"})
    assert (int(status), stdout, stderr) == fresh and imports == "CLICK False False"


def test_a_changed_file_is_analysed_without_click(project: Path) -> None:
    _console(project, ["check"])
    before = (project / ".phx-tasklint-cache").stat().st_mtime_ns
    (project / "clean.py").write_text(BROKEN, encoding="utf-8")
    status, stdout, _, imports = _console(project, ["check", "--format", "json"])
    assert imports == "CLICK False True"  # the linter ran, and click was not needed
    assert status == "1" and '"path": "clean.py"' in stdout
    fresh = _run(_CLICK, project, ["check", "--format", "json", "--no-cache"])
    assert stdout == fresh[1]
    assert (project / ".phx-tasklint-cache").stat().st_mtime_ns >= before


@pytest.mark.parametrize(
    "argv", [["check", "--no-cache"], ["check", "sub", "--format", "json", "--no-cache", "-q"]]
)
def test_a_run_without_cache_needs_no_click_and_writes_nothing(
    project: Path, argv: list[str]
) -> None:
    fresh = _run(_CLICK, project, argv)
    assert not (project / ".phx-tasklint-cache").exists()
    status, stdout, stderr, imports = _console(project, argv)
    assert (int(status), stdout, stderr) == fresh
    assert imports == "CLICK False True"  # the linter ran, and click was not needed
    assert not (project / ".phx-tasklint-cache").exists()  # no cache file, no replay record


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "missing.py"],  # a usage error: click's message and exit status 2
        ["check", "--format", "xml"],
        ["check", "--select", "NOPE"],
        ["--version"],
        ["rules"],
    ],
)
def test_what_the_cache_cannot_answer_is_the_full_command_lines(
    project: Path, argv: list[str]
) -> None:
    _console(project, ["check"])  # a warm cache
    status, stdout, stderr, imports = _console(project, argv)
    assert (int(status), stdout, stderr) == _run(_CLICK, project, argv)
    assert imports.startswith("CLICK True")


def test_from_cache_reads_nothing_and_writes_nothing_on_a_miss(project: Path) -> None:
    options = pipeline.Options()
    assert pipeline.from_cache(options) is None  # no cache yet
    assert not (project / ".phx-tasklint-cache").exists()
    pipeline.run(options)
    assert pipeline.from_cache(options) is not None
    cache_file = next((project / ".phx-tasklint-cache").glob("*.json"))
    stamp = cache_file.stat().st_mtime_ns
    (project / "new.py").write_text(BROKEN, encoding="utf-8")
    assert pipeline.from_cache(options) is None
    assert cache_file.stat().st_mtime_ns == stamp
    for refused in (
        pipeline.Options(use_cache=False),
        pipeline.Options(fix=True),
        pipeline.Options(diff=True),
        pipeline.Options(paths=("-",)),
    ):
        assert pipeline.from_cache(refused) is None


# --------------------------------------------------------------------------------------------
# the quick parser agrees with click wherever it answers

_TOKENS = [
    "-q",
    "--quiet",
    "--exit-zero",
    "--no-color",
    "--statistics",
    "--format",
    "--select",
    "--ignore",
    "--extend-select",
    "--phoenix-version",
    "--format=json",
    "--format=JSON",
    "--select=PHX002",
    "--select=",
    "--phoenix-version=2.3",
    "--phoenix-version=9",
    "json",
    "sarif",
    "text",
    "github",
    "latest",
    "legacy",
    "PHX",
    "PHX001,PHX002",
    "a.py",
    "dir",
    "x=y.py",
    "-",
    "--",
    "",
    "-qq",
    "--fix",
    "--diff",
    "--no-cache",
    "--unsafe-fixes",
    "--config",
    "--stdin-filename",
    "-h",
    "--help",
]


def _click_parse(argv: list[str]) -> tuple[pipeline.Options, output.Display] | None:
    seen: list[object] = []

    def run(options: pipeline.Options) -> pipeline.Outcome:
        seen.append(dataclasses.replace(options, start_method=None))
        return pipeline.Outcome()

    def emit(outcome: pipeline.Outcome, display: output.Display) -> int:
        seen.append(display)
        return 0

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "run", run)
        patch.setattr(output, "emit", emit)
        result = CliRunner().invoke(commands.main, argv)
    if result.exit_code != 0 or len(seen) != 2:
        return None
    return seen[0], seen[1]  # type: ignore[return-value]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.just("check"), st.sampled_from(["rules", "--version", "chek", "-q"])),
    st.lists(st.sampled_from(_TOKENS), max_size=6),
)
def test_the_quick_parser_reads_a_command_line_as_click_does(
    command: str, tokens: list[str]
) -> None:
    argv = [command, *tokens]
    quick = output.quick_check(argv)
    if quick is None:
        return  # click's to handle, whatever it makes of it
    assert _click_parse(argv) == quick, argv


@pytest.mark.parametrize(
    "argv",
    [*ARGVS, ["check", "--no-cache"], ["check", "-q", "--no-cache", "sub"]],
    ids=[" ".join(a[1:]) or "plain" for a in ARGVS] + ["no-cache", "no-cache sub"],
)
def test_the_quick_parser_takes_the_plain_forms(argv: list[str]) -> None:
    quick = output.quick_check(argv)
    assert quick is not None
    assert _click_parse(argv) == quick


def test_an_ascii_only_stdout_gets_utf8_not_a_traceback(project: Path) -> None:
    """As click's echo does: the bytes are UTF-8 whatever the stream claims."""
    (project / "ünï.py").write_text(BROKEN, encoding="utf-8")
    env = {"PYTHONIOENCODING": "ascii"}
    cold = _console(project, ["check", "ünï.py"], env)  # analysed
    warm = _console(project, ["check", "ünï.py"], env)  # answered from the cache
    assert cold[3] == "CLICK False True" and warm[3] == "CLICK False False"
    for status, stdout, stderr, _ in (cold, warm):
        assert status == "1" and "Traceback" not in stderr, stderr
        assert stdout.startswith("ünï.py:4:16: PHX002"), stdout
    assert cold[:3] == warm[:3]


def test_a_closed_pipe_ends_the_run_quietly(project: Path) -> None:
    """click's rule on both paths: exit 1, no traceback, when the reader is gone."""
    _console(project, ["check"])  # a warm cache
    for code in (_CONSOLE, _CLICK):
        for args in (["check", "--format", "sarif"], ["check", "--format", "sarif", "--no-cache"]):
            read, write_end = os.pipe()
            os.close(read)
            try:
                out = subprocess.run(
                    [sys.executable, "-c", code, *args],
                    cwd=project,
                    stdout=write_end,
                    stderr=subprocess.PIPE,
                    text=True,
                    timeout=120,
                )
            finally:
                os.close(write_end)
            assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr


def test_ctrl_c_is_aborted_as_click_does(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(options: pipeline.Options) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "answer", interrupted)
    monkeypatch.setattr(sys, "argv", ["phx-tasklint", "check"])
    monkeypatch.setattr(replay, "STANDALONE", False)
    with pytest.raises(SystemExit) as exit_:
        output.entry()
    assert exit_.value.code == 1
    assert capsys.readouterr().err == "\nAborted!\n"
