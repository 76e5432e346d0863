"""The hooks in .pre-commit-hooks.yaml, run for real with `pre-commit try-repo`.

pre-commit installs a hook repository from git at a commit, so the working tree (tracked and
untracked files, minus what .gitignore ignores) is copied and committed into a temporary
repository first: the uncommitted work is what gets tested. Installing the hook needs PyPI (pip
fetches click and libcst into pre-commit's virtualenv); the tests skip, saying why, when
pre-commit is missing or that install fails for network reasons, and fail for anything else.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 240  # seconds for one pre-commit call; the first one builds the hook's virtualenv

BAD_TASK = """\
from phoenix.client.experiments import run_experiment


def task(input, question):
    return question


run_experiment(dataset=None, task=task)
"""
CLEAN_TASK = """\
from phoenix.client.experiments import run_experiment


def task(input, expected=None):
    return {"answer": input["question"]}


run_experiment(dataset=None, task=task)
"""
FIXABLE_EVALUATOR = """\
from phoenix.client.experiments import run_experiment


def task(input):
    return input


def check(output, metdata=None):
    return output is not None


run_experiment(dataset=None, task=task, evaluators=[check])
"""

# What pip and pre-commit print when PyPI cannot be reached (not a bug of ours).
NETWORK_TROUBLE = (
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "nodename nor servname",
    "Network is unreachable",
    "Connection refused",
    "Connection reset",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "Read timed out",
    "ProxyError",
    "SSLError",
    "Could not fetch URL",
    "No matching distribution found",
    "Could not find a version that satisfies the requirement",
)


def _pre_commit() -> list[str] | None:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit")
    return [found] if found else None


PRE_COMMIT = _pre_commit()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PRE_COMMIT is None, reason="pre-commit is not installed (pip install pre-commit)"
    ),
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]


def _env(home: Path) -> dict[str, str]:
    # No GIT_* variables of an enclosing git hook, no SKIP, a private pre-commit cache.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "PRE_COMMIT")) and key != "SKIP"
    }
    env.update(
        PRE_COMMIT_HOME=str(home),
        PRE_COMMIT_COLOR="never",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        GIT_AUTHOR_NAME="phx-tasklint tests",
        GIT_AUTHOR_EMAIL="tests@phx-tasklint.invalid",
        GIT_COMMITTER_NAME="phx-tasklint tests",
        GIT_COMMITTER_EMAIL="tests@phx-tasklint.invalid",
    )
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _working_tree_files(env: dict[str, str]) -> list[str]:
    listed = _git(ROOT, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    env = _env(home)
    try:
        files = _working_tree_files(env)
    except subprocess.CalledProcessError:
        pytest.skip("the project is not a git checkout, so its working tree cannot be listed")
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in files:
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-q", "-m", "working tree under test")
    return repo


def _project(path: Path, env: dict[str, str], files: dict[str, str]) -> Path:
    path.mkdir()
    _git(path, env, "init", "-q")
    for name, text in files.items():
        (path / name).write_text(text)
    _git(path, env, "add", "-A")
    _git(path, env, "commit", "-q", "-m", "project")
    return path


def _try_repo(hook_repo: Path, home: Path, project: Path, hook: str) -> tuple[int, str]:
    assert PRE_COMMIT is not None
    command = [*PRE_COMMIT, "try-repo", str(hook_repo), hook, "--all-files", "--color", "never"]
    try:
        done = subprocess.run(
            command,
            cwd=project,
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"pre-commit try-repo took over {TIMEOUT}s: installing from PyPI is too slow")
    output = done.stdout + done.stderr
    if "An unexpected error has occurred" in output:
        log_file = home / "pre-commit.log"
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        trouble = next((m for m in NETWORK_TROUBLE if m in log or m in output), None)
        if trouble is not None:
            pytest.skip(f"installing the hook needs PyPI, which failed here ({trouble})")
        pytest.fail(f"pre-commit could not install or run the hook:\n{output}\n{log}")
    return done.returncode, output


def test_hook_fails_on_a_broken_task_and_prints_the_finding(
    hook_repo: Path, home: Path, tmp_path: Path
) -> None:
    project = _project(tmp_path / "project", _env(home), {"bad_task.py": BAD_TASK})
    code, output = _try_repo(hook_repo, home, project, "phx-tasklint")
    assert code == 1, output
    assert "phx-tasklint" in output and "Failed" in output, output
    assert "bad_task.py:4:" in output and "PHX002" in output, output
    assert "[unbindable-parameter]" in output, output


def test_hook_passes_on_a_clean_task(hook_repo: Path, home: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "project", _env(home), {"task.py": CLEAN_TASK})
    code, output = _try_repo(hook_repo, home, project, "phx-tasklint")
    assert code == 0, output
    assert "Passed" in output, output


def test_fix_hook_rewrites_the_file_and_fails_the_commit(
    hook_repo: Path, home: Path, tmp_path: Path
) -> None:
    project = _project(tmp_path / "project", _env(home), {"evals.py": FIXABLE_EVALUATOR})
    code, output = _try_repo(hook_repo, home, project, "phx-tasklint-fix")
    assert code == 1, output
    assert "files were modified by this hook" in output, output
    assert "def check(output, metadata=None):" in (project / "evals.py").read_text()
