"""Annotation expressions -> TypeExpr, by qualified name; whatever cannot be resolved is UNKNOWN.

`translate` knows the typing constructs; `annotation` feeds it the names of one checked module
and follows the classes and aliases defined in the checked files.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from phx_tasklint.core.attributes import instance_attributes
from phx_tasklint.core.model import UNKNOWN, TypeExpr
from phx_tasklint.lint.definitions import Lookup
from phx_tasklint.lint.modules import Module

_TYPEDDICT_BASES = frozenset({"typing.TypedDict", "typing_extensions.TypedDict"})
_NAMEDTUPLE_BASES = frozenset({"typing.NamedTuple"})
_ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"})
_DATACLASS = frozenset({"dataclasses.dataclass"})
_PYDANTIC = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
_NEWTYPE = frozenset({"typing.NewType", "typing_extensions.NewType"})
# Generic aliases from typing that mean a builtin or an ABC.
_ALIASES = {
    "typing.List": "builtins.list",
    "typing.Dict": "builtins.dict",
    "typing.Set": "builtins.set",
    "typing.FrozenSet": "builtins.frozenset",
    "typing.Tuple": "builtins.tuple",
    "typing.Type": "builtins.type",
    "typing_extensions.Literal": "typing.Literal",
    "typing_extensions.Annotated": "typing.Annotated",
    "typing_extensions.TypedDict": "typing.TypedDict",
    "typing_extensions.NewType": "typing.NewType",
    "typing_extensions.Any": "typing.Any",
    "typing.Callable": "collections.abc.Callable",
}
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_TRANSPARENT = frozenset({"typing.Annotated", "typing.Final", "typing.ClassVar"})
_KNOWN_ROOTS = frozenset(
    {
        "builtins",
        "typing",
        "typing_extensions",
        "collections",
        "datetime",
        "decimal",
        "uuid",
        "pathlib",
        "fractions",
        "enum",
        "numpy",
        "phoenix",
    }
)

# an expression (or a dotted name from a string annotation) -> its qualified name, or None
Resolver = Callable[[ast.expr], str | None]
# a qualified name defined in the checked tree -> its TypeExpr (classes, aliases), or None
LocalTypes = Callable[[str, int], TypeExpr | None]


def translate(
    node: ast.expr | None, resolve: Resolver, local: LocalTypes, depth: int = 0
) -> TypeExpr:
    if node is None or depth > 30:
        return UNKNOWN

    def again(child: ast.expr | None) -> TypeExpr:
        return translate(child, resolve, local, depth + 1)

    if isinstance(node, ast.Constant):
        if node.value is None:
            return TypeExpr.named("builtins.None")
        if isinstance(node.value, str):  # a string annotation: parse it and go on
            try:
                parsed = ast.parse(node.value.strip(), mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return UNKNOWN
            return again(parsed)
        return UNKNOWN
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return TypeExpr.union(again(node.left), again(node.right))
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = resolve(node)
        if name is None:
            return UNKNOWN
        return _named(_ALIASES.get(name, name), (), local, depth)
    if isinstance(node, ast.Subscript):
        base = resolve(node.value) if isinstance(node.value, (ast.Name, ast.Attribute)) else None
        if base is None:
            return UNKNOWN
        base = _ALIASES.get(base, base)
        inner = node.slice
        items: list[ast.expr] = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if base in _TRANSPARENT:
            return again(items[0]) if items else UNKNOWN
        if base in _UNION:
            return TypeExpr.union(*(again(i) for i in items))
        if base in _OPTIONAL:
            return TypeExpr.union(*(again(i) for i in items), TypeExpr.named("builtins.None"))
        if base == "typing.Literal":
            try:
                return TypeExpr.literal(*(ast.literal_eval(i) for i in items))
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return UNKNOWN
        if base == "collections.abc.Callable":
            return TypeExpr.named(base)
        if base == "builtins.tuple":
            if len(items) == 2 and isinstance(items[1], ast.Constant) and items[1].value is ...:
                return TypeExpr.named(base, again(items[0]), variadic=True)
            if isinstance(inner, ast.Tuple) and not inner.elts:
                return TypeExpr.named(base)
        return _named(base, tuple(again(i) for i in items), local, depth)
    return UNKNOWN


def _named(name: str, args: tuple[TypeExpr, ...], local: LocalTypes, depth: int) -> TypeExpr:
    found = local(name, depth + 1)
    if found is not None:
        return found
    if name in ("typing.Any", "builtins.object"):
        return TypeExpr.named(name)
    # A name from a module we cannot see could be anything; only stdlib and builtins are known.
    if name.split(".", 1)[0] in _KNOWN_ROOTS:
        return TypeExpr.named(name, *args)
    return UNKNOWN


def annotation(module: Module, node: ast.expr, lookup: Lookup, depth: int = 0) -> TypeExpr:
    """An annotation written in `module`, its names resolved there; `lookup` finds the classes,
    aliases and NewTypes defined in the checked files."""

    def resolve(n: ast.expr) -> str | None:
        names = module.qualified(n) if n in module.parents else ()
        if not names:  # a name from a string annotation: resolve it from the top level
            names = module.qualified_in_module(ast.unparse(n))
        return names[0] if len(names) == 1 else None

    def local(name: str, depth: int) -> TypeExpr | None:
        if depth > 20:
            return UNKNOWN
        found = lookup(name)
        if found is None:
            return None
        return _defined_type(*found, lookup, depth)

    return translate(node, resolve, local, depth)


def _defined_type(module: Module, node: ast.AST, lookup: Lookup, depth: int) -> TypeExpr:
    """The type a top-level definition of a checked module names."""
    if isinstance(node, ast.ClassDef):
        return class_type(module, node, lookup, depth + 1)
    if isinstance(node, ast.Call):  # NewType("X", base)
        if not _NEWTYPE.isdisjoint(module.qualified(node.func)) and len(node.args) == 2:
            return annotation(module, node.args[1], lookup, depth + 1)
        return UNKNOWN
    if isinstance(node, ast.expr):  # a type alias, perhaps a recursive one
        return annotation(module, node, lookup, depth + 1)
    return UNKNOWN


def class_type(module: Module, node: ast.ClassDef, lookup: Lookup, depth: int) -> TypeExpr:
    """The type an instance of a class defined in the checked files has, as far as its bases and
    decorators tell."""
    bases = {q for b in node.bases for q in module.qualified(b)}
    qualified = f"{module.name}.{node.name}"
    fields = tuple(name for name, _ in _class_fields(node))
    if bases & _TYPEDDICT_BASES:
        return TypeExpr.typeddict(
            qualified,
            *(annotation(module, ann, lookup, depth + 1) for _, ann in _class_fields(node)),
        )
    if bases & _ENUM_BASES:
        return TypeExpr.named("enum.Enum")
    if bases & _NAMEDTUPLE_BASES:
        return TypeExpr.named(
            "builtins.tuple",
            *(annotation(module, ann, lookup, depth + 1) for _, ann in _class_fields(node)),
        )
    for base in (
        "builtins.dict",
        "builtins.list",
        "builtins.str",
        "builtins.int",
        "builtins.float",
    ):
        if base in bases:
            return TypeExpr.named(base)
    decorators = {
        q
        for d in node.decorator_list
        for q in module.qualified(d.func if isinstance(d, ast.Call) else d)
    }
    if decorators & _DATACLASS or bases & _PYDANTIC:
        return TypeExpr.cls(qualified, fields)
    if bases - {"builtins.object"} and _plain_bases(module, node, lookup, depth) is None:
        return UNKNOWN  # a base we cannot see might make it anything
    return TypeExpr.cls(qualified, plain_attributes(module, node, lookup, depth))


def plain_attributes(
    module: Module, node: ast.ClassDef, lookup: Lookup, depth: int
) -> tuple[str, ...] | None:
    """The attributes an instance of a plain class can have: its own (`instance_attributes`)
    and those it inherits from plain classes the checked files define. None when any class on
    the way is not plain, or is not seen."""
    own = instance_attributes(node)
    inherited = _plain_bases(module, node, lookup, depth)
    if own is None or inherited is None:
        return None
    return tuple(sorted({*own, *inherited}))


def _plain_bases(
    module: Module, node: ast.ClassDef, lookup: Lookup, depth: int
) -> tuple[str, ...] | None:
    """What instances inherit from the bases of `node` (None: a base is not a plain class of
    the checked files)."""
    if depth > 20:
        return None
    out: set[str] = set()
    for base in node.bases:
        names = set(module.qualified(base))
        if names == {"builtins.object"}:
            continue
        found = lookup(names.pop()) if len(names) == 1 else None
        if found is None or not isinstance(found[1], ast.ClassDef):
            return None
        inherited = plain_attributes(found[0], found[1], lookup, depth + 1)
        if inherited is None:
            return None
        out.update(inherited)
    return tuple(out)


def _class_fields(cls: ast.ClassDef) -> list[tuple[str, ast.expr]]:
    return [
        (stmt.target.id, stmt.annotation)
        for stmt in cls.body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    ]
