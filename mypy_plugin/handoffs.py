"""Where the callables handed to Phoenix are, and what mypy knows about each of them.

A runner call gives the plugin one expression per argument and its type. This module turns the
`task` argument into one callable and the `evaluators` argument into one callable per evaluator
(list, tuple and dict literals, or a variable assigned one), finds the `def` that a
`create_evaluator(...)` decorator call is applied to, and translates each callable with
`translate.signature`. It never changes a type or a symbol table.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mypy.checker import TypeChecker
from mypy.nodes import (
    ARG_POS,
    FUNC_NO_INFO,
    AssignmentStmt,
    Block,
    CallExpr,
    ClassDef,
    Decorator,
    DictExpr,
    Expression,
    ForStmt,
    FuncDef,
    FuncItem,
    IfStmt,
    LambdaExpr,
    ListExpr,
    MatchStmt,
    MemberExpr,
    MypyFile,
    NameExpr,
    OverloadedFuncDef,
    RefExpr,
    StarExpr,
    Statement,
    TryStmt,
    TupleExpr,
    TypeInfo,
    Var,
    WhileStmt,
    WithStmt,
)
from mypy.server.subexpr import get_subexpressions
from mypy.sharedparse import argument_elide_name
from mypy.typeops import bind_self, function_type, type_object_type
from mypy.types import (
    CallableType,
    Instance,
    LiteralType,
    NoneType,
    Overloaded,
    ProperType,
    TupleType,
    Type,
    TypedDictType,
    TypeType,
    get_proper_type,
)

from mypy_plugin.translate import Origin, def_arguments, is_coroutine_type, signature
from phx_tasklint.core import spec
from phx_tasklint.core.model import Signature, TypeExpr, Wrapper

_PARTIAL = "functools.partial"
_PARTIAL_ATTR = "__mypy_partial"  # where mypy's functools plugin keeps the partial's signature
_PARTIAL_CALL = "functools.partial.__call__"
# Instances of these are never a user's callable object (mypy's own fallbacks and protocols).
_OPAQUE_MODULES = frozenset({"builtins", "typing", "typing_extensions", "collections.abc", "abc"})
_MAPPINGS = ("typing.Mapping",)
_SEQUENCES = ("typing.Sequence",)
# Instances inspect.signature sees through, to the function they wrap (`__wrapped__`).
_CACHE_WRAPPERS = frozenset({"functools._lru_cache_wrapper"})
_UPDATE_WRAPPER = "functools.update_wrapper"
_WRAPS = "functools.wraps"
# Types whose values may well be callable, or are documentation's `...`.
_MAYBE_CALLABLE = frozenset(
    {
        "builtins.object",
        "builtins.function",
        "builtins.type",
        "builtins.ellipsis",
        "types.EllipsisType",
    }
)


@dataclass(frozen=True)
class NotCallable:
    """A value handed over that cannot be called at all; `value` is its type."""

    value: TypeExpr


Handed = Signature | NotCallable | None


# --------------------------------------------------------------------------------------------
# A per-module index of the few syntactic facts types do not carry


@dataclass
class ModuleIndex:
    # a `create_evaluator(...)` call used as a decorator -> (the def, whether it is innermost)
    decorated: dict[int, tuple[FuncDef, bool]] = field(default_factory=dict)
    # `create_evaluator(...)` in `create_evaluator(...)(fn)` -> the outer call
    applied: dict[int, CallExpr] = field(default_factory=dict)
    # a variable -> every value assigned to it in this module
    assigned: dict[int, list[Expression]] = field(default_factory=dict)
    # names whose phoenix.evals input mapping is changed in place somewhere (`ev.bind({...})`),
    # and the full names of what they stand for (`metrics.exact_match.bind(...)`, any spelling)
    rebound: set[str] = field(default_factory=set)
    rebound_fullnames: set[str] = field(default_factory=set)
    # keeps the indexed nodes alive, so that their ids stay theirs
    keep: list[object] = field(default_factory=list)


def _statements(body: list[Statement]) -> Iterator[Statement]:
    """Every statement, nested ones too (mypy's compiled visitors cannot be subclassed here)."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        blocks: list[Block | None] = []
        if isinstance(stmt, Block):
            stack.extend(reversed(stmt.body))
            continue
        if isinstance(stmt, FuncDef):
            blocks.append(stmt.body)
        elif isinstance(stmt, Decorator):
            blocks.append(stmt.func.body)
        elif isinstance(stmt, OverloadedFuncDef):
            stack.extend(item for item in stmt.items if isinstance(item, Statement))
            if stmt.impl is not None:
                stack.append(stmt.impl)
        elif isinstance(stmt, ClassDef):
            blocks.append(stmt.defs)
        elif isinstance(stmt, IfStmt):
            blocks += [*stmt.body, stmt.else_body]
        elif isinstance(stmt, (ForStmt, WhileStmt)):
            blocks += [stmt.body, stmt.else_body]
        elif isinstance(stmt, WithStmt):
            blocks.append(stmt.body)
        elif isinstance(stmt, TryStmt):
            blocks += [stmt.body, *stmt.handlers, stmt.else_body, stmt.finally_body]
        elif isinstance(stmt, MatchStmt):
            blocks += stmt.bodies
        stack.extend(reversed([b for b in blocks if b is not None]))


def _build_index(tree: MypyFile) -> ModuleIndex:
    index = ModuleIndex()
    for stmt in _statements(tree.defs):
        if isinstance(stmt, Decorator):
            last = len(stmt.decorators) - 1
            for i, d in enumerate(stmt.decorators):
                if isinstance(d, CallExpr):
                    index.decorated[id(d)] = (stmt.func, i == last)
                    index.keep.append(d)
        elif isinstance(stmt, AssignmentStmt):
            for lvalue in stmt.lvalues:
                if isinstance(lvalue, NameExpr) and isinstance(lvalue.node, Var):
                    index.assigned.setdefault(id(lvalue.node), []).append(stmt.rvalue)
                    index.keep.append(lvalue.node)
    for expr in get_subexpressions(tree):
        if isinstance(expr, CallExpr) and isinstance(expr.callee, CallExpr):
            index.applied[id(expr.callee)] = expr
            index.keep.append(expr.callee)
        elif (
            isinstance(expr, CallExpr)
            and isinstance(expr.callee, MemberExpr)
            and expr.callee.name in spec.EVALS_REBIND_METHODS
            and isinstance(expr.callee.expr, RefExpr)
        ):
            if isinstance(expr.callee.expr, NameExpr):
                index.rebound.add(expr.callee.expr.name)
            if expr.callee.expr.fullname:
                index.rebound_fullnames.add(expr.callee.expr.fullname)
    return index


_INDEXES: dict[str, tuple[MypyFile, ModuleIndex]] = {}


def module_index(api: TypeChecker) -> ModuleIndex:
    """The index of the module being checked, built once per parse of it (dmypy reparses)."""
    tree = api.tree
    cached = _INDEXES.get(tree.fullname)
    if cached is not None and cached[0] is tree:
        return cached[1]
    index = _build_index(tree)
    _INDEXES[tree.fullname] = (tree, index)
    return index


# --------------------------------------------------------------------------------------------
# Types of expressions


def expression_type(api: TypeChecker, expr: Expression) -> Type | None:
    """The type mypy inferred for `expr`, or its declared type when it was not checked yet."""
    found = api.lookup_type_or_none(expr)
    if found is not None:
        return found
    if isinstance(expr, RefExpr):
        node = expr.node
        if isinstance(node, FuncDef):
            return function_type(node, api.named_type("builtins.function"))
        if isinstance(node, OverloadedFuncDef) and node.type is not None:
            return node.type
        if isinstance(node, Decorator):
            return node.var.type
        if isinstance(node, Var):
            return node.type
        if isinstance(node, TypeInfo):
            return type_object_type(node, api.named_type)
        return None
    with api.msg.filter_errors():
        return api.expr_checker.accept(expr)


def _func_of(api: TypeChecker, expr: Expression) -> tuple[FuncItem | None, bool]:
    """The def behind a reference (and whether decorators stand between), when known."""
    if isinstance(expr, LambdaExpr):
        return expr, False
    if isinstance(expr, MemberExpr) and expr.node is None:
        owner = get_proper_type(api.lookup_type_or_none(expr.expr))
        if isinstance(owner, Instance):
            method = owner.type.get_method(expr.name)
            if isinstance(method, FuncDef):
                return method, False
            if isinstance(method, Decorator):
                return method.func, True
        return None, False
    if isinstance(expr, RefExpr):
        node = expr.node
        if isinstance(node, FuncDef):
            return node, False
        if isinstance(node, Decorator):
            return node.func, True
    return None, False


# --------------------------------------------------------------------------------------------
# What mypy's cache drops of a def, read from its module's source

_SOURCES: dict[str, tuple[float, ast.Module | None]] = {}


def _parsed(path: str) -> ast.Module | None:
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    cached = _SOURCES.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        tree: ast.Module | None = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        tree = None
    _SOURCES[path] = (mtime, tree)
    return tree


def _find_def(body: list[ast.stmt], name: str) -> ast.AST | None:
    """The last top-level definition of `name` in a body (conditional ones included)."""
    found: ast.AST | None = None
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if stmt.name == name:
                found = stmt
        elif isinstance(stmt, (ast.If, ast.Try)):
            nested = _find_def([*stmt.body, *stmt.orelse], name)
            found = nested or found
    return found


def source_def(
    api: TypeChecker, func: FuncDef
) -> tuple[MypyFile, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """A def found by its full name in its module's source, with that module: what mypy's cache
    drops (a def's argument nodes, a Decorator's expressions) is read there. A def local to a
    function is not found; mypy caches only what other modules can import."""
    parts = func.fullname.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = api.modules.get(".".join(parts[:cut]))
        if module is not None:
            break
    else:
        return None
    node: ast.AST | None = _parsed(module.path) if module.path else None
    for name in parts[cut:]:
        body = getattr(node, "body", None)
        node = _find_def(body, name) if isinstance(body, list) else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return module, node


def source_args(api: TypeChecker, func: FuncItem | None) -> tuple[tuple[str, bool], ...] | None:
    """(name, positional-only) of each parameter of a cached def, from its module's source."""
    if not isinstance(func, FuncDef) or def_arguments(func) or None not in func.arg_names:
        return None
    found = source_def(api, func)
    if found is None:
        return None
    a = found[1].args
    out = [(arg.arg, True) for arg in a.posonlyargs]
    out += [(arg.arg, argument_elide_name(arg.arg)) for arg in a.args]
    out += [(a.vararg.arg, False)] if a.vararg else []
    out += [(arg.arg, False) for arg in a.kwonlyargs]
    out += [(a.kwarg.arg, False)] if a.kwarg else []
    if len(out) != len(func.arg_kinds):
        return None  # the source changed since mypy read it
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Callables -> signatures


def class_source(api: TypeChecker, info: TypeInfo) -> ast.ClassDef | None:
    """A class's definition in its module's source (None for a class local to a function, and
    for a stub's: a `.pyi` declares attributes without binding them)."""
    module = api.modules.get(info.module_name)
    if module is None or not module.path or "@" in info.fullname:
        return None
    if not module.path.endswith(".py"):
        return None
    node: ast.AST | None = _parsed(module.path)
    for name in info.fullname[len(info.module_name) + 1 :].split("."):
        body = getattr(node, "body", None)
        node = _find_def(body, name) if isinstance(body, list) else None
    return node if isinstance(node, ast.ClassDef) else None


def _origin(api: TypeChecker, func: FuncItem | None, **kw: bool) -> Origin:
    return Origin(func=func, source_args=source_args(api, func), classes=_classes(api), **kw)


def _classes(api: TypeChecker) -> Callable[[TypeInfo], ast.ClassDef | None]:
    return lambda info: class_source(api, info)


def callable_signature(
    api: TypeChecker, expr: Expression | None, t: Type | None
) -> Signature | None:
    """The neutral signature of the callable `expr` (of type `t`), or None when not visible."""
    if t is None:
        return None
    p = get_proper_type(t)
    func: FuncItem | None = None
    decorated = False
    own = expr is not None and isinstance(expr, (RefExpr, LambdaExpr))
    if expr is not None and own:
        func, decorated = _func_of(api, expr)
    if isinstance(p, CallableType):
        if p.is_type_obj():
            return _type_object(api, p)
        if func is None and own and isinstance(p.definition, FuncItem):
            func = p.definition
        if decorated and func is not None:
            return _decorated(api, p, func)
        return signature(p, _origin(api, func))
    if isinstance(p, Overloaded):
        return _overloaded(api, expr, p)
    if isinstance(p, Instance):
        if _follows_wrapped(api, p.type):
            return _wrapped_signature(api, expr)
        return _instance(api, p)
    if isinstance(p, TypeType):
        item = get_proper_type(p.item)
        if isinstance(item, Instance):
            ctor = get_proper_type(type_object_type(item.type, api.named_type))
            if isinstance(ctor, CallableType):
                return _type_object(api, ctor)
    return None  # Any, None, a union of callables, a type variable, Never, ...


def handed(api: TypeChecker, expr: Expression | None, t: Type | None) -> Handed:
    """What handing `expr` (of type `t`) over hands Phoenix: a callable's signature, a value
    that cannot be called, or None when not visible."""
    value = not_callable(t)
    return NotCallable(value) if value is not None else callable_signature(api, expr, t)


def not_callable(t: Type | None) -> TypeExpr | None:
    """The type of a value that surely cannot be called and is no Evaluator object Phoenix
    uses as it is (None when it may be callable or is not known)."""
    p = get_proper_type(t) if t is not None else None
    if isinstance(p, NoneType):
        return TypeExpr.named("builtins.None")
    if isinstance(p, TypedDictType):
        return TypeExpr.named("builtins.dict")
    if isinstance(p, LiteralType):
        p = p.fallback
    elif isinstance(p, TupleType):
        p = p.partial_fallback
    if not isinstance(p, Instance):
        return None
    info = p.type
    if info.fullname in _MAYBE_CALLABLE or info.is_protocol or info.fallback_to_any:
        return None
    if any(info.get(name) is not None for name in ("__call__", *spec.EVALUATOR_METHODS)):
        return None
    return TypeExpr.named(info.fullname.split("@")[0])


def _follows_wrapped(api: TypeChecker, info: TypeInfo) -> bool:
    """Whether inspect.signature sees through an instance of `info` to the function it wraps:
    functools' cache wrappers, and a class whose `__init__` calls functools.update_wrapper or
    wraps, or sets `__wrapped__`."""
    if info.fullname in _CACHE_WRAPPERS:
        return True
    init = info.get_method("__init__")
    if isinstance(init, Decorator):
        init = init.func
    if not isinstance(init, FuncDef) or init.info.module_name in _OPAQUE_MODULES:
        return False
    if not init.body.body:  # loaded from mypy's cache without its body: read the source
        return _source_copies_wrapped(api, init.info)
    for expr in get_subexpressions(init):
        callee = expr.callee if isinstance(expr, CallExpr) else None
        if isinstance(callee, RefExpr) and callee.fullname == _UPDATE_WRAPPER:
            return True
        inner = callee.callee if isinstance(callee, CallExpr) else None
        if isinstance(inner, RefExpr) and inner.fullname == _WRAPS:
            return True
    return any(
        isinstance(stmt, AssignmentStmt)
        and any(isinstance(v, MemberExpr) and v.name == "__wrapped__" for v in stmt.lvalues)
        for stmt in _statements(init.body.body)
    )


def _source_copies_wrapped(api: TypeChecker, info: TypeInfo) -> bool:
    """The same question asked of the class's source, by the names the functions go by there
    (the module's imports are not at hand)."""
    cls = class_source(api, info)
    init = _find_def(cls.body, "__init__") if cls is not None else None
    if not isinstance(init, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for node in ast.walk(init):
        if isinstance(node, ast.Call):
            if _spelled(node.func) == _UPDATE_WRAPPER.rsplit(".", 1)[1]:
                return True
            if isinstance(node.func, ast.Call) and _spelled(node.func.func) == "wraps":
                return True
        if _stores_wrapped(node):
            return True
    return False


def _stores_wrapped(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and node.attr == "__wrapped__"
    )


def _spelled(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _wrapped_signature(api: TypeChecker, expr: Expression | None) -> Signature | None:
    """The signature inspect.signature finds behind a wrapper: the def a lone wrapping
    decorator decorates, or what `Wrapper(fn)` is given first."""
    node = expr.node if isinstance(expr, RefExpr) else None
    if isinstance(node, Decorator):
        if len(node.decorators) == 1 and node.func.info is FUNC_NO_INFO:
            return def_signature(api, node.func)
        return None  # other decorators between, or a method: not followed
    if isinstance(expr, CallExpr) and expr.args and expr.arg_kinds[0] == ARG_POS:
        first = expr.args[0]
        return callable_signature(api, first, expression_type(api, first))
    return None


def def_signature(api: TypeChecker, func: FuncDef) -> Signature | None:
    """A `def` as written (the function a `@create_evaluator(...)` decorates)."""
    t = get_proper_type(function_type(func, api.named_type("builtins.function")))
    return signature(t, _origin(api, func)) if isinstance(t, CallableType) else None


def _type_object(api: TypeChecker, ctor: CallableType) -> Signature | None:
    info = ctor.type_object()
    if info.typeddict_type is not None or info.is_protocol or _is_evaluator(info):
        return None
    func = ctor.definition if isinstance(ctor.definition, FuncItem) else None
    return signature(ctor, _origin(api, func, type_object=True))


def _decorated(api: TypeChecker, callee: CallableType, func: FuncItem) -> Signature | None:
    # A typed decorator that keeps the parameters keeps their names; its result is a coroutine
    # function only if the def was one and the decorated type still returns a coroutine.
    if list(callee.arg_kinds) != list(func.arg_kinds):
        return signature(callee, Origin(classes=_classes(api)))
    if func.is_coroutine and not is_coroutine_type(callee.ret_type):
        return None
    return signature(callee, _origin(api, func))


def _overloaded(api: TypeChecker, expr: Expression | None, p: Overloaded) -> Signature | None:
    """Phoenix sees the implementation's signature: use it when the source has one; otherwise
    judge only what every overload item agrees on (parameters, no annotations)."""
    node = expr.node if isinstance(expr, RefExpr) else None
    if isinstance(node, OverloadedFuncDef) and node.impl is not None:
        impl = node.impl
        func = impl.func if isinstance(impl, Decorator) else impl
        impl_type = get_proper_type(
            impl.var.type
            if isinstance(impl, Decorator)
            else function_type(impl, api.named_type("builtins.function"))
        )
        if isinstance(impl_type, CallableType):
            return signature(impl_type, _origin(api, func))
        return None
    items = [signature(item, Origin()) for item in p.items]
    first = items[0] if items else None
    if first is None or any(s is None for s in items):
        return None
    shapes = {tuple((q.name, q.kind, q.has_default) for q in s.params) for s in items if s}
    if len(shapes) != 1 or len({s.is_async for s in items if s}) != 1:
        return None
    bare = tuple(type(q)(q.name, q.kind, q.has_default, None) for q in first.params)
    return Signature(bare, None, first.is_async)


def _is_evaluator(info: TypeInfo) -> bool:
    """An Evaluator object (BaseEvaluator, phoenix.evals): Phoenix uses it as it is."""
    return any(info.get_method(name) is not None for name in spec.EVALUATOR_METHODS)


def _instance(api: TypeChecker, p: Instance) -> Signature | None:
    info = p.type
    if info.fullname == _PARTIAL:
        return _partial(api, p)
    if info.is_protocol or _is_evaluator(info) or info.module_name in _OPAQUE_MODULES:
        return None
    method = info.get_method("__call__")
    if isinstance(method, Decorator):
        call_type = get_proper_type(method.var.type)
        func: FuncItem | None = method.func
    elif isinstance(method, FuncDef):
        call_type = function_type(method, api.named_type("builtins.function"))
        func = method
    else:
        return None  # an overloaded or missing __call__
    if not isinstance(call_type, CallableType) or method.info.module_name in _OPAQUE_MODULES:
        return None
    bound = bind_self(call_type, p)
    if not isinstance(bound, CallableType):
        return None
    return signature(bound, _origin(api, func, call_method=True))


def wrapper_of(api: TypeChecker, expr: Expression) -> Wrapper | None:
    """A `functools.partial` handed over, in words for messages (mypy's functools plugin keeps
    the function it was made from); decorators are Any to mypy, or typed without saying
    whether they copy `__wrapped__`, and are not named."""
    p = get_proper_type(expression_type(api, expr))
    if not isinstance(p, Instance) or p.type.fullname != _PARTIAL or p.extra_attrs is None:
        return None
    stored = get_proper_type(p.extra_attrs.attrs.get(_PARTIAL_ATTR))
    name = getattr(stored.definition, "name", None) if isinstance(stored, CallableType) else None
    if not isinstance(name, str) or not name:
        return None
    spelled = _PARTIAL
    if isinstance(expr, CallExpr):
        callee = expr.callee
        if isinstance(callee, NameExpr):
            spelled = callee.name
        elif isinstance(callee, MemberExpr) and isinstance(callee.expr, NameExpr):
            spelled = f"{callee.expr.name}.{callee.name}"
        rest = ", …" if len(expr.args) > 1 else ""
        return Wrapper("partial", f"{spelled}({name}{rest})", name)
    return Wrapper("partial", f"{spelled}({name}, …)", name)


def _partial(api: TypeChecker, p: Instance) -> Signature | None:
    extra = p.extra_attrs
    stored = get_proper_type(extra.attrs.get(_PARTIAL_ATTR)) if extra is not None else None
    if not isinstance(stored, CallableType):
        return None
    definition = stored.definition
    if getattr(definition, "fullname", None) == _PARTIAL_CALL:
        return None  # a partial of a partial: mypy saw only `partial.__call__(*args, **kwargs)`
    if stored.is_type_obj():
        return signature(stored, Origin(type_object=True, partial=True, classes=_classes(api)))
    func = definition if isinstance(definition, FuncItem) else None
    # `partial(obj)` of a callable object: inspect.iscoroutinefunction says no, as for `obj`.
    call_method = func is not None and func.name == "__call__" and func.info is not None
    return signature(stored, _origin(api, func, partial=True, call_method=call_method))


# --------------------------------------------------------------------------------------------
# The evaluators argument


def evaluator_items(
    api: TypeChecker, expr: Expression, t: Type | None, index: ModuleIndex | None, depth: int = 0
) -> Iterator[tuple[Expression, Handed]]:
    """Each evaluator in `evaluators=...` with where to report it, as Phoenix unpacks it:
    a mapping's values, a sequence's items, else the object itself (`None` there means no
    evaluators; among them it is a value Phoenix cannot call)."""
    literal = _literal(api, expr, index, depth)
    if literal is not None:
        # items of a literal written here are reported where they are; those of a variable's
        # literal at the variable, where the hand-off is (and its `# type: ignore`)
        here = isinstance(expr, (ListExpr, TupleExpr, DictExpr))
        for item in literal:
            if isinstance(item, StarExpr):
                continue
            yield item if here else expr, handed(api, item, expression_type(api, item))
        return
    p = get_proper_type(t) if t is not None else None
    if isinstance(p, NoneType):
        return
    if isinstance(p, TupleType):
        for item_type in p.items:
            yield expr, handed(api, None, item_type)
        return
    if isinstance(p, Instance):
        element = _element_type(p)
        if element is not None:
            yield expr, handed(api, None, element)
            return
    yield expr, handed(api, expr, t)


def _literal(
    api: TypeChecker, expr: Expression, index: ModuleIndex | None, depth: int
) -> list[Expression] | None:
    if isinstance(expr, (ListExpr, TupleExpr)):
        return list(expr.items)
    if isinstance(expr, DictExpr):
        return [value for key, value in expr.items if key is not None]
    if (
        depth < 4
        and index is not None
        and isinstance(expr, NameExpr)
        and isinstance(expr.node, Var)
    ):
        values = index.assigned.get(id(expr.node), [])
        if len(values) == 1:  # assigned once, here: the literal is what Phoenix gets
            return _literal(api, values[0], index, depth + 1)
    return None


def _element_type(p: ProperType) -> Type | None:
    """`list[X]` / `Mapping[str, X]` -> X; None when `p` is not a container Phoenix unpacks."""
    if not isinstance(p, Instance) or p.type.get_method("__call__") is not None:
        return None
    for names, position in ((_MAPPINGS, -1), (_SEQUENCES, 0)):
        for base in p.type.mro:
            if base.fullname in names:
                from mypy.maptype import map_instance_to_supertype

                mapped = map_instance_to_supertype(p, base)
                return mapped.args[position] if mapped.args else None
    return None
