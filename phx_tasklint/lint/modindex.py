"""Modules by dotted name, found the way the import system finds them from the project's roots,
and the dotted name of a file under them.

The roots stand in for `sys.path`: the directories named on the command line, the directory of
the configuration file, its `src/` when there is one, and the configured `module-roots`
(`project_roots`). Which order they have on `sys.path` when the code runs is not known, so a
name is resolved the way every order would resolve it (PEP 420):

* a regular package (`a/__init__.py`) or a module (`a.py`) in any root is `a`: the import
  system stops at the first one it meets. A package wins over a module in the same directory,
  as there; a `.py` wins over a `.pyi` beside it (the `.py` is what runs), and a `.pyi` alone
  (`a.pyi`, `a/__init__.pyi`) is read, since it states the signature of what runs there (a
  compiled module), though the import system itself never reads one;
* only where no root has one do the directories named `a` form a namespace package, whose
  portions are searched for the next part in the same way. A regular package's submodules are
  searched in its own directory only; a module has none;
* where the orders disagree, two different files could be the module (`a.py` in one root and
  `a/__init__.py` in another, or a submodule that one order finds and another does not): the
  name is *ambiguous*, and nothing is guessed.

What a name resolves to is remembered for one run (`ModuleIndex` is built afresh by each pass),
never across runs: a file or an `__init__.py` may appear or go between two runs of one process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

_SUFFIXES = (".py", ".pyi")  # what the import system runs, and the stub beside it
_INITS = tuple(f"__init__{suffix}" for suffix in _SUFFIXES)


class Resolved(NamedTuple):
    """What a dotted name resolves to: the one file it is in every order of the roots, or
    none in any (no such module, or a namespace package), or `ambiguous`."""

    path: str | None  # absolute and normalised
    ambiguous: bool = False  # the orders of the roots disagree


MISSING = Resolved(None)
AMBIGUOUS = Resolved(None, True)

# (the file, or None; where its submodules are looked for, empty when it is no package)
_Outcome = tuple[str | None, tuple[str, ...]]

# A name looked up from a script -- a file in no regular package, a notebook, a page -- is
# looked for in the script's own directory first, as `python script.py` and a notebook's kernel
# put that directory first on sys.path (`ModuleIndex.script_directory`). Such a lookup is
# spelled `located(directory, name)` wherever it is recorded and resolved: no path and no
# module name holds a NUL.
LOCAL_MARK = "\0"


def located(directory: str | None, name: str) -> str:
    """The key `ModuleIndex.resolve` takes for `name` imported by a script in `directory`
    (None: not a script)."""
    return name if directory is None else f"{directory}{LOCAL_MARK}{name}"


# How a cached result spells a name it found in more than one root among the names it found no
# module for (`Definitions.lookup` writes it, `cache` reads it): no module name holds a `*`.
AMBIGUOUS_MARK = "*"


def project_roots(
    named: Iterable[str], config_root: str | os.PathLike[str], extra: Iterable[str] = ()
) -> tuple[str, ...]:
    """The module roots, in order: the directories among `named` (the command line's paths), the
    configuration's directory, its `src/` when that is a directory, then `extra` (the
    `module-roots` setting, already made absolute). Absolute, normalised, each once.

    A file named contributes nothing: its directory says nothing of how it is imported. A
    directory named that is a regular package contributes the directory above its packages, as
    mypy takes it: its modules are imported by their package's name (`check pkg` means
    `pkg.tasks`, not a top-level `tasks`)."""
    candidates = [_package_base(os.path.abspath(p)) for p in named if os.path.isdir(p)]
    base = os.path.abspath(config_root)
    candidates.append(base)
    src = os.path.join(base, "src")
    if os.path.isdir(src):
        candidates.append(src)
    candidates.extend(extra)
    return tuple(dict.fromkeys(os.path.normpath(os.path.abspath(p)) for p in candidates))


def _package_base(directory: str) -> str:
    """The directory above the regular packages `directory` is in (itself when it is none)."""
    while any(os.path.isfile(os.path.join(directory, init)) for init in _INITS):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


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


def module_name(path: str | Path) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod` while the directories are packages (have __init__.py):
    the name without roots, for sources linted in memory (`lint.lint`)."""
    directory, name = os.path.split(os.fspath(path))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    package = _package_of(_absolute(directory, os.getcwd()))
    parts = package if stem == "__init__" else (*package, stem)
    return ".".join(parts) or stem


