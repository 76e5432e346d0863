"""Definitions in the checked modules, found by qualified name, and the files looked in for them.

A file's result depends on every checked module its analysis looked in: if one of them changes,
or a name that found no checked file comes to mean one, the result is stale. So each lookup
records the files it found (`deps`, `found`) and the module names it did not (`misses`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from phx_tasklint.lint.modindex import module_name
from phx_tasklint.lint.modules import Module
from phx_tasklint.lint.sources import Source

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# How many steps a chain (assignments, decorators, calls, clients) is followed before giving up.
MAX_DEPTH = 12

ModuleFinder = Callable[[str], "Source | None"]
Lookup = Callable[[str], "tuple[Module, ast.AST] | None"]


class Definitions:
    """The checked modules parsed so far (kept for the whole run), and what the analysis of the
    current file looked up (started afresh for each file by `start`)."""

    def __init__(self, find_module: ModuleFinder) -> None:
        self.find_module = find_module
        self.parsed: dict[str, Module | None] = {}
        self.deps: set[str] = set()
        self.found: set[tuple[str, str]] = set()
        self.misses: set[str] = set()

    def start(self) -> None:
        self.deps = set()
        self.found = set()
        self.misses = set()

    def module(self, source: Source) -> Module | None:
        if source.path not in self.parsed:
            name = module_name(source.path) if source.kind == "python" else "__main__"
            self.parsed[source.path] = Module.parse(source, name)
        return self.parsed[source.path]

    def lookup(self, qualified: str) -> tuple[Module, ast.AST] | None:
        """A qualified name defined at the top level of a checked module (or a member of a class
        defined there)."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            source = self.find_module(".".join(parts[:cut]))
            if source is None:
                self.misses.add(".".join(parts[:cut]))
                continue
            self.deps.add(source.path)
            self.found.add((".".join(parts[:cut]), source.path))
            module = self.module(source)
            if module is None:
                return None
            node = module.top_level.get(parts[cut])
            if node is None:
                return None
            if cut + 1 == len(parts):
                return module, node
            if isinstance(node, ast.ClassDef) and cut + 2 == len(parts):
                member = class_member(node, parts[cut + 1])
                return (module, member) if member is not None else None
            return None
        return None


def class_member(cls: ast.ClassDef, name: str) -> ast.AST | None:
    """The def or class a class body binds `name` to last."""
    found: ast.AST | None = None
    for stmt in cls.body:
        if isinstance(stmt, (*FUNCTIONS, ast.ClassDef)) and stmt.name == name:
            found = stmt
    return found
