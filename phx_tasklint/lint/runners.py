"""Which calls and decorators hand callables to Phoenix, and which expressions they hand over.

A runner is recognised by the qualified name it resolves to (or, for `client.experiments.*`, by
what `client` was built from), never by spelling; the names themselves come from `spec`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from phx_tasklint.core import spec
from phx_tasklint.lint import LintConfig
from phx_tasklint.lint.definitions import MAX_DEPTH
from phx_tasklint.lint.modules import Binding, Module


@dataclass(frozen=True)
class RunnerCall:
    label: str  # what the user called, for messages
    takes_task: bool
    keyword_only: bool
    is_async_api: bool
    sync_runner: bool | None
    profile: str | None  # forced profile (legacy), else the configured one
    task_position: int | None = None
    evaluators_position: int | None = None
    evaluators_keyword: str = "evaluators"


def find_runner(module: Module, call: ast.Call, config: LintConfig) -> RunnerCall | None:
    """The experiment runner `call` calls, if it calls one."""
    for q in module.qualified(call.func):
        found = _runner_by_name(q, config)
        if found is not None:
            return found
    return _client_runner(module, call.func)


def _runner_by_name(q: str, config: LintConfig) -> RunnerCall | None:
    module, _, method = q.rpartition(".")
    if module == spec.CLIENT_MODULE:
        base = method.removeprefix(spec.ASYNC_PREFIX)
        for r in spec.CLIENT_RUNNERS:
            if r.method == base:
                is_async = method != base
                return RunnerCall(method, r.takes_task, True, is_async, not is_async, None)
    if module in spec.LEGACY_RUNNER_MODULES:
        for r in spec.LEGACY_RUNNERS:
            if r.method == method:
                return RunnerCall(
                    method,
                    r.takes_task,
                    False,
                    False,
                    None,
                    "legacy",
                    r.task_position,
                    r.evaluators_position,
                )
    if q in config.task_runners:
        return RunnerCall(method, True, False, False, None, None, 0, None)
    if q in config.evaluator_runners:
        return RunnerCall(method, False, False, False, None, None, None, 0)
    return None


def _client_runner(module: Module, func: ast.expr) -> RunnerCall | None:
    """`<client>.experiments.<runner>(...)` on a Phoenix Client or AsyncClient."""
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "experiments"
    ):
        method = func.attr
        if any(r.method == method for r in spec.CLIENT_RUNNERS):
            sync = client_kind(module, func.value.value, 0)
            if sync is None:
                return None
            found = next(r for r in spec.CLIENT_RUNNERS if r.method == method)
            kind = "Client" if sync else "AsyncClient"
            return RunnerCall(
                f"{kind}().experiments.{method}", found.takes_task, True, not sync, sync, None
            )
    return None


def client_kind(module: Module, expr: ast.AST, depth: int) -> bool | None:
    """True: a sync Client; False: an AsyncClient; None: not known to be a Phoenix client."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, ast.Call):
        for q in module.qualified(expr.func):
            if q in spec.CLIENT_CLASSES:
                return spec.CLIENT_CLASSES[q]
        return None
    if isinstance(expr, ast.Name):
        kinds = {_binding_client(module, b, depth) for b in module.assignments(expr)}
        return kinds.pop() if len(kinds) == 1 else None
    if (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id == "self"
    ):
        cls = _enclosing_class(module, expr)
        if cls is None:
            return None
        kinds = set()
        for value, is_annotation in _self_attribute_values(cls, expr.attr):
            kinds.add(_value_client(module, value, is_annotation, depth))
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _binding_client(module: Module, binding: Binding, depth: int) -> bool | None:
    if binding.kind == "param":
        annotation = getattr(binding.node, "annotation", None)
        return _value_client(module, annotation, True, depth) if annotation else None
    if binding.kind == "assign":
        is_annotation = not isinstance(binding.node, ast.Call)
        return _value_client(module, binding.node, is_annotation, depth)
    return None


def _value_client(module: Module, value: ast.AST, is_annotation: bool, depth: int) -> bool | None:
    if is_annotation:
        for q in module.qualified(value):
            if q in spec.CLIENT_CLASSES:
                return spec.CLIENT_CLASSES[q]
        return None
    return client_kind(module, value, depth + 1)


def _enclosing_class(module: Module, node: ast.AST) -> ast.ClassDef | None:
    current = module.parent(node)
    while current is not None:
        if isinstance(current, ast.ClassDef):
            return current
        current = module.parent(current)
    return None


def _self_attribute_values(cls: ast.ClassDef, attr: str) -> list[tuple[ast.AST, bool]]:
    """Values assigned to `self.<attr>` in the class, and its class-level annotation."""
    values: list[tuple[ast.AST, bool]] = []
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign):
            if any(_is_self_attr(t, attr) for t in node.targets):
                values.append((node.value, False))
        elif isinstance(node, ast.AnnAssign):
            named = isinstance(node.target, ast.Name) and node.target.id == attr
            if _is_self_attr(node.target, attr) or named:
                if node.value is not None:
                    values.append((node.value, False))
                else:
                    values.append((node.annotation, True))
    return values


def _is_self_attr(node: ast.AST, attr: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and node.attr == attr
    )


def argument(call: ast.Call, keyword: str, position: int | None) -> ast.expr | None:
    """The argument passed as `keyword`, or at `position` when there is one."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None:
        if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return None
        if len(call.args) > position:
            return call.args[position]
    return None


def evaluator_items(
    module: Module,
    expr: ast.expr,
    skip: Callable[[str], None],
    *,
    sequence_only: bool,
    depth: int = 0,
) -> list[tuple[str | None, ast.expr]]:
    """The evaluators an `evaluators=` argument hands over, each with the name a dict gives it;
    `skip` hears of each part that cannot be followed."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(expr, (ast.List, ast.Tuple)):
        out: list[tuple[str | None, ast.expr]] = []
        for element in expr.elts:
            if isinstance(element, ast.Starred):
                skip("starred evaluator list")
                continue
            out.append((None, element))
        return out
    if isinstance(expr, ast.Dict) and not sequence_only:
        out = []
        for key, value in zip(expr.keys, expr.values, strict=True):
            if key is None:
                skip("dict unpacking in evaluators")
                continue
            name = key.value if isinstance(key, ast.Constant) else None
            out.append((name if isinstance(name, str) and name else None, value))
        return out
    if isinstance(expr, ast.Name):
        bindings = module.assignments(expr)
        if len(bindings) == 1 and bindings[0].kind == "assign":
            assigned = bindings[0].node
            if isinstance(assigned, (ast.List, ast.Tuple, ast.Dict)):
                return evaluator_items(
                    module, assigned, skip, sequence_only=sequence_only, depth=depth + 1
                )
    if isinstance(expr, (ast.GeneratorExp, ast.ListComp, ast.Set, ast.SetComp, ast.DictComp)):
        skip("evaluators built by a comprehension or set")
        return []
    return [(None, expr)]


def is_create_evaluator(module: Module, expr: ast.AST) -> bool:
    return bool(module.qualified(expr) & set(spec.CREATE_EVALUATOR))


def is_marker(module: Module, expr: ast.AST) -> bool:
    return f"pytest.mark.{spec.PYTEST_MARKER}" in module.qualified(expr)
