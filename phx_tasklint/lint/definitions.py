"""Definitions in the project's modules, found by qualified name, and the files looked in for them.

A file's result depends on every module its analysis looked in: if one of them changes, or a
name that found no file (or more than one) comes to mean another, the result is stale. So each
lookup records the files it found (`deps`, `found`) and the module names it did not (`misses`;
a name found in more than one root is spelled with `AMBIGUOUS_MARK` in front).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from phx_tasklint.lint.modindex import AMBIGUOUS_MARK, located, module_name
from phx_tasklint.lint.modules import Module
from phx_tasklint.lint.sources import Source

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# How many steps a chain (assignments, decorators, calls, clients) is followed before giving up.
MAX_DEPTH = 12

# Why a hand-off whose name no module defines is skipped (`--statistics` prints it).
OUTSIDE_REASON = "defined outside the project's modules"
AMBIGUOUS_REASON = "module found in more than one root"


@dataclass(frozen=True)
class Unresolved:
    """A module name that may stand for more than one file: the reason nothing is guessed."""

    reason: str


class ModuleFinder(Protocol):
    """What a run knows of its modules: a module's source by dotted name (None when no file
    under the roots is it: a third-party or missing module; `Unresolved` when it may be either
    of two files), a file's dotted name, and where a script finds its imports first."""

    def __call__(self, name: str) -> Source | Unresolved | None: ...

    def module_name(self, path: str) -> str: ...

    def script_directory(self, path: str, kind: str) -> str | None: ...


@dataclass(frozen=True)
class InMemory:
    """A `ModuleFinder` over sources given in memory (`lint.lint`): modules by their packages'
    names (`modindex.module_name`), no roots, no script directories."""

    sources: Mapping[str, Source]

    def __call__(self, name: str) -> Source | Unresolved | None:
        return self.sources.get(name)

    def module_name(self, path: str) -> str:
        return module_name(path)

    def script_directory(self, path: str, kind: str) -> str | None:
        return None


Lookup = Callable[[str], "tuple[Module, ast.AST] | None"]


class Definitions:
    """The modules parsed so far (kept for the whole run), and what the analysis of the
    current file looked up (started afresh for each file by `start`)."""

    def __init__(self, find_module: ModuleFinder) -> None:
        self.find_module = find_module
        # qualified name -> why its module is not known (for the run: what a name resolves to
        # does not change within one)
        self.unresolved: dict[str, str] = {}
        self.parsed: dict[str, Module | None] = {}
        self._near: dict[str, str | None] = {}  # path -> its script directory (for the run)
        self.deps: set[str] = set()
        self.found: set[tuple[str, str]] = set()
        self.misses: set[str] = set()

    def start(self) -> None:
        self.deps = set()
        self.found = set()
        self.misses = set()

    def module(self, source: Source) -> Module | None:
        if source.path not in self.parsed:
            name = (
                self.find_module.module_name(source.path) if source.kind == "python" else "__main__"
            )
            self.parsed[source.path] = Module.parse(source, name)
        return self.parsed[source.path]

    def lookup_from(self, module: Module) -> Lookup:
        """`lookup` for the names `module` imports: a script finds them in its own directory
        first."""
        near = self.near(module)
        return lambda qualified: self.lookup(qualified, near)

    def near(self, module: Module) -> str | None:
        """The directory `module` finds its imports in first (a script's own), or None."""
        path = module.source.path
        if path not in self._near:
            self._near[path] = self.find_module.script_directory(path, module.source.kind)
        return self._near[path]

    def lookup(self, qualified: str, near: str | None = None) -> tuple[Module, ast.AST] | None:
        """A qualified name defined at the top level of a module of the project (or a member of
        a class defined there), imported by a script in `near` (None: by a package's module).
        A module that may be either of two files ends the search: it is a module, and which one
        is not known (`why_not` says so)."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            name = located(near, ".".join(parts[:cut]))
            source = self.find_module(name)
            if isinstance(source, Unresolved):
                self.misses.add(AMBIGUOUS_MARK + name)
                self.unresolved[located(near, qualified)] = source.reason
                return None
            if source is None:
                self.misses.add(name)
                continue
            self.deps.add(source.path)
            self.found.add((name, source.path))
            module = self.module(source)
            if module is None:
                return None
            node = module.top_value(parts[cut])
            if node is None:
                return None
            if cut + 1 == len(parts):
                return module, node
            if isinstance(node, ast.ClassDef) and cut + 2 == len(parts):
                member = class_member(node, parts[cut + 1])
                return (module, member) if member is not None else None
            return None
        return None

    def why_not(self, qualified: Iterable[str], module: Module) -> str:
        """The reason to skip a hand-off none of whose `qualified` names `lookup` found (the
        first in sorted order that has one, for the same answer in any run)."""
        near = self.near(module)
        keys = sorted(located(near, q) for q in qualified)
        reasons = [self.unresolved[k] for k in keys if k in self.unresolved]
        return reasons[0] if reasons else OUTSIDE_REASON


def class_member(cls: ast.ClassDef, name: str) -> ast.AST | None:
    """The def or class a class body binds `name` to last."""
    found: ast.AST | None = None
    for stmt in cls.body:
        if isinstance(stmt, (*FUNCTIONS, ast.ClassDef)) and stmt.name == name:
            found = stmt
    return found
