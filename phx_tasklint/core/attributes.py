"""The attributes an instance of a plain class can have, read from the class's source alone.

Phoenix's default scorer accepts an object with every attribute of its `EvaluationScore`
protocol, so whether an instance is a score depends on its attributes. The three front ends
read them here from the same `ast.ClassDef` (the linter from the file it checks, the runtime
from `inspect.getsource`, the mypy plugin from the module's source), so that they know the same
fields for the same class. Whatever could add an attribute unseen makes the answer unknown.
"""

from __future__ import annotations

import ast

# Members through which an instance gets attributes its body does not spell.
DYNAMIC_MEMBERS = frozenset(
    {
        "__getattr__",
        "__getattribute__",
        "__setattr__",
        "__slots__",
        "__new__",
        "__init_subclass__",
        "__class__",
    }
)
# Names that read or write attributes by string or through the namespace.
_REFLECTION = frozenset({"setattr", "vars", "locals", "globals", "exec", "eval", "__import__"})
# Builtins that read an object and keep no reference to it: handing `self` to them is safe.
_READERS = frozenset(
    {"type", "isinstance", "id", "repr", "str", "hash", "len", "print", "format", "super", "bool"}
)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
Method = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def instance_attributes(cls: ast.ClassDef) -> tuple[str, ...] | None:
    """Every name an instance of `cls` (with no base but `object`) can have as an attribute:
    the names its body binds and the attributes its methods store through their first
    parameter. None when the body could add others unseen: a decorator or metaclass, a dynamic
    member (`__getattr__`, `__slots__`, ...), reflection (`setattr`, `vars`, `__dict__`), or a
    method that hands its instance on (`helper(self)`), since the callee may set anything."""
    if cls.decorator_list or cls.keywords:
        return None
    for node in ast.walk(cls):
        if isinstance(node, ast.Name) and node.id in _REFLECTION:
            return None
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return None
    names: set[str] = set()
    methods: list[Method] = []
    for node in _body_nodes(cls):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
            methods.append(node)
        elif isinstance(node, ast.Lambda):
            methods.append(node)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    for method in methods:
        stored = _stored_through_first(method)
        if stored is None:
            return None
        names |= stored
    if names & DYNAMIC_MEMBERS:
        return None
    return tuple(sorted(names))


def _body_nodes(cls: ast.ClassDef) -> list[ast.AST]:
    """The nodes of a class body, nested scopes included as nodes but not entered; an
    annotation without a value binds nothing."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(cls.body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, _SCOPES):
            continue
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.AnnAssign) and node.value is None:
            children = []
        stack.extend(reversed(children))
    return out


def _stored_through_first(method: Method) -> set[str] | None:
    """The attributes a method stores on its first parameter (`self.x = ...`), or None when it
    may hand that parameter to code that could store others (`helper(self)`, `x = self`).
    Reaching an attribute, returning it, comparing it and the read-only builtins are safe. A
    staticmethod's first parameter is read the same way: that only adds names or gives up,
    both on the safe side."""
    args = method.args
    positional = [*args.posonlyargs, *args.args]
    if not positional:
        return None if args.vararg is not None else set()
    first = positional[0].arg
    parents: dict[ast.AST, ast.AST] = {}
    uses: list[ast.Name] = []
    for node in ast.walk(method):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
        if isinstance(node, ast.Name) and node.id == first:
            uses.append(node)
    stored: set[str] = set()
    for use in uses:
        parent = parents.get(use)
        if isinstance(parent, ast.Attribute) and parent.value is use:
            if isinstance(parent.ctx, (ast.Store, ast.Del)):
                stored.add(parent.attr)
        elif not _harmless(use, parent):
            return None
    return stored


def _harmless(use: ast.Name, parent: ast.AST | None) -> bool:
    if isinstance(parent, (ast.Return, ast.Compare, ast.FormattedValue)):
        return True
    return (
        isinstance(parent, ast.Call)
        and use in parent.args
        and isinstance(parent.func, ast.Name)
        and parent.func.id in _READERS
    )
