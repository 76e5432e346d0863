"""The console script (`phx-tasklint`, `python -m phx_tasklint`): a run answered from the
per-file cache prints exactly what a run without it prints, whatever the hash seed, and
reads no source; a reader that goes away, a stream that cannot encode, and Ctrl-C end the run
as click ends it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from phx_tasklint.cli import commands, pipeline

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

# The console script (the working directory is not on its sys.path), then (the last line of
# stderr) whether the readers were imported.
_CONSOLE = (
    "import sys\nsys.path.remove('')\nfrom phx_tasklint.cli import commands\n"
    "sys.argv[0] = 'phx-tasklint'\n"
    "try:\n    commands.entry()\nfinally:\n"
    "    print('READ', 'phx_tasklint.lint.sources' in sys.modules,\n"
    "          'LIBCST', 'libcst' in sys.modules, file=sys.stderr)\n"
)


@pytest.fixture(autouse=True)
def files(project: Path) -> None:
    """Findings of several rules, a per-file ignore, a clean file and a Markdown fence."""
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
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")


def _console(
    cwd: Path, args: list[str], env: dict[str, str] | None = None
) -> tuple[str, str, str, str]:
    """(exit status, stdout, stderr, whether a source was read) of one console-script run."""
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out = subprocess.run(
        [sys.executable, "-c", _CONSOLE, *args],
        cwd=cwd,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    rest, _, read = out.stderr.rstrip("\n").rpartition("\n")
    return str(out.returncode), out.stdout, rest + "\n" if rest else "", read


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
def test_an_answer_from_the_cache_is_the_uncached_output(project: Path, argv: list[str]) -> None:
    """Byte for byte, under several hash seeds: findings are ordered by a total key."""
    uncached = _console(project, [*argv, "--no-cache"], {"PYTHONHASHSEED": "1"})
    cold = _console(project, argv, {"PYTHONHASHSEED": "2"})
    warm = _console(project, argv, {"PYTHONHASHSEED": "3"})
    assert uncached[:3] == cold[:3] == warm[:3]
    # libcst only for a fix; no reader, no engine for a run answered from the cache
    assert uncached[3] == cold[3] == "READ True LIBCST False"
    assert warm[3] == "READ False LIBCST False"


def test_python_m_runs_the_console_script(project: Path) -> None:
    """And, like it, imports nothing from the checked tree (`-m` puts it on sys.path)."""
    for name in ("random.py", "tempfile.py"):  # the worker pool's machinery imports them
        (project / name).write_text("raise SystemExit('shadowed')\n")
    script = _console(project, ["check", "--no-cache"])
    module = subprocess.run(
        [sys.executable, "-m", "phx_tasklint", "check", "--no-cache"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (str(module.returncode), module.stdout, module.stderr) == script[:3]
    assert script[0] == "1" and "PHX002" in script[1]


def test_an_ascii_only_stdout_gets_utf8_not_a_traceback(project: Path) -> None:
    """As click's echo does: the bytes are UTF-8 whatever the stream claims."""
    (project / "ünï.py").write_text(BROKEN, encoding="utf-8")
    env = {"PYTHONIOENCODING": "ascii"}
    cold = _console(project, ["check", "ünï.py"], env)  # analysed
    warm = _console(project, ["check", "ünï.py"], env)  # answered from the cache
    for status, stdout, stderr, _ in (cold, warm):
        assert status == "1" and "Traceback" not in stderr, stderr
        assert stdout.startswith("ünï.py:4:16: PHX002"), stdout
    assert cold[:3] == warm[:3]


def test_a_closed_pipe_ends_the_run_quietly(project: Path) -> None:
    """click's rule, cached or not: exit 1, no traceback, when the reader is gone."""
    _console(project, ["check"])  # a warm cache
    for args in (["check", "--format", "sarif"], ["check", "--format", "sarif", "--no-cache"]):
        read, write_end = os.pipe()
        os.close(read)
        try:
            out = subprocess.run(
                [sys.executable, "-c", _CONSOLE, *args],
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

    monkeypatch.setattr(pipeline, "run", interrupted)
    monkeypatch.setattr(sys, "argv", ["phx-tasklint", "check"])
    with pytest.raises(SystemExit) as exit_:
        commands.entry()
    assert exit_.value.code == 1
    assert capsys.readouterr().err == "\nAborted!\n"
