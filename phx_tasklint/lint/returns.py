"""The return type of a def without a return annotation, read from its own `return` statements.

Users rarely annotate returns, and the two most common result bugs show without one: a tuple
in the wrong order (`return label, score`) and a task returning something JSON cannot hold
(`return {1, 2}`). Each `return` of the def itself (not of a nested def, lambda or class) gives
one member of the type, and so does falling off the end (None): an evaluator that returns
nothing fails on every example. The type is read only when every member can be read
(`exprtypes`); when the members differ, the judge reports only what every one of them draws
(`Signature.returns_inferred` tells it so). Nothing is read from a stub (`...`, `pass`, a
docstring), a def that cannot end (it always raises), or a generator (`resolve` judges that).

Whether the end can be reached is decided on the statements alone: `return`, `raise`, a call of
a function known never to return (`sys.exit`, a def of the checked files annotated `NoReturn`,
or whose own body always raises), `assert False` and an endless `while True` stop a path.
A call of any other function is taken to return, which is what nearly every call does.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

from phx_tasklint.core.model import ReturnSource, TypeExpr, TypeKind
from phx_tasklint.lint.definitions import FUNCTIONS, FunctionNode, Lookup
from phx_tasklint.lint.exprtypes import ExprTypes
from phx_tasklint.lint.modules import Module

_NONE = TypeExpr.named("builtins.None")
# Functions that never return (they raise or end the process).
_NO_RETURN = frozenset(
    {
        "sys.exit",
        "os._exit",
        "os.abort",
        "builtins.exit",
        "builtins.quit",
        "pytest.fail",
        "pytest.skip",
        "pytest.xfail",
        "pytest.exit",
        "typing.assert_never",
        "typing_extensions.assert_never",
    }
)
_NO_RETURN_TYPES = frozenset(
    {"typing.NoReturn", "typing.Never", "typing_extensions.NoReturn", "typing_extensions.Never"}
)
# How many helpers deep a call is followed to see that it always raises.
_CALL_DEPTH = 2
_SCOPES = (*FUNCTIONS, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)

# A line of the module -> the line the user sees (inside a notebook cell or Markdown fence).
Lines = Callable[[int], int]


def inferred_returns(
    module: Module, node: FunctionNode, lookup: Lookup, shown: Lines
) -> tuple[TypeExpr, ReturnSource] | None:
    """(the type, where it was read) for a def without a return annotation, or None."""
    if _is_stub(node.body):
        return None
    types = ExprTypes(module, lookup)
    members: list[TypeExpr] = []
    lines: list[int] = []
    for statement in _own_returns(node):
        found = _NONE if statement.value is None else types.of(statement.value)
        if found.kind is TypeKind.UNKNOWN:
            return None
        members.append(found)
        lines.append(shown(statement.lineno))
    falls_off_at = None
    if _Flow(module, lookup).completes(node.body):
        members.append(_NONE)
        falls_off_at = shown(node.end_lineno or node.lineno)
    if not members:
        return None  # it always raises
    returns = TypeExpr.union(*dict.fromkeys(members))
    return returns, ReturnSource(tuple(lines), falls_off_at)


def _own_returns(fn: FunctionNode) -> list[ast.Return]:
    """The def's own `return` statements, in source order."""
    out: list[ast.Return] = []
    stack: list[ast.AST] = list(reversed(fn.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            out.append(node)
        if isinstance(node, (*_SCOPES, ast.expr)):
            continue  # `return` is a statement: no expression holds one
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _yields(fn: FunctionNode) -> bool:
    """Is `fn` a generator (a `yield` of its own, not of a nested def, lambda or class)?"""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _is_stub(body: Sequence[ast.stmt]) -> bool:
    """A body that only stands for one: a docstring, `...` and `pass`."""
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        value = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(value, ast.Constant) and (value.value is ... or isinstance(value.value, str)):
            continue
        return False
    return True


class _Flow:
    """Whether the end of a body can be reached, in one module. A call stops a path when it
    is of a function known never to return: one of `_NO_RETURN`, a def of the checked files
    annotated `NoReturn` / `Never`, or one whose own body always raises (a `fail(msg)` helper)."""

    def __init__(self, module: Module, lookup: Lookup, depth: int = 0) -> None:
        self.module = module
        self.lookup = lookup
        self.depth = depth

    def completes(self, body: Sequence[ast.stmt]) -> bool:
        """Can running `body` reach its end?"""
        return all(self.continues(statement) for statement in body)

    def continues(self, node: ast.stmt) -> bool:
        """Can a path go on after `node`?"""
        if isinstance(node, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return False  # a `break` or `continue` leaves the block; `loop` counts breaks
        if isinstance(node, ast.Assert):
            return not (isinstance(node.test, ast.Constant) and not node.test.value)
        if isinstance(node, ast.Expr):
            awaited = isinstance(node.value, ast.Await)
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            return not (isinstance(value, ast.Call) and self._never_returns(value.func, awaited))
        if isinstance(node, ast.If):
            return self.completes(node.body) or self.completes(node.orelse)
        if isinstance(node, _LOOPS):
            return self.loop(node)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            # a context manager that swallows an exception lets the end be reached: when
            # unsure, a path that ends here is taken to end (so nothing is reported on it)
            return self.completes(node.body)
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            return self.try_(node)
        if isinstance(node, ast.Match):
            ends = [self.completes(case.body) for case in node.cases]
            return any(ends) or not any(_catch_all(case) for case in node.cases)
        return True

    def loop(self, node: ast.For | ast.AsyncFor | ast.While) -> bool:
        """A loop ends through a `break`, or through its `else` when its test fails (`while
        True` never fails) or its iterable runs out."""
        if _breaks(node.body):
            return True
        endless = (
            isinstance(node, ast.While)
            and isinstance(node.test, ast.Constant)
            and bool(node.test.value)
        )
        return not endless and self.completes(node.orelse)

    def try_(self, node: ast.stmt) -> bool:
        body: list[ast.stmt] = getattr(node, "body", [])
        orelse: list[ast.stmt] = getattr(node, "orelse", [])
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        finalbody: list[ast.stmt] = getattr(node, "finalbody", [])
        if finalbody and not self.completes(finalbody):
            return False
        normal = self.completes(body) and self.completes(orelse)
        # any statement of the body may raise into a handler
        return normal or any(self.completes(h.body) for h in handlers)

    def _never_returns(self, func: ast.expr, awaited: bool) -> bool:
        names = self.module.qualified(func)
        if not names:
            return False
        if not _NO_RETURN.isdisjoint(names):
            return True
        if self.depth >= _CALL_DEPTH:
            return False  # a chain of helpers this long is taken to return
        return all(self._defined_never_returns(name, awaited) for name in names)

    def _defined_never_returns(self, qualified: str, awaited: bool) -> bool:
        found = self.lookup(qualified)
        if found is None:
            return False
        module, node = found
        if not isinstance(node, FUNCTIONS):
            return False
        if isinstance(node, ast.AsyncFunctionDef) != awaited or _yields(node):
            return False  # the call makes a coroutine or a generator, which runs nothing yet
        if node.returns is not None:
            return not _NO_RETURN_TYPES.isdisjoint(module.qualified(node.returns))
        if node.decorator_list or _is_stub(node.body) or _own_returns(node):
            return False  # a decorator may catch; a stub stands for a body not written yet
        return not _Flow(module, self.lookup, self.depth + 1).completes(node.body)


def _breaks(body: Sequence[ast.stmt]) -> bool:
    """Does a `break` of this loop (not of a nested one) occur in `body`?"""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return True
        if isinstance(node, (*_SCOPES, *_LOOPS, ast.expr)):
            if isinstance(node, _LOOPS):
                stack.extend(node.orelse)  # a break in a loop's `else` leaves the outer loop
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _catch_all(case: ast.match_case) -> bool:
    pattern = case.pattern
    return case.guard is None and isinstance(pattern, ast.MatchAs) and pattern.pattern is None
