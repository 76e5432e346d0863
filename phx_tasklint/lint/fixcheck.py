"""Whether `--fix` could make a fix, told from `ast`: the linter offers (and counts) only those.

`--fix` plans its edits with libcst's scopes (`fixplan`), which the linter does not import. This
module asks the same questions of the def or lambda's `ast`: a rename needs a new name that no
code in the function already means and an old one used only as a plain name, with no `global` /
`nonlocal` of it and no `locals()` / `vars()` / `eval()` / `exec()`; `*args` is removed only when
nothing reads it; an annotation given a `None` default must be one `optional` can widen. Where
the two could differ (a name read in a function nested two deep, under a middle one that binds
it), this side refuses; `--fix` checks again in any case.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Iterable, Iterator

from phx_tasklint.core.model import Edit, Fix
from phx_tasklint.lint.optional import NoneSpelling

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, *_COMPREHENSIONS)


def refusal(fix: Fix, function: Function, spelling: NoneSpelling | None) -> str | None:
    """Why `--fix` would not make `fix` in `function` (None: it would). `spelling` is the
    module's (`optional.none_spelling`), None when no edit widens an annotation."""
    params = {arg.arg: arg for arg in _arguments(function.args)}
    renames = [e for e in fix.edits if e.action == "rename"]
    targets = [e.new_name for e in renames]
    for edit in fix.edits:
        arg = params.get(edit.param)
        if arg is None:
            return f"`{edit.param}` is not a parameter of the def"
        if edit.action == "rename":
            why = _rename_refusal(function, edit, params, targets)
        elif edit.action == "remove":
            why = _remove_refusal(function, edit.param, arg)
        else:
            why = _default_refusal(function, edit, arg, spelling)
        if why is not None:
            return why
    return None


def _rename_refusal(
    function: Function, edit: Edit, params: dict[str, ast.arg], targets: list[str | None]
) -> str | None:
    old, new = edit.param, edit.new_name
    if new is None or not new.isidentifier() or keyword.iskeyword(new):
        return f"`{new}` is not a name"
    if new in params or targets.count(new) > 1:
        return f"two parameters would be named `{new}`"
    body = _body(function)
    if _introspects(body):
        return "the body reads its names by string (locals(), vars(), eval(), exec())"
    if _declared(body, old) or _declared(body, new):
        return f"`global` / `nonlocal` names `{old}` or `{new}`"
    if _bound_otherwise(body, old):
        return f"`{old}` is also bound by an import, a def, a class or an `except ... as`"
    if _occurs(body, new):
        return f"the body already uses the name `{new}`"
    return None


def _remove_refusal(function: Function, name: str, arg: ast.arg) -> str | None:
    if arg is not function.args.vararg:
        return f"`{name}` is not `*{name}`"
    body = _body(function)
    if _introspects(body) or _occurs(body, name) or _declared(body, name):
        return f"the body uses `{name}`"
    return None


def _default_refusal(
    function: Function, edit: Edit, arg: ast.arg, spelling: NoneSpelling | None
) -> str | None:
    if arg in (function.args.vararg, function.args.kwarg):
        return f"`{edit.param}` is starred"
    annotation = arg.annotation
    if not edit.admit_none or annotation is None:
        return None
    why = f"the annotation of `{edit.param}` cannot be widened to admit None"
    if spelling is None:
        return why
    if isinstance(annotation, ast.Constant):
        if not isinstance(annotation.value, str) or not _compiles(annotation.value):
            return why
    elif isinstance(annotation, ast.JoinedStr):
        return why
    elif spelling.future_annotations:
        return None  # `X | None` needs no import
    # `Optional[X]` may be needed (below Python 3.10 always; for a string on any version)
    return why if spelling.optional(function.lineno) is None else None


