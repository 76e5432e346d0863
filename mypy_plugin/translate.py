"""mypy types -> the neutral model (`TypeExpr`, `Signature`), the way the runtime adapter sees code.

No rule logic lives here. The translation mirrors `phx_tasklint.runtime.binder.type_expr` and
`signature_of`, so that the judge gets the same model for the same code from either front end:
what `inspect.signature` would report, annotations as written (never inferred types), and
`is_async` as `inspect.iscoroutinefunction` would say. Whatever cannot be seen is UNKNOWN (inside a
type) or None (a whole callable): the judge never reports on either.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mypy.nodes import (
    ARG_NAMED,
    ARG_NAMED_OPT,
    ARG_OPT,
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    ArgKind,
    Argument,
    FuncItem,
    LambdaExpr,
    TypeInfo,
    Var,
)
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    LiteralType,
    NoneType,
    Overloaded,
    TupleType,
    Type,
    TypeAliasType,
    TypedDictType,
    TypeOfAny,
    TypeType,
    UnionType,
    get_proper_type,
)

from phx_tasklint.core.attributes import instance_attributes
from phx_tasklint.core.model import UNKNOWN, Kind, Param, Signature, TypeExpr, TypeKind

# A class's definition as written in its module's source, when it can be found there.
ClassSource = Callable[[TypeInfo], "ast.ClassDef | None"]

# A recursive alias is cut off here (the runtime adapter stops at the same depth), and a type
# that expands to more nodes than this is not worth judging.
_MAX_DEPTH = 40
_MAX_NODES = 2000

# Modules whose classes the runtime adapter names instead of treating as user classes
# (`runtime._class_expr`); `_collections_abc` and `typing_extensions` are where mypy finds some.
_NAMED_MODULES = frozenset(
    {
        "builtins",
        "typing",
        "typing_extensions",
        "collections",
        "collections.abc",
        "_collections_abc",
    }
)
_NAMED_PACKAGES = frozenset({"datetime", "decimal", "uuid", "pathlib", "fractions"})
# `runtime._class_expr`: a subclass of one of these is judged as the builtin (bool before int).
_BUILTIN_BASES = tuple(
    f"builtins.{name}" for name in ("bool", "str", "int", "float", "dict", "list", "tuple")
)
_COROUTINE = "typing.Coroutine"
_PYDANTIC_BASE = "pydantic.main.BaseModel"
_LOCAL_SUFFIX = re.compile(r"@\d+$")

_KINDS: dict[ArgKind, Kind] = {
    ARG_POS: Kind.POSITIONAL_OR_KEYWORD,
    ARG_OPT: Kind.POSITIONAL_OR_KEYWORD,
    ARG_STAR: Kind.VAR_POSITIONAL,
    ARG_NAMED: Kind.KEYWORD_ONLY,
    ARG_NAMED_OPT: Kind.KEYWORD_ONLY,
    ARG_STAR2: Kind.VAR_KEYWORD,
}


# --------------------------------------------------------------------------------------------
# types


class _Walk:
    """One translation: the alias path (to cut recursion), a node budget, and where the source
    of a class can be read."""

    def __init__(self, classes: ClassSource | None = None) -> None:
        self.aliases: list[object] = []
        self.nodes = 0
        self.classes = classes


def type_expr(t: Type, classes: ClassSource | None = None) -> TypeExpr:
    """Translate an annotation's mypy type; anything unexpected is UNKNOWN, never an error.
    `classes` finds the source of a plain class, whose attributes decide whether an instance
    can be an evaluation score."""
    try:
        return _type(t, _Walk(classes), 0)
    except Exception:
        return UNKNOWN


def _type(t: Type, walk: _Walk, depth: int) -> TypeExpr:
    walk.nodes += 1
    if depth > _MAX_DEPTH or walk.nodes > _MAX_NODES:
        return UNKNOWN
    if isinstance(t, TypeAliasType):
        alias = t.alias
        if alias is None or any(a is alias for a in walk.aliases):
            return UNKNOWN  # a recursive alias: what lies below was already judged above
        walk.aliases.append(alias)
        try:
            return _type(get_proper_type(t), walk, depth + 1)
        finally:
            walk.aliases.pop()
    p = get_proper_type(t)
    if isinstance(p, NoneType):
        return TypeExpr.named("builtins.None")
    if isinstance(p, AnyType):
        return TypeExpr.named("typing.Any") if p.type_of_any == TypeOfAny.explicit else UNKNOWN
    if isinstance(p, UnionType):
        return _union([_type(item, walk, depth + 1) for item in p.items])
    if isinstance(p, LiteralType):
        return _literal(p)
    if isinstance(p, TupleType):
        return TypeExpr.named("builtins.tuple", *(_type(i, walk, depth + 1) for i in p.items))
    if isinstance(p, TypedDictType):
        values = (_type(v, walk, depth + 1) for v in p.items.values())
        return TypeExpr.typeddict(_clean(p.fallback.type.fullname), *values)
    if isinstance(p, (CallableType, Overloaded)):
        return TypeExpr.named("collections.abc.Callable")
    if isinstance(p, TypeType):
        return TypeExpr.named("builtins.type", _type(p.item, walk, depth + 1))
    if isinstance(p, Instance):
        return _instance(p, walk, depth)
    return UNKNOWN  # type variables, Never, erased, partial, deleted, unbound, ...


def _clean(fullname: str) -> str:
    """`mod.Local@12` (a class defined in a function) -> `mod.Local`."""
    return _LOCAL_SUFFIX.sub("", fullname)


def _union(members: list[TypeExpr]) -> TypeExpr:
    # mypy splits `Literal["a", "b"]` into a union of one-value literals; typing keeps one.
    merged: list[TypeExpr] = []
    for member in members:
        if member.kind is TypeKind.LITERAL and merged and merged[-1].kind is TypeKind.LITERAL:
            merged[-1] = TypeExpr.literal(*merged[-1].values, *member.values)
        else:
            merged.append(member)
    return TypeExpr.union(*merged)


def _literal(p: LiteralType) -> TypeExpr:
    fallback = p.fallback.type
    if fallback.is_enum:
        return UNKNOWN  # the runtime adapter judges the member object itself; we cannot
    if fallback.fullname == "builtins.bytes" and isinstance(p.value, str):
        try:
            value: object = ast.literal_eval("b" + repr(p.value))
        except (ValueError, SyntaxError):
            return UNKNOWN
        return TypeExpr.literal(value)
    return TypeExpr.literal(p.value)


def _omitted(args: Sequence[Type]) -> bool:
    """`list` written without arguments: mypy fills in `Any`s the runtime never sees."""
    return all(
        isinstance(a := get_proper_type(arg), AnyType)
        and a.type_of_any == TypeOfAny.from_omitted_generics
        for arg in args
    )


def _instance(p: Instance, walk: _Walk, depth: int) -> TypeExpr:
    info = p.type
    if info.is_newtype and info.bases:
        return _type(info.bases[0], walk, depth + 1)  # a NewType is its supertype
    if info.typeddict_type is not None:
        return _type(info.typeddict_type, walk, depth + 1)
    if info.is_enum:
        return TypeExpr.named("enum.Enum")
    fullname = _clean(info.fullname)
    args = [] if _omitted(p.args) else list(p.args)
    module = info.module_name
    if module in _NAMED_MODULES or module.split(".")[0] in _NAMED_PACKAGES:
        if fullname == "builtins.tuple":  # tuple[X, ...]
            if not args:
                return TypeExpr.named(fullname)
            return TypeExpr.named(fullname, _type(args[0], walk, depth + 1), variadic=True)
        return TypeExpr.named(fullname, *(_type(a, walk, depth + 1) for a in args))
    if args:  # a parameterised user generic: typing gives the runtime an alias, not a class
        return TypeExpr.named(fullname, *(_type(a, walk, depth + 1) for a in args))
    if info.is_protocol:
        return UNKNOWN
    if info.tuple_type is not None:  # NamedTuple
        return _type(info.tuple_type, walk, depth + 1)
    for base in _BUILTIN_BASES:
        if info.has_base(base):
            return TypeExpr.named(base)
    return TypeExpr.cls(fullname, class_fields(info, walk.classes))


def class_fields(info: TypeInfo, classes: ClassSource | None = None) -> tuple[str, ...] | None:
    """A dataclass's or pydantic model's field names (what the runtime adapter reads), or the
    attributes a plain class's instances can have, read from its source as the other front
    ends read it."""
    fields = _declared_fields(info)
    if fields is not None or classes is None:
        return fields
    if not info.mro or info.mro[-1].fullname != "builtins.object":
        return None
    found: set[str] = set()
    for klass in info.mro[:-1]:  # what every class below `object` sets, across modules
        if klass.declared_metaclass is not None or klass.is_protocol:
            return None
        if _declared_fields(klass) is not None:
            return None  # a dataclass or model among the bases: not read here
        node = classes(klass)
        attributes = instance_attributes(node) if node is not None else None
        if attributes is None:
            return None
        found.update(attributes)
    return tuple(sorted(found))


def _declared_fields(info: TypeInfo) -> tuple[str, ...] | None:
    dataclass_meta = info.metadata.get("dataclass")
    if isinstance(dataclass_meta, dict):
        attributes = dataclass_meta.get("attributes")
        if isinstance(attributes, list):
            return tuple(
                str(a["name"])
                for a in attributes
                if isinstance(a, dict) and "name" in a and not a.get("is_init_var")
            )
    if any(base.fullname == _PYDANTIC_BASE for base in info.mro):
        names: dict[str, None] = {}
        for base in reversed(info.mro):
            if base.fullname == _PYDANTIC_BASE or base.module_name.split(".")[0] == "pydantic":
                continue
            for name, symbol in base.names.items():
                node = symbol.node
                if (
                    isinstance(node, Var)
                    and not name.startswith("_")
                    and not node.is_classvar
                    and not node.is_inferred
                ):
                    names[name] = None
        return tuple(names)
    return None


# --------------------------------------------------------------------------------------------
# callables


@dataclass(frozen=True)
class Origin:
    """What mypy knows about where a callable type comes from, beyond the type itself."""

    # the def / lambda behind it (names of positional-only parameters, `async def`)
    func: FuncItem | None = None
    # a class handed over: the constructor's signature, returning the instance
    type_object: bool = False
    # an instance with `__call__`: Phoenix calls it, but `inspect.iscoroutinefunction` says no
    call_method: bool = False
    # `functools.partial`: inspect turns what follows a keyword-bound parameter keyword-only
    partial: bool = False
    # (name, positional-only) of every parameter of the def, read from its source when mypy
    # loaded the def from its cache, which keeps no names of positional-only parameters
    source_args: tuple[tuple[str, bool], ...] | None = None
    # where the source of a plain class named in an annotation can be read
    classes: ClassSource | None = None


def def_arguments(func: FuncItem) -> list[Argument]:
    """A def's parameters as parsed; empty for a def mypy loaded from its cache (unset there)."""
    arguments: list[Argument] | None = getattr(func, "arguments", None)
    return arguments or []


