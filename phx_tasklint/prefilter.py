"""Decide cheaply which files can hand anything to Phoenix, before libcst is ever imported.

Two stages, each a superset of what the engine reacts to, so filtering never changes a result:
1. bytes: the file names Phoenix, a runner, `create_evaluator`, or a configured wrapper;
2. `ast` (C speed): it has a call, decorator, base class or import the engine would look at.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from phx_tasklint import spec

_RUNNER_NAMES = frozenset(
    {r.method for r in (*spec.CLIENT_RUNNERS, *spec.LEGACY_RUNNERS)}
    | {spec.ASYNC_PREFIX + r.method for r in spec.CLIENT_RUNNERS}
)
_DECORATOR_NAMES = frozenset({q.rsplit(".", 1)[-1] for q in spec.CREATE_EVALUATOR}) | {
    spec.PYTEST_MARKER
}
_BASE_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in spec.BASE_EVALUATOR_CLASSES)
_BYTE_MARKERS = (
    b"phoenix",
    *(name.encode() for name in sorted(_RUNNER_NAMES | _DECORATOR_NAMES | _BASE_NAMES)),
)


def wrapper_names(runners: Iterable[str]) -> frozenset[str]:
    return frozenset(name.rsplit(".", 1)[-1] for name in runners)


def mentions(data: bytes, extra: frozenset[str] = frozenset()) -> bool:
    """Stage 1: could these bytes name anything the engine looks at?"""
    return any(marker in data for marker in _BYTE_MARKERS) or any(
        name.encode() in data for name in extra
    )


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


def has_handoff(tree: ast.AST, extra: frozenset[str] = frozenset()) -> bool:
    """Stage 2: does the module contain a construct the engine reacts to?"""
    nodes = list(ast.walk(tree))
    calls = set(_RUNNER_NAMES | _DECORATOR_NAMES | extra)
    decorators = set(_DECORATOR_NAMES)
    bases = set(_BASE_NAMES)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):  # `import run_experiment as rx` calls `rx(...)`
            for alias in node.names:
                if alias.asname:
                    for group in (calls, decorators, bases):
                        if alias.name in group:
                            group.add(alias.asname)
    for node in nodes:
        if isinstance(node, ast.Call):
            if _last_name(node.func) in calls:
                return True
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(_last_name(d) in decorators for d in node.decorator_list):
                return True
        elif isinstance(node, ast.ClassDef):
            if any(_last_name(b) in bases for b in node.bases):
                return True
        elif _legacy_import(node):
            return True
    return False