def _compiles(text: str) -> bool:
    try:
        compile(text, "<string>", "eval", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Names in a function's body


def _arguments(args: ast.arguments) -> list[ast.arg]:
    every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    return [arg for arg in every if arg is not None]


def _body(function: Function) -> list[ast.AST]:
    return [function.body] if isinstance(function, ast.Lambda) else list(function.body)


def _walk(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    for node in nodes:
        yield from ast.walk(node)


def _introspects(body: list[ast.AST]) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _INTROSPECTION
        for node in _walk(body)
    )


def _declared(body: list[ast.AST], name: str) -> bool:
    """`global name` / `nonlocal name` anywhere inside."""
    return any(
        isinstance(node, ast.Global | ast.Nonlocal) and name in node.names for node in _walk(body)
    )


def _bound_otherwise(body: list[ast.AST], name: str) -> bool:
    """`name` bound in the function's own scope other than by assignment to a plain name."""
    return any(_binding_name(node) == name for node in _own_scope(body, name))


def _occurs(body: list[ast.AST], name: str) -> bool:
    """Whether a plain name `name` in the body means the function's own `name`, or something
    else binds it there (an import, a def, a class)."""
    return any(
        (isinstance(node, ast.Name) and node.id == name) or _binding_name(node) == name
        for node in _own_scope(body, name)
    )


def _binding_name(node: ast.AST) -> str | None:
    """The name a node binds other than a plain name's assignment: an import, a def or class,
    an `except ... as`, a match capture."""
    if isinstance(node, ast.alias):
        return None if node.name == "*" else node.asname or node.name.split(".")[0]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
        return node.name
    if isinstance(node, ast.MatchMapping):
        return node.rest
    return None


def _own_scope(body: list[ast.AST], name: str) -> Iterator[ast.AST]:
    """Every node whose names resolve in the function's scope for `name`: nested scopes are
    looked into unless they bind `name` themselves (what they evaluate outside, such as a
    default or the first iterable of a comprehension, always is). A class is looked into
    (conservatively: its own bindings would hide the name from its body only)."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            outside, inside = _parts(node)
            stack += outside
            if isinstance(node, ast.ClassDef) or not _binds(node, name, inside):
                stack += inside
        else:
            stack += ast.iter_child_nodes(node)


def _parts(node: ast.AST) -> tuple[list[ast.AST], list[ast.AST]]:
    """What a scope node evaluates in the enclosing scope, and what in its own."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = node.args
        outside: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d)]
        if not isinstance(node, ast.Lambda):
            outside += node.decorator_list
            outside += [a.annotation for a in _arguments(args) if a.annotation is not None]
            outside += [node.returns] if node.returns is not None else []
        return outside, _body(node)
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords], list(node.body)
    assert isinstance(node, _COMPREHENSIONS)
    first, *rest = node.generators
    inside: list[ast.AST] = [first.target, *first.ifs, *rest]
    inside += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return [first.iter], inside


def _binds(node: ast.AST, name: str, inside: list[ast.AST]) -> bool:
    """Whether scope `node` binds `name` itself (and so hides the enclosing one from its
    body)."""
    if isinstance(node, _COMPREHENSIONS):
        return any(
            isinstance(n, ast.Name) and n.id == name
            for g in node.generators
            for n in ast.walk(g.target)
        )
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    if any(arg.arg == name for arg in _arguments(node.args)):
        return True
    if _declared(inside, name):
        return False
    return any(
        (isinstance(child, ast.Name) and child.id == name and not isinstance(child.ctx, ast.Load))
        or _binding_name(child) == name
        for child in _own_scope(inside, name)
    )


def passed_by_keyword(calls: Iterable[ast.Call], function: Function, fix: Fix) -> str | None:
    """A parameter the fix renames that a call of the def in this file passes by keyword
    (`score(output, prompt=...)`, `self.score(prompt=...)`): the rename would break that call,
    so it is not made. A call is the def's when it names it, a lambda's whenever it could be;
    calls in other files are not seen."""
    renamed = {e.param for e in fix.edits if e.action == "rename"}
    if not renamed:
        return None
    name = None if isinstance(function, ast.Lambda) else function.name
    for call in calls:
        func = call.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name is not None and called != name:
            continue
        for kw in call.keywords:
            if kw.arg in renamed:
                return f"a call in this file passes `{kw.arg}` by keyword"
    return None
