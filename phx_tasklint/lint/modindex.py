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


def forget_packages() -> None:
    """Start a run afresh: which directories are packages is remembered only within a run (an
    `__init__.py` may appear or go between two runs of one process)."""
    _package_of.cache_clear()


def _split(path: str) -> tuple[str, str]:
    """`os.path.split(path)`, the directory keeping its trailing separator: a single `rfind`
    on a system with one path separator (`os.path.split` costs several calls a path, and a
    tree has tens of thousands of paths)."""
    if os.altsep:
        return os.path.split(path)
    cut = path.rfind(os.sep) + 1
    return path[:cut], path[cut:]


def module_name(path: str | Path) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod` while the directories are packages (have __init__.py)."""
    directory, name = os.path.split(os.fspath(path))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    package = _package_of(_absolute(directory, os.getcwd()))
    parts = package if stem == "__init__" else (*package, stem)
    return ".".join(parts) or stem


def _keys(path: str) -> tuple[str, ...]:
    """Names the last part of `module_name(path)` can have, worked out from the path alone."""
    directory, name = _split(path)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if stem != "__init__":
        return (stem.rpartition(".")[2],)
    # the package directory's own name, from the path where it is written there (an abspath
    # per `__init__.py` is a system call per package of a large tree)
    package = _split(directory.rstrip(os.sep))[1] if directory and not os.altsep else ""
    if package in ("", ".", ".."):
        package = os.path.basename(os.path.abspath(directory))
    return (package.rpartition(".")[2], stem)


class ModuleIndex:
    """Dotted module name -> (display path, path) of the checked Python files. Names are worked
    out only for files whose name fits the module asked for: a run whose files are all cached
    asks for few or none, and a big tree has tens of thousands of files."""

    def __init__(self, files: list[tuple[str, str]]) -> None:
        self._files = files
        self._by_key: dict[str, list[tuple[str, str]]] | None = None
        self._names: dict[str, tuple[str, str] | None] = {}
        self._real: dict[str, str] | None = None
        self._paths: frozenset[str] | None = None

    def get(self, name: str) -> tuple[str, str] | None:
        if name not in self._names:
            if self._by_key is None:
                self._by_key = {}
                for display, path in self._files:
                    for key in _keys(path):
                        self._by_key.setdefault(key, []).append((display, path))
            found = None
            for display, path in self._by_key.get(name.rpartition(".")[2], ()):
                if module_name(path) == name:
                    found = (display, path)  # the last one wins, as in a dict of all names
            self._names[name] = found
        return self._names[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def paths(self) -> frozenset[str]:
        """The paths of the checked Python files."""
        if self._paths is None:
            self._paths = frozenset(path for _display, path in self._files)
        return self._paths

    def real_paths(self) -> dict[str, str]:
        if self._real is None:
            self._real = {display: path for display, path in self._files}
        return self._real
