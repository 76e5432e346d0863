"""Decide cheaply which files can hand anything to Phoenix, before the engine analyses them.

Two stages, each a superset of what the engine reacts to, so filtering never changes a result:
1. bytes: the file spells `phoenix` (every API it reacts to is imported from there) or a
   configured wrapper's name;
2. `ast` (C speed): it has a call, decorator, base class or import the engine would look at.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from phx_tasklint.core import spec

_RUNNER_NAMES = frozenset(
    {r.method for r in (*spec.CLIENT_RUNNERS, *spec.LEGACY_RUNNERS)}
    | {spec.ASYNC_PREFIX + r.method for r in spec.CLIENT_RUNNERS}
)
_DECORATOR_NAMES = frozenset({q.rsplit(".", 1)[-1] for q in spec.CREATE_EVALUATOR}) | {
    spec.PYTEST_MARKER
}
_BASE_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in spec.BASE_EVALUATOR_CLASSES)
# Every name the engine reacts to resolves to a `phoenix.*` qualified name, which the file can
# only reach by spelling an import of phoenix (or `pytest.mark.phoenix`); configured wrappers
# are the one other way in. So one substring search per file decides stage 1.
_BYTE_MARKER = b"phoenix"


def wrapper_names(runners: Iterable[str]) -> frozenset[str]:
    return frozenset(name.rsplit(".", 1)[-1] for name in runners)


def mentions(data: bytes, extra: frozenset[str] = frozenset()) -> bool:
    """Stage 1: could these bytes name anything the engine looks at?"""
    return _BYTE_MARKER in data or any(name.encode() in data for name in extra)


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _legacy_import(node: ast.AST) -> bool:
    legacy = spec.LEGACY_MODULE
    if isinstance(node, ast.Import):
        return any(a.name == legacy or a.name.startswith(legacy + ".") for a in node.names)
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        if node.module == legacy or node.module.startswith(legacy + "."):
            return True
        parent, _, child = legacy.rpartition(".")
        return node.module == parent and any(a.name == child for a in node.names)
    return False


def reacts(
    calls: Iterable[ast.Call],
    functions: Iterable[ast.FunctionDef | ast.AsyncFunctionDef],
    classes: Iterable[ast.ClassDef],
    imports: Iterable[ast.Import | ast.ImportFrom],
    extra: frozenset[str] = frozenset(),
) -> bool:
    """Stage 2 on a module's gathered nodes: does it contain anything the engine reacts to?"""
    call_names = set(_RUNNER_NAMES | _DECORATOR_NAMES | extra)
    decorators = set(_DECORATOR_NAMES)
    bases = set(_BASE_NAMES)
    imports = list(imports)
    for node in imports:  # `import run_experiment as rx` calls `rx(...)`
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname:
                    for group in (call_names, decorators, bases):
                        if alias.name in group:
                            group.add(alias.asname)
    return (
        any(_legacy_import(node) for node in imports)
        or any(_last_name(c.func) in call_names for c in calls)
        or any(_last_name(d) in decorators for f in functions for d in f.decorator_list)
        or any(_last_name(b) in bases for c in classes for b in c.bases)
    )


def has_handoff(tree: ast.AST, extra: frozenset[str] = frozenset()) -> bool:
    """Stage 2 on a whole tree."""
    nodes = list(ast.walk(tree))
    return reacts(
        (n for n in nodes if isinstance(n, ast.Call)),
        (n for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))),
        (n for n in nodes if isinstance(n, ast.ClassDef)),
        (n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))),
        extra,
    )
