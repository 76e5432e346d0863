"""One parsed module of the checked tree: its CST, metadata and top-level definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath

import libcst as cst
from libcst._metadata_dependent import LazyValue
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import Scope

from phx_tasklint.sources import Source


@dataclass
class Module:
    source: Source
    name: str  # dotted module name
    is_package: bool
    tree: cst.Module
    wrapper: MetadataWrapper = field(repr=False)

    @classmethod
    def parse(cls, source: Source, name: str) -> Module | None:
        try:
            tree = cst.parse_module(source.text)
        except Exception:
            return None  # the source layer already reported what compile() rejects
        wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
        is_package = PurePath(source.path).stem == "__init__"
        return cls(source, name, is_package, tree, wrapper)

    @cached_property
    def _metadata(self) -> dict[type, object]:
        return dict(
            self.wrapper.resolve_many(
                [QualifiedNameProvider, ScopeProvider, ParentNodeProvider, PositionProvider]
            )
        )

    def qualified(self, node: cst.CSTNode) -> set[str]:
        """Absolute qualified names of an expression (local names prefixed with the module)."""
        table = self._metadata[QualifiedNameProvider]
        names = table.get(node) or set()  # type: ignore[attr-defined]
        if isinstance(names, LazyValue):  # computed on first use, as get_metadata would
            names = names()
        out = set()
        for q in names:
            text: str = q.name
            if text.startswith("."):
                text = self.absolute(text)
            elif q.source.name == "LOCAL" and "<locals>" not in text:
                text = f"{self.name}.{text}"
            out.add(text)
        return out

    def absolute(self, relative: str) -> str:
        dots = len(relative) - len(relative.lstrip("."))
        package = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
        if dots > 1:
            package = package[: len(package) - (dots - 1)]
        rest = relative[dots:]
        return ".".join([*package, rest]) if rest else ".".join(package)

    def scope(self, node: cst.CSTNode) -> Scope | None:
        table = self._metadata[ScopeProvider]
        return table.get(node)  # type: ignore[attr-defined, no-any-return]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        table = self._metadata[ParentNodeProvider]
        return table.get(node)  # type: ignore[attr-defined, no-any-return]

    def position(self, node: cst.CSTNode) -> CodeRange:
        table = self._metadata[PositionProvider]
        return table[node]  # type: ignore[index, no-any-return]

    @cached_property
    def _lines(self) -> list[str]:
        # Python's own line breaks only (str.splitlines also splits on \x0c, \u2028, ...)
        return re.split(r"\r\n|\r|\n", self.source.text)

    def line(self, number: int) -> str:
        """A line of the parsed document (1-based), for `# noqa` comments."""
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""

    @cached_property
    def top_level(self) -> dict[str, cst.CSTNode]:
        """Top-level defs, classes and single-assignment values by name (last one wins)."""
        out: dict[str, cst.CSTNode] = {}
        for stmt in self.tree.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                out[stmt.name.value] = stmt
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = small.targets[0].target
                        if isinstance(target, cst.Name):
                            out[target.value] = small.value
                    elif (
                        isinstance(small, cst.AnnAssign)
                        and small.value is not None
                        and isinstance(small.target, cst.Name)
                    ):
                        out[small.target.value] = small.value
        return out
