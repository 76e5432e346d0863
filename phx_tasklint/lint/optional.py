"""How a module can write "X or None" in an annotation, for a fix that adds `= None`.

`x: str = None` is what a type checker rejects (`Incompatible default`), so an annotated parameter
given a `None` default has its annotation widened. `X | None` is evaluated when the def runs, so it
is written only where every Python the project supports evaluates it (3.10 on), or where
annotations are never evaluated (`from __future__ import annotations`); elsewhere, and around a
string annotation (`"Model" | None` is a TypeError), `Optional[X]` is. That needs a name that means
`typing.Optional` where the def is evaluated: one imported at the top of the module before the
def (`from typing import Optional`, `import typing` -> `typing.Optional`) and bound nowhere
else, or else one the fix imports itself, after the module's leading imports, when no code in the
module spells `Optional` and no `import *` could bind it. A string is wrapped only when it reads
as an expression: typing compiles it when `Optional["..."]` runs, so `Optional["a b"]` would raise
where `x: "a b"` did not. Otherwise the annotation cannot be widened and the fix is not offered
(rather than a default a type checker rejects). An annotation the judge cannot read is widened
all the same: `Optional[X]` is right whatever `X` means, if redundant when it admits None.

Read from `ast` alone, so that the linter (which offers fixes) and `--fix` (which makes them)
agree on it without the linter importing libcst.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass

PythonVersion = tuple[int, int]
PEP604_FROM: PythonVersion = (3, 10)
_TYPING = frozenset({"typing", "typing_extensions"})
IMPORT = "from typing import Optional"


@dataclass(frozen=True)
class OptionalName:
    """An expression meaning `typing.Optional` at the def, and whether the fix must import it."""

    spelling: str
    imported: bool  # False: the fix adds `IMPORT` at `NoneSpelling.import_line`


@dataclass(frozen=True)
class NoneSpelling:
    """What one module offers for writing "X or None"."""

    future_annotations: bool
    # top-level imports that bind typing.Optional (or typing) under a name bound nowhere else:
    # (first line after the import, spelling)
    imports: tuple[tuple[int, str], ...]
    # where `from typing import Optional` would go (1-based line it is inserted before), or None
    # when the module may already mean something by `Optional`
    import_line: int | None

    def optional(self, line: int) -> OptionalName | None:
        """How a def whose parameters are on `line` spells Optional, if it can."""
        for after, spelling in self.imports:
            if after <= line:
                return OptionalName(spelling, imported=True)
        if self.import_line is not None:
            return OptionalName("Optional", imported=False)
        return None

    def pep604(self, target: PythonVersion | None) -> bool:
        """Whether `X | None` may be written (for an annotation that is not a string)."""
        return self.future_annotations or (target is not None and target >= PEP604_FROM)


def none_spelling(tree: ast.Module) -> NoneSpelling:
    bound, read, star = _names(tree)
    imports: list[tuple[int, str]] = []
    for statement in tree.body:
        after = (statement.end_lineno or statement.lineno) + 1
        if isinstance(statement, ast.ImportFrom) and statement.module in _TYPING:
            for alias in statement.names:
                name = alias.asname or alias.name
                if alias.name == "Optional" and bound[name] == 1:
                    imports.append((after, name))
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.name in _TYPING and bound[alias.asname or alias.name] == 1:
                    imports.append((after, f"{alias.asname or alias.name}.Optional"))
    free = not bound["Optional"] and "Optional" not in read and not star
    return NoneSpelling(
        future_annotations=_future_annotations(tree),
        imports=tuple(imports),
        import_line=_import_line(tree) if free else None,
    )


def _future_annotations(tree: ast.Module) -> bool:
    for index, statement in enumerate(tree.body):
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            if any(alias.name == "annotations" for alias in statement.names):
                return True
        elif not (index == 0 and _is_docstring(statement)):
            break
    return False


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _import_line(tree: ast.Module) -> int:
    """The line after the module's leading docstring and imports (the first line of the first
    other statement when there are none, its decorators included)."""
    last = None
    for index, statement in enumerate(tree.body):
        if isinstance(statement, ast.Import | ast.ImportFrom) or (
            index == 0 and _is_docstring(statement)
        ):
            last = statement
            continue
        if last is None:
            decorators = getattr(statement, "decorator_list", None)
            return decorators[0].lineno if decorators else statement.lineno
        break
    if last is None:
        return 1
    return (last.end_lineno or last.lineno) + 1


def _names(tree: ast.Module) -> tuple[Counter[str], set[str], bool]:
    """How often each name is bound anywhere in the module, every name read, and whether an
    `import *` is there."""
    bound: Counter[str] = Counter()
    read: set[str] = set()
    star = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                read.add(node.id)
            else:
                bound[node.id] += 1
        elif isinstance(node, ast.alias):
            if node.name == "*":
                star = True
            else:
                bound[node.asname or node.name.split(".")[0]] += 1
        elif isinstance(node, ast.arg):
            bound[node.arg] += 1
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound[node.name] += 1
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound.update(node.names)
        else:
            for name in (getattr(node, "name", None), getattr(node, "rest", None)):
                if isinstance(name, str):  # except-as, match captures, type parameters
                    bound[name] += 1
    return bound, read, star
