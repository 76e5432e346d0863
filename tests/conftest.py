"""Fixtures shared by the test modules, the `slow` marker's companion and Hypothesis profiles.

`python -m pytest -m "not slow"` leaves out the oracle, differential, fuzz, load and pre-commit
tests; `HYPOTHESIS_PROFILE=fast` runs the remaining property tests with fewer examples. Neither
changes what a plain `python -m pytest` runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# `default` is Hypothesis's own profile, untouched; `fast` is for a run while editing.
settings.register_profile("fast", max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project as the current directory: its `.git` stops the pyproject.toml search
    there, and the calling shell's colour variables are unset."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def importable_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`project`, for tests that import the modules they write there: `sys.path` is restored
    and the modules imported from the project are forgotten afterwards."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield project
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(project)):
            del sys.modules[name]
