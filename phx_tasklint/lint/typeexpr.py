"""CST annotations -> TypeExpr, by qualified name; whatever cannot be resolved is UNKNOWN."""

from __future__ import annotations

import ast
from collections.abc import Callable

import libcst as cst

from phx_tasklint.model import UNKNOWN, TypeExpr

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
_UNION = frozenset({"typing.Union"})
_OPTIONAL = frozenset({"typing.Optional"})
_TRANSPARENT = frozenset({"typing.Annotated", "typing.Final", "typing.ClassVar"})


# name resolver: a Name/Attribute node -> qualified name, or None
Resolver = Callable[[cst.BaseExpression], str | None]
# a qualified name defined in the checked tree -> its TypeExpr (classes, aliases), or None
LocalTypes = Callable[[str, int], TypeExpr | None]


def translate(
    node: cst.BaseExpression | None,
    resolve: Resolver,
    local: LocalTypes,
    parse_string: Callable[[str], cst.BaseExpression | None],
    depth: int = 0,
) -> TypeExpr:
    if node is None or depth > 30:
        return UNKNOWN

    def again(child: cst.BaseExpression | None) -> TypeExpr:
        return translate(child, resolve, local, parse_string, depth + 1)

    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            text = node.evaluated_value
        except Exception:
            return UNKNOWN
        if not isinstance(text, str):
            return UNKNOWN
        parsed = parse_string(text)
        return again(parsed) if parsed is not None else UNKNOWN
    if isinstance(node, cst.Name) and node.value == "None":
        return TypeExpr.named("builtins.None")
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return TypeExpr.union(again(node.left), again(node.right))
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = resolve(node)
        if name is None:
            return UNKNOWN
        return _named(_ALIASES.get(name, name), (), resolve, local, depth)
    if isinstance(node, cst.Subscript):
        base = resolve(node.value) if isinstance(node.value, (cst.Name, cst.Attribute)) else None
        if base is None:
            return UNKNOWN
        base = _ALIASES.get(base, base)
        items = [el.slice.value for el in node.slice if isinstance(el.slice, cst.Index)]
        if base in _TRANSPARENT:
            return again(items[0]) if items else UNKNOWN
        if base in _UNION:
            return TypeExpr.union(*(again(i) for i in items))
        if base in _OPTIONAL:
            return TypeExpr.union(*(again(i) for i in items), TypeExpr.named("builtins.None"))
        if base == "typing.Literal":
            values: list[object] = []
            for item in items:
                try:
                    values.append(ast.literal_eval(cst.Module([]).code_for_node(item)))
                except Exception:
                    return UNKNOWN
            return TypeExpr.literal(*values)
        if base == "collections.abc.Callable":
            return TypeExpr.named(base)
        if base == "builtins.tuple":
            if len(items) == 2 and isinstance(items[1], cst.Ellipsis):
                return TypeExpr.named(base, again(items[0]), variadic=True)
            if len(items) == 1 and isinstance(items[0], cst.Tuple) and not items[0].elements:
                return TypeExpr.named(base)
        return _named(base, tuple(again(i) for i in items), resolve, local, depth)
    return UNKNOWN


def _named(
    name: str, args: tuple[TypeExpr, ...], resolve: Resolver, local: LocalTypes, depth: int
) -> TypeExpr:
    found = local(name, depth + 1)
    if found is not None:
        return found
    if name in ("typing.Any", "builtins.object"):
        return TypeExpr.named(name)
    # A name from a module we cannot see could be anything; only stdlib and builtins are known.
    root = name.split(".", 1)[0]
    if root in _KNOWN_ROOTS:
        return TypeExpr.named(name, *args)
    return UNKNOWN


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