def is_coroutine_type(t: Type) -> bool:
    p = get_proper_type(t)
    return isinstance(p, Instance) and p.type.fullname == _COROUTINE


def _unannotated(t: Type) -> bool:
    p = get_proper_type(t)
    return isinstance(p, AnyType) and p.type_of_any == TypeOfAny.unannotated


def _is_lambda(callee: CallableType, func: FuncItem | None) -> bool:
    return isinstance(func, LambdaExpr) or callee.name == "<lambda>"


def signature(callee: CallableType, origin: Origin = Origin()) -> Signature | None:
    """The neutral signature of a callable type, or None when mypy cannot see it as Phoenix will."""
    try:
        return _signature(callee, origin)
    except Exception:
        return None


def _signature(callee: CallableType, origin: Origin) -> Signature | None:
    if callee.is_ellipsis_args or callee.param_spec() is not None:
        return None  # Callable[..., X] / Callable[P, X]: the real parameters are unknown
    func = origin.func
    names = _names(callee, func, origin.source_args)
    if names is None:
        return None
    # A lambda's and an unannotated def's types are inferred, not written: no annotations.
    written = not callee.implicit and not _is_lambda(callee, func)
    params: list[Param] = []
    for (name, positional_only), kind, arg_type in zip(
        names, callee.arg_kinds, callee.arg_types, strict=True
    ):
        annotation = None
        if written and not _unannotated(arg_type):
            annotation = type_expr(arg_type, origin.classes)
        params.append(
            Param(
                name,
                Kind.POSITIONAL_ONLY if positional_only else _KINDS[kind],
                kind in (ARG_OPT, ARG_NAMED_OPT),
                annotation,
            )
        )
    if origin.partial:
        params = _partial_order(params)
    ret = callee.ret_type
    if origin.type_object:
        return Signature(tuple(params), type_expr(ret, origin.classes), False)
    if func is not None:
        is_async = func.is_coroutine and not func.is_async_generator
    else:  # no def to ask (a cached or declared type): an awaitable result means `async def`
        is_async = is_coroutine_type(ret)
    returns: TypeExpr | None = None
    if is_async:
        p = get_proper_type(ret)
        if isinstance(p, Instance) and p.type.fullname == _COROUTINE and len(p.args) == 3:
            ret = p.args[2]
    if written and not _unannotated(ret):
        returns = type_expr(ret, origin.classes)
    if origin.call_method and is_async:
        # `async def __call__`: the instance is not a coroutine function, its result is awaitable
        return Signature(tuple(params), TypeExpr.named(_COROUTINE, returns or UNKNOWN), False)
    return Signature(tuple(params), returns, is_async)


