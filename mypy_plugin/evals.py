"""phoenix.evals evaluators handed to a runner, as mypy sees them.

mypy types every phoenix.evals object as an `Evaluator`, which says nothing of its fields. What
the plugin reads is the little the syntax states with types beside it: a def decorated with
`phoenix.evals.create_evaluator(...)` (its parameters, with their annotations, are the fields)
and `bind_evaluator(...)` calls with a literal dict mapping (string paths, lambdas), followed
through names assigned once in the module. Anything else (templates, prebuilt metrics, a
mapping held in a variable) is left to the linter and the runtime binder: None, never a guess.
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.nodes import (
    ARG_POS,
    FUNC_NO_INFO,
    CallExpr,
    Decorator,
    DictExpr,
    Expression,
    LambdaExpr,
    MemberExpr,
    NameExpr,
    RefExpr,
    StrExpr,
    Var,
)

from mypy_plugin import handoffs
from phx_tasklint.core import spec
from phx_tasklint.core.model import EvalsField, EvalsSignature, MappingEntry

_MAX_DEPTH = 4


def _fullname(expr: Expression) -> str:
    return expr.fullname if isinstance(expr, RefExpr) else ""


def is_bind_evaluator(callee: str) -> bool:
    return callee in spec.EVALS_BIND_EVALUATORS


def read(
    api: TypeChecker, expr: Expression, index: handoffs.ModuleIndex, depth: int = 0
) -> EvalsSignature | None:
    """The evals object `expr` stands for, when the plugin can read it."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(expr, CallExpr) and is_bind_evaluator(_fullname(expr.callee)):
        return _bound(api, expr, index, depth)
    if isinstance(expr, RefExpr):
        node = expr.node
        if isinstance(expr, NameExpr) and expr.name in index.rebound:
            return None  # `ev.bind({...})` in the module: which mapping is in force is not known
        if isinstance(node, Decorator):
            return _decorated(api, node)
        if isinstance(expr, NameExpr) and isinstance(node, Var):
            values = index.assigned.get(id(node), [])
            if len(values) == 1:  # assigned once, here: what the name holds
                return read(api, values[0], index, depth + 1)
    return None


def _decorated(api: TypeChecker, node: Decorator) -> EvalsSignature | None:
    """A module-level def whose one decorator is `create_evaluator(...)` from phoenix.evals."""
    if len(node.decorators) != 1 or node.func.info is not FUNC_NO_INFO:
        return None
    decorator = node.decorators[0]
    if not isinstance(decorator, CallExpr):
        return None  # bare: the linter reports it (PHX406); what it leaves is no evaluator
    if _fullname(decorator.callee) not in spec.EVALS_CREATE_EVALUATORS:
        return None
    sig = handoffs.def_signature(api, node.func)
    if sig is None:
        return None
    fields = tuple(
        EvalsField(p.name, required=not p.has_default, annotation=p.annotation, kind=p.kind)
        for p in sig.params
    )
    return EvalsSignature(
        fields, is_async=sig.is_async, source="function", name=_name(decorator, node.func.name)
    )


def _name(call: CallExpr, default: str) -> str | None:
    keyword, position = spec.EVALS_NAME_ARGUMENT
    for i, (arg, arg_name) in enumerate(zip(call.args, call.arg_names, strict=True)):
        if arg_name == keyword or (arg_name is None and i == position):
            return arg.value if isinstance(arg, StrExpr) else None
    return default


def _argument(call: CallExpr, keyword: str, position: int) -> Expression | None:
    for i, (arg, arg_name) in enumerate(zip(call.args, call.arg_names, strict=True)):
        if arg_name == keyword or (arg_name is None and i == position):
            return arg
    return None


def _bound(
    api: TypeChecker, call: CallExpr, index: handoffs.ModuleIndex, depth: int
) -> EvalsSignature | None:
    evaluator_name, mapping_name = spec.EVALS_BIND_ARGUMENTS
    evaluator = _argument(call, evaluator_name, 0)
    given = _argument(call, mapping_name, 1)
    if evaluator is None or not isinstance(given, DictExpr):
        return None  # a mapping held elsewhere (or None): left to the linter
    inner = read(api, evaluator, index, depth + 1)
    if inner is None:
        return None
    entries: list[MappingEntry] = []
    complete = True
    for key, value in given.items:
        if not isinstance(key, StrExpr):
            complete = False  # `**base`, or a computed key
            continue
        entries.append(_entry(api, key.value, value))
    return EvalsSignature(
        inner.fields,
        mapping=tuple(entries),
        mapping_complete=complete,
        is_async=inner.is_async,
        source=inner.source,
        name=inner.name,
    )


def _entry(api: TypeChecker, key: str, value: Expression) -> MappingEntry:
    if isinstance(value, StrExpr):
        return MappingEntry(key, path=value.value)
    if isinstance(value, LambdaExpr):
        sig = handoffs.callable_signature(api, value, handoffs.expression_type(api, value))
        if sig is not None:
            return MappingEntry(key, lambda_params=sig.params)
    return MappingEntry(key)  # an extractor not seen: the field counts as supplied


def callee_text(call: CallExpr) -> str:
    """The callee as written, for messages (`bind_evaluator`, `evals.bind_evaluator`)."""
    parts: list[str] = []
    expr: Expression = call.callee
    while isinstance(expr, MemberExpr):
        parts.append(expr.name)
        expr = expr.expr
    if isinstance(expr, NameExpr):
        parts.append(expr.name)
    return ".".join(reversed(parts)) or spec.EVALS_BIND_EVALUATORS[0].rpartition(".")[2]


def positional_bind_arguments(call: CallExpr) -> int:
    """How many arguments a `bind_evaluator(...)` call passes by position."""
    return sum(1 for kind in call.arg_kinds if kind == ARG_POS)
