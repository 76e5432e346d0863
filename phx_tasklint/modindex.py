"""Dotted module names of the checked files, so the linter can follow imports between them."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=16384)
def _absolute(directory: str, cwd: str) -> str:
    return os.path.normpath(os.path.join(cwd, directory))


@lru_cache(maxsize=16384)
def _package_of(absolute: str) -> tuple[str, ...]:
    """The dotted package a directory is, () when it has no __init__.py (computed once a dir)."""
    if not os.path.isfile(os.path.join(absolute, "__init__.py")):
        return ()
    parent = os.path.dirname(absolute)
    if parent == absolute:
        return (os.path.basename(absolute),)
    return (*_package_of(parent), os.path.basename(absolute))


def module_name(path: str | Path) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod` while the directories are packages (have __init__.py)."""
    directory, name = os.path.split(os.fspath(path))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    package = _package_of(_absolute(directory, os.getcwd()))
    parts = package if stem == "__init__" else (*package, stem)
    return ".".join(parts) or stem


class ModuleIndex:
    """Dotted module name -> (display path, path) of the checked Python files, computed on
    first use: a run whose files are all cached never needs it."""

    def __init__(self, files: list[tuple[str, str]]) -> None:
        self._files = files
        self._names: dict[str, tuple[str, str]] | None = None

    def _map(self) -> dict[str, tuple[str, str]]:
        if self._names is None:
            self._names = {module_name(path): (display, path) for display, path in self._files}
        return self._names

    def get(self, name: str) -> tuple[str, str] | None:
        return self._map().get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._map()

    def real_paths(self) -> dict[str, str]:
        return {display: path for display, path in self._files}
