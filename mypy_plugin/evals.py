"""phoenix.evals evaluators handed to a runner, as mypy sees them.

mypy types every phoenix.evals object as an `Evaluator`, which says nothing of its fields. What
the plugin reads is the little the syntax states with types beside it: a def decorated with
`phoenix.evals.create_evaluator(...)` (its parameters, with their annotations, are the fields;
the prebuilt metrics that phoenix.evals defines so are read the same way) and
`bind_evaluator(...)` calls with a literal dict mapping (string paths, lambdas), and LLM
evaluators made with a literal prompt template (its variables are the fields: a string, or a list
of message dicts whose contents are strings), followed through names assigned once in the module.
Anything else (metric classes, a mapping or template held elsewhere, an evaluator given its own
`input_schema`) is left to the linter and the runtime binder: None, never a guess.
"""

from __future__ import annotations

import ast

from mypy.checker import TypeChecker
from mypy.nodes import (
    ARG_POS,
    FUNC_NO_INFO,
    CallExpr,
    Decorator,
    DictExpr,
    Expression,
    LambdaExpr,
    ListExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    RefExpr,
    StrExpr,
    Var,
)

from mypy_plugin import handoffs
from phx_tasklint.core import spec
from phx_tasklint.core.evals_templates import messages_fields, template_fields
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
    if isinstance(expr, CallExpr) and (
        _fullname(expr.callee) in spec.EVALS_TEMPLATE_MAKERS + spec.EVALS_CLASSIFIER_FUNCTIONS
    ):
        return _templated(expr, index)
    if isinstance(expr, RefExpr):
        node = expr.node
        if (isinstance(expr, NameExpr) and expr.name in index.rebound) or (
            expr.fullname and expr.fullname in index.rebound_fullnames
        ):
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
    if node.func.info is not FUNC_NO_INFO:
        return None
    made = _decoration(api, node)
    if made is None or made[0] not in spec.EVALS_CREATE_EVALUATORS:
        return None
    sig = handoffs.def_signature(api, node.func)
    if sig is None:
        return None
    fields = tuple(
        EvalsField(p.name, required=not p.has_default, annotation=p.annotation, kind=p.kind)
        for p in sig.params
    )
    # A def of phoenix.evals itself is a prebuilt metric: its annotations are Phoenix's, not
    # the user's to change, so it is judged as the linter and the runtime judge a schema.
    prebuilt = node.func.fullname.startswith(spec.EVALS_MODULE + ".")
    return EvalsSignature(
        fields, is_async=sig.is_async, source="schema" if prebuilt else "function", name=made[1]
    )


def _decoration(api: TypeChecker, node: Decorator) -> tuple[str, str | None] | None:
    """(the callee's full name, the name argument) of a def's one decorator when that is a call.

    mypy does not serialize a Decorator's expressions: a def loaded from its cache (another
    module once checked, phoenix.evals itself) has none, and its decorator is read from the
    module's source. A def analysed in this run keeps `original_decorators` (all it was written
    with), which also covers defs local to a function, which the source lookup does not find.
    """
    if node.original_decorators:
        if len(node.original_decorators) != 1:
            return None
        decorator = node.original_decorators[0]
        if not isinstance(decorator, CallExpr):
            return None  # bare: the linter reports it (PHX406); what it leaves is no evaluator
        return _fullname(decorator.callee), _name(decorator, node.func.name)
    found = handoffs.source_def(api, node.func)
    if found is None:
        return None
    module, tree = found
    if len(tree.decorator_list) != 1 or not isinstance(tree.decorator_list[0], ast.Call):
        return None
    call = tree.decorator_list[0]
    return _source_fullname(api, module, call.func), _source_name(call, node.func.name)


def _source_fullname(api: TypeChecker, module: MypyFile, expr: ast.expr) -> str:
    """What a dotted name in a module's source refers to, through the module's symbol table
    (which mypy's cache keeps, imports included): `create_evaluator`, `pe.create_evaluator`."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return ""
    symbol = module.names.get(expr.id)
    if symbol is None or symbol.node is None:
        return ""
    fullname = symbol.node.fullname
    for part in reversed(parts):
        inner = api.modules.get(fullname)
        found = inner.names.get(part) if inner is not None else None
        fullname = found.node.fullname if found is not None and found.node else f"{fullname}.{part}"
    return fullname


def _source_name(call: ast.Call, default: str) -> str | None:
    keyword, position = spec.EVALS_NAME_ARGUMENT
    given = [k.value for k in call.keywords if k.arg == keyword]
    if not given and len(call.args) > position:
        given = [call.args[position]]
    if not given:
        return default
    value = given[0]
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None


def _name(call: CallExpr, default: str) -> str | None:
    keyword, position = spec.EVALS_NAME_ARGUMENT
    for i, (arg, arg_name) in enumerate(zip(call.args, call.arg_names, strict=True)):
        if arg_name == keyword or (arg_name is None and i == position):
            return arg.value if isinstance(arg, StrExpr) else None
    return default


def _argument(call: CallExpr, keyword: str, position: int | None) -> Expression | None:
    for i, (arg, arg_name) in enumerate(zip(call.args, call.arg_names, strict=True)):
        if arg_name == keyword or (arg_name is None and i == position):
            return arg
    return None


def _templated(call: CallExpr, index: handoffs.ModuleIndex) -> EvalsSignature:
    """An LLM evaluator made from a prompt template: its variables are the fields."""
    classifier = _fullname(call.callee) in spec.EVALS_CLASSIFIER_FUNCTIONS
    keyword, position = spec.EVALS_NAME_ARGUMENT
    given_name = _argument(call, keyword, position if classifier else None)
    name = given_name.value if isinstance(given_name, StrExpr) else None
    schema = _argument(call, spec.EVALS_INPUT_SCHEMA_ARGUMENT, None)
    if schema is not None and _fullname(schema) != "builtins.None":
        return EvalsSignature(None, source="schema", name=name)  # the fields are that model's
    template = _argument(
        call,
        spec.EVALS_TEMPLATE_ARGUMENT,
        spec.EVALS_CLASSIFIER_TEMPLATE_POSITION if classifier else None,
    )
    fields = _template_fields(_assigned_once(template, index)) if template is not None else None
    return EvalsSignature(fields, source="template", name=name)


def _assigned_once(expr: Expression, index: handoffs.ModuleIndex) -> Expression:
    """The value a name assigned once in the module holds; any other expression itself."""
    if isinstance(expr, NameExpr) and isinstance(expr.node, Var):
        values = index.assigned.get(id(expr.node), [])
        if len(values) == 1:
            return values[0]
    return expr


def _template_fields(expr: Expression) -> tuple[EvalsField, ...] | None:
    if isinstance(expr, StrExpr):
        return template_fields(expr.value)
    if not isinstance(expr, ListExpr) or not expr.items:
        return None
    texts: list[str] = []
    for message in expr.items:
        if not isinstance(message, DictExpr) or any(k is None for k, _ in message.items):
            return None
        contents = [
            v
            for k, v in message.items
            if isinstance(k, StrExpr) and k.value == spec.EVALS_MESSAGE_CONTENT
        ]
        if len(contents) != 1 or not isinstance(contents[0], StrExpr):
            return None
        texts.append(contents[0].value)
    return messages_fields(texts)


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
