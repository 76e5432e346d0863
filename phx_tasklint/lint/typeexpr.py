"""Annotation expressions -> TypeExpr, by qualified name; whatever cannot be resolved is UNKNOWN."""

from __future__ import annotations

import ast
from collections.abc import Callable

from phx_tasklint.core.model import UNKNOWN, TypeExpr

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