def _stem(filename: str) -> str:
    return filename.rsplit(".", 1)[0] if "." in filename else filename


class ModuleIndex:
    """Resolves dotted names from the roots (see the module's docstring), names files, and
    shows a file found there as the walk shows it: its display path when it is one of the
    checked files (`files`, (display, path) pairs), else relative to the working directory when
    under it. Everything is worked out on demand and once: a run answered from the cache asks
    for few names, and a big tree has tens of thousands of files."""

    def __init__(self, roots: Sequence[str] = (), files: Sequence[tuple[str, str]] = ()) -> None:
        self.cwd = os.getcwd()
        self.roots = tuple(dict.fromkeys(_absolute(r, self.cwd) for r in roots))
        self._files = files
        self._listings: dict[str, dict[str, bool]] = {}  # directory -> {entry: is a directory}
        self._resolved: dict[str, Resolved] = {}
        self._outcomes_of: dict[tuple[str | None, str], frozenset[_Outcome]] = {}
        self._names: dict[str, str] = {}
        self._packages: dict[str, tuple[str, ...]] = {}  # directory -> its package's parts
        self._displays: dict[str, str] | None = None  # absolute path -> display
        self._paths: dict[str, str] = {}  # display -> absolute path

    # ------------------------------------------------------------------ resolution

    def resolve(self, key: str) -> Resolved:
        """What `key` (a dotted name, or one `located` in a script's directory) resolves to."""
        found = self._resolved.get(key)
        if found is None:
            first, _, name = key.rpartition(LOCAL_MARK)
            files = {file for file, _path in self._outcomes(name, first or None)}
            paths = {file for file in files if file is not None}
            if len(files) == len(paths) > 1 and len(set(map(os.path.realpath, paths))) == 1:
                files = {min(paths)}  # one file, reached through two roots (a link)
            if len(files) > 1:
                found = AMBIGUOUS
            else:
                (file,) = files
                found = Resolved(file) if file is not None else MISSING
            self._resolved[key] = found
        return found

    def _outcomes(self, name: str, first: str | None = None) -> frozenset[_Outcome]:
        """What importing `name` may give, one outcome per order of the roots that tells
        apart: the file (None: no module, or a namespace package) and where its submodules
        are looked for (its `__path__`: empty when it is no package). `first`: a directory
        that comes before the roots (a script's own). Remembered for the run: siblings share
        their package's."""
        key = (first, name)
        found = self._outcomes_of.get(key)
        if found is None:
            head, _, last = name.rpartition(".")
            out: set[_Outcome] = set()
            if not last.isidentifier():  # not a name that is imported
                out.add((None, ()))
            elif not head:
                out.update(self._find_top(last, first))
            else:
                for _file, path in self._outcomes(head, first):
                    # a module has no submodules
                    out.update(self._find(last, path) if path else [(None, ())])
            found = self._outcomes_of[key] = frozenset(out)
        return found

    def _find_top(self, part: str, first: str | None) -> set[_Outcome]:
        """A top-level name: from the roots in any order, after `first` when there is one."""
        rest = tuple(r for r in self.roots if r != first)
        outcomes = self._find(part, rest)
        if first is None:
            return outcomes
        local = self._find(part, (first,))
        if any(file is not None for file, _path in local):
            return local  # found in the directory that comes first: the import stops there
        ((_none, portion),) = local  # a namespace portion there, or nothing
        # a namespace package gains the portion; a module or regular package elsewhere wins
        return {(f, p) if f is not None else (None, (*portion, *p)) for f, p in outcomes}

    def _find(self, part: str, directories: Sequence[str]) -> set[_Outcome]:
        """`part` in `directories` (roots, or a package's `__path__`): each file that is it
        when its directory comes first, or, when none is, the namespace package that the
        directories named `part` form."""
        found: set[_Outcome] = set()
        portions: list[str] = []
        for directory in directories:
            listing = self._listing(directory)
            if listing.get(part):  # a directory: a regular package, or a namespace portion
                sub = os.path.join(directory, part)
                init = self._init_of(sub)
                if init is not None:
                    found.add((init, (sub,)))
                    continue
            module = next((part + s for s in _SUFFIXES if listing.get(part + s) is False), None)
            if module is not None:
                found.add((os.path.join(directory, module), ()))
            elif listing.get(part):
                portions.append(os.path.join(directory, part))
        return found or {(None, tuple(portions))}

    def _listing(self, directory: str) -> dict[str, bool]:
        """A directory's entries, read once a run: one system call answers every name asked
        of it (a warm run asks each root for every name its cached results missed)."""
        found = self._listings.get(directory)
        if found is None:
            found = {}
            try:
                with os.scandir(directory) as entries:
                    for entry in entries:
                        try:
                            found[entry.name] = entry.is_dir()
                        except OSError:
                            continue
            except OSError:
                pass
            self._listings[directory] = found
        return found

    def _init_of(self, directory: str) -> str | None:
        """The `__init__` file that makes `directory` a regular package, if any."""
        listing = self._listing(directory)
        init = next((i for i in _INITS if listing.get(i) is False), None)
        return os.path.join(directory, init) if init else None

    def script_directory(self, path: str, kind: str) -> str | None:
        """The directory a file's imports are looked for in first, when it runs as a script
        (a notebook, a page, a Python file in no regular package), else None."""
        directory = os.path.dirname(self.path_of(path))
        if kind == "python" and self._init_of(directory) is not None:
            return None  # a package's module: imported by its name, its directory not on sys.path
        return directory

    # ------------------------------------------------------------------ names of files

    def module_name(self, path: str) -> str:
        """The dotted name of a Python file (a display path or a real one): its regular
        packages, as the `__init__` files above it say, and above the top one the path from
        the nearest root that holds it (the deepest; a root it cannot be imported from, a
        directory name that is no identifier on the way, does not count). Under no root, the
        packages alone."""
        found = self._names.get(path)
        if found is None:
            found = self._names[path] = self._module_name(self.path_of(path))
        return found

    def _module_name(self, absolute: str) -> str:
        directory, filename = os.path.split(absolute)
        stem = _stem(filename)
        package = self._package_name(directory)
        return ".".join(package if stem == "__init__" else (*package, stem)) or stem

    def _package_name(self, directory: str) -> tuple[str, ...]:
        """The dotted name of the modules in `directory` (its package's parts), worked out
        once a directory: a tree keeps many files in few directories."""
        found = self._packages.get(directory)
        if found is not None:
            return found
        if self._init_of(directory) is not None:
            parent = os.path.dirname(directory)
            above = self._package_name(parent) if parent != directory else ()
            found = (*above, os.path.basename(directory))
        else:  # above the packages: the path from the nearest root that can import it
            found = ()
            best = -1
            for root in self.roots:
                if directory == root:
                    parts: list[str] = []
                elif directory.startswith(root.rstrip(os.sep) + os.sep):
                    parts = directory[len(root.rstrip(os.sep)) + 1 :].split(os.sep)
                else:
                    continue
                if all(p.isidentifier() for p in parts) and (best < 0 or len(parts) < best):
                    found, best = tuple(parts), len(parts)
        self._packages[directory] = found
        return found

    # ------------------------------------------------------------------ paths

    def _display_map(self) -> dict[str, str]:
        if self._displays is None:
            self._displays = {}
            for display, path in self._files:
                absolute = _absolute(path, self.cwd)
                self._displays.setdefault(absolute, display)
                self._paths.setdefault(display, absolute)
        return self._displays

    def display(self, path: str) -> str:
        """How a file found by resolution (an absolute path) is shown: as the walk shows it."""
        displays = self._display_map()
        shown = displays.get(path)
        if shown is None:
            under = path.startswith(self.cwd.rstrip(os.sep) + os.sep)
            shown = displays[path] = os.path.relpath(path, self.cwd) if under else path
            self._paths.setdefault(shown, path)
        return shown

    def path_of(self, display: str) -> str:
        """The absolute path behind a display path (or a path as given)."""
        self._display_map()
        found = self._paths.get(display)
        return found if found is not None else _absolute(display, self.cwd)