def _names(
    callee: CallableType,
    func: FuncItem | None,
    source_args: tuple[tuple[str, bool], ...] | None,
) -> list[tuple[str, bool]] | None:
    """(name, positional-only) per parameter; mypy drops positional-only names from types."""
    arguments: list[tuple[str, bool]] = []
    if func is not None and def_arguments(func):
        arguments = [(a.variable.name, a.pos_only) for a in def_arguments(func)]
    elif source_args is not None:
        arguments = list(source_args)
    offset = len(arguments) - len(callee.arg_kinds)
    out: list[tuple[str, bool]] = []
    for i, (name, kind) in enumerate(zip(callee.arg_names, callee.arg_kinds, strict=True)):
        if name is not None:
            out.append((name, False))
            continue
        if kind not in (ARG_POS, ARG_OPT, ARG_STAR, ARG_STAR2):
            return None
        if offset < 0 or not arguments:
            return None  # the def is not at hand (a cached module, a declared Callable)
        name, positional_only = arguments[i + offset]
        if not positional_only:
            return None  # not a name mypy drops: this type is not the def's (a join, say)
        out.append((name, kind in (ARG_POS, ARG_OPT)))
    return out


def _partial_order(params: list[Param]) -> list[Param]:
    """`inspect.signature(partial(f, b=1))`: mypy keeps `b` in place as keyword-only with a
    default; inspect makes every later positional parameter keyword-only too and drops `*args`.
    A keyword-only parameter before a positional one can only be such a keyword-bound one."""
    positional = (Kind.POSITIONAL_ONLY, Kind.POSITIONAL_OR_KEYWORD, Kind.VAR_POSITIONAL)
    for i, p in enumerate(params):
        if p.kind is Kind.KEYWORD_ONLY and any(q.kind in positional for q in params[i + 1 :]):
            head, tail = params[:i], params[i:]
            moved = [
                Param(q.name, Kind.KEYWORD_ONLY, q.has_default, q.annotation)
                if q.kind is Kind.POSITIONAL_OR_KEYWORD
                else q
                for q in tail
                if q.kind is not Kind.VAR_POSITIONAL
            ]
            return head + moved
    return params
