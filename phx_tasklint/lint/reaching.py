"""Which bindings of one name reach each statement of a scope, following the order Python runs
the statements in.

A notebook is one module run cell by cell and a Markdown page is its fences in order, so both
reach this walk as one body in source order. A binding kills the ones before it; branches
(`if`, `try`, `match`) merge what each path leaves; a loop body may run zero or more times, and
what its end binds reaches its start on the next pass; a path that `return`s, `raise`s,
`break`s or `continue`s stops there. Where an exception may come from anywhere in a `try` body,
its handlers start from every state the body passed through.

The bindings of the name are bits of an int (bit i: the i-th binding in source order); a state
is the set of bindings one of which is in force, or None where no path arrives. The walk visits
statements only, never expressions: `Effects` says, per statement (or `except` handler, or
`case`), what it binds, worked out beforehand from the bindings the module recorded.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

State = int | None


@dataclass(frozen=True)
class Effects:
    """What one statement, handler or case does to the name (bit masks of its bindings)."""

    after: int = 0  # bound once the statement completes, replacing what was in force
    header: int = 0  # bound on entry to its body: `for` targets, `with ... as`, `except ... as`,
    #                  the captures of a `case`
    inline: int = 0  # bound by a walrus in its own expressions: perhaps, so merged
    local: int = 0  # bound by a comprehension in it: seen inside that comprehension only


NO_EFFECTS = Effects()


@dataclass(frozen=True)
class Flow:
    """The states a walk found: before each statement (handler, case) of the scope, and at the
    end of its body (None when no path gets there)."""

    before: Mapping[ast.AST, int]
    end: State


def walk(
    body: Sequence[ast.stmt], name: str, effects: Mapping[ast.AST, Effects], start: int
) -> Flow:
    """Walk a scope's body for one name; `start` is what is in force on entry (parameters)."""
    walker = _Walker(name, effects)
    end = walker.block(body, start)
    return Flow(walker.before, end)


def _join(*states: State) -> State:
    out: State = None
    for state in states:
        if state is not None:
            out = state if out is None else out | state
    return out


class _Walker:
    def __init__(self, name: str, effects: Mapping[ast.AST, Effects]) -> None:
        self.name = name
        self.effects = effects
        self.before: dict[ast.AST, int] = {}
        # per enclosing `try` (innermost last): every state an exception may leave its body in
        self.catching: list[int] = []
        # per enclosing loop (innermost last): the states at its `break`s and `continue`s
        self.loops: list[tuple[list[int], list[int]]] = []

    def block(self, body: Sequence[ast.stmt], state: State) -> State:
        for node in body:
            if state is None:
                return None  # the rest is never reached
            state = self.statement(node, state)
        return state

    def enter(self, node: ast.AST, state: int) -> Effects:
        """Record what is in force when `node` starts (visits merge: loops, `finally`)."""
        effects = self.effects.get(node, NO_EFFECTS)
        self.before[node] = self.before.get(node, 0) | state | effects.inline | effects.local
        for i in range(len(self.catching)):
            self.catching[i] |= state
        return effects

    def statement(self, node: ast.stmt, state: int) -> State:
        effects = self.enter(node, state)
        state |= effects.inline
        compound = _COMPOUND.get(type(node))
        if compound is not None:
            return compound(self, node, state, effects)
        if isinstance(node, (ast.Return, ast.Raise)):
            return None
        if isinstance(node, (ast.Break, ast.Continue)):
            if self.loops:
                self.loops[-1][isinstance(node, ast.Continue)].append(state)
            return None
        if isinstance(node, ast.Delete) and any(
            isinstance(t, ast.Name) and t.id == self.name for t in node.targets
        ):
            return 0  # unbound
        return effects.after or state

    def loop(
        self, body: Sequence[ast.stmt], before: int, entry: Callable[[int], int]
    ) -> tuple[int, list[int]]:
        """Run a loop body until what reaches its start stops growing: (that state, the states
        at its `break`s)."""
        head = before
        while True:
            breaks: list[int] = []
            continues: list[int] = []
            self.loops.append((breaks, continues))
            end = self.block(body, entry(head))
            self.loops.pop()
            grown = _join(before, end, *continues)
            if grown == head:
                return head, breaks
            head = grown or 0

    def if_(self, node: ast.AST, state: int, effects: Effects) -> State:
        branch = cast(ast.If, node)
        return _join(self.block(branch.body, state), self.block(branch.orelse, state))

    def while_(self, node: ast.AST, state: int, effects: Effects) -> State:
        loop = cast(ast.While, node)

        def entry(head: int) -> int:
            self.enter(loop, head)  # the test runs again before every pass
            return head | effects.inline

        head, breaks = self.loop(loop.body, state, entry)
        endless = isinstance(loop.test, ast.Constant) and bool(loop.test.value)
        return _join(None if endless else self.block(loop.orelse, head), *breaks)

    def for_(self, node: ast.AST, state: int, effects: Effects) -> State:
        loop = cast(ast.For, node)  # or AsyncFor: the same fields
        head, breaks = self.loop(loop.body, state, lambda head: effects.header or head)
        return _join(self.block(loop.orelse, head), *breaks)

    def with_(self, node: ast.AST, state: int, effects: Effects) -> State:
        return self.block(cast(ast.With, node).body, effects.header or state)

    def try_(self, node: ast.AST, state: int, effects: Effects) -> State:
        statement = cast(ast.Try, node)  # or TryStar (3.11): the same fields
        self.catching.append(state)
        end = self.block(statement.body, state)
        raised = self.catching.pop()
        if statement.finalbody:
            self.catching.append(0)  # what `else` and the handlers pass through, for `finally`
        ends = [self.block(statement.orelse, end)]
        for handler in statement.handlers:
            caught = self.enter(handler, raised)
            handled = self.block(handler.body, (caught.header or raised) | caught.inline)
            if handler.name == self.name and handled is not None:
                handled = 0  # Python deletes the `except ... as` name when the handler ends
            ends.append(handled)
        normal = _join(*ends)
        if not statement.finalbody:
            return normal
        abrupt = self.catching.pop()
        # `finally` runs on every way out: what it may see, then what follows it normally
        self.block(statement.finalbody, _join(normal, raised, abrupt))
        return self.block(statement.finalbody, normal)

    def match(self, node: ast.AST, state: int, effects: Effects) -> State:
        statement = cast(ast.Match, node)
        ends: list[State] = []
        for case in statement.cases:
            matched = self.enter(case, state)
            ends.append(self.block(case.body, (matched.header or state) | matched.inline))
        last = statement.cases[-1] if statement.cases else None
        catch_all = (
            last is not None
            and last.guard is None
            and isinstance(last.pattern, ast.MatchAs)
            and last.pattern.pattern is None
        )
        return _join(*ends, None if catch_all else state)


_COMPOUND: dict[type, Callable[[_Walker, ast.AST, int, Effects], State]] = {
    ast.If: _Walker.if_,
    ast.While: _Walker.while_,
    ast.For: _Walker.for_,
    ast.AsyncFor: _Walker.for_,
    ast.With: _Walker.with_,
    ast.AsyncWith: _Walker.with_,
    ast.Try: _Walker.try_,
    ast.Match: _Walker.match,
}
if hasattr(ast, "TryStar"):  # Python 3.11
    _COMPOUND[ast.TryStar] = _Walker.try_
