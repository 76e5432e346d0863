"""Where `--fix` can give libcst one statement instead of the module: whole-line spans, from `ast`.

libcst keeps every byte, but it is slow on a whole module, its scope analysis most of all; and
everything a fix plans with lies inside the definition it edits (see `fixes`). So each def with
a fixed parameter, decorators included (for a lambda: the statement around it), is cut out by
whole lines, and only that text goes to libcst; the rewrite is spliced back. A cut holds whole
statements: its statement has nothing but indentation before it on its first line and nothing
but a comment after it on its last. A statement that shares a line (`x = 1; f = lambda ...`,
`if c: f = lambda ...`) gives way to the statement around it; at module level there is none,
and the caller gives libcst the whole module.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

_NEWLINE = re.compile(r"\r\n|\r|\n")
_BLANK = " \t\f"  # what may stand before a statement on its line


class Lines:
    """A text's lines, numbered as Python numbers them (ends: \\r\\n, \\r, \\n)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    def offset(self, number: int) -> int:
        """Where 1-based line `number` starts; the text's length past the last line."""
        return self.starts[number - 1] if number <= len(self.starts) else len(self.text)

    def line(self, number: int) -> str:
        """1-based line `number` without its line ending."""
        return self.text[self.offset(number) : self.offset(number + 1)].rstrip("\r\n")

    def ending(self, number: int) -> str:
        """The line ending of 1-based line `number` ("\\n" for a last line without one)."""
        whole = self.text[self.offset(number) : self.offset(number + 1)]
        return whole[len(whole.rstrip("\r\n")) :] or "\n"

    def indentation(self, number: int) -> str:
        line = self.line(number)
        return line[: len(line) - len(line.lstrip(_BLANK))]


@dataclass(frozen=True, order=True)
class Span:
    """Lines `first` to `last` (1-based, inclusive)."""

    first: int
    last: int


def spans(tree: ast.Module, lines: Lines, param_lines: Iterable[int]) -> list[Span] | None:
    """Spans holding every def or lambda that has a parameter on one of `param_lines`: the
    outermost ones (a span inside another merges into it), in file order. None when one of
    those definitions has no span (its statement, and every statement around it, shares a line
    with another statement)."""
    found: list[Span] = []
    for line in sorted(set(param_lines)):
        for statement, ancestors in _owners(tree, line):
            span = _span(statement, ancestors, lines)
            if span is None:
                return None
            found.append(span)
    outermost: list[Span] = []
    for span in sorted(found, key=lambda s: (s.first, -s.last)):
        if not outermost or span.first > outermost[-1].last:
            outermost.append(span)
    return outermost


def containing(spans: Sequence[Span], line: int) -> Span | None:
    """The span of `spans` (disjoint, in order) that holds `line`."""
    index = bisect.bisect_right(spans, line, key=lambda s: s.first) - 1
    if index >= 0 and spans[index].last >= line:
        return spans[index]
    return None


# --------------------------------------------------------------------------------------------
# Which statements own a parameter on a line

Ancestors = tuple[ast.stmt, ...]


def _owners(tree: ast.Module, line: int) -> Iterator[tuple[ast.stmt, Ancestors]]:
    """Each statement that is a def with a parameter on `line`, or that holds a lambda with
    one outside its blocks; with the statements around it, outermost first. Only statements
    whose lines hold `line` are looked into."""
    stack: list[tuple[Sequence[ast.stmt], Ancestors]] = [(tree.body, ())]
    while stack:
        body, ancestors = stack.pop()
        for statement in _holding(body, line):
            if _def_on(statement, line) or _lambda_on(statement, line):
                yield statement, ancestors
            for block in _blocks(statement):
                stack.append((block, (*ancestors, statement)))


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None)
    return decorators[0].lineno if decorators else statement.lineno


def _last_line(statement: ast.stmt) -> int:
    return statement.end_lineno or statement.lineno


def _holding(body: Sequence[ast.stmt], line: int) -> Iterator[ast.stmt]:
    """The statements of one block whose lines hold `line` (several when they share it)."""
    index = bisect.bisect_right(body, line, key=_first_line) - 1
    while index >= 0 and _last_line(body[index]) >= line:
        yield body[index]
        index -= 1


def _blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists inside `statement`: bodies, `else`, `finally`, handlers, cases."""
    for _, value in ast.iter_fields(statement):
        if isinstance(value, list) and value:
            if isinstance(value[0], ast.stmt):
                yield value
            elif isinstance(value[0], ast.excepthandler | ast.match_case):
                for part in value:
                    yield part.body


def _outside_blocks(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes directly under a statement that are not statements (a handler's or case's
    header is looked into)."""
    for _, value in ast.iter_fields(node):
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.excepthandler | ast.match_case):
                yield from _outside_blocks(item)
            elif isinstance(item, ast.AST) and not isinstance(item, ast.stmt):
                yield item


def _param_on(args: ast.arguments, line: int) -> bool:
    every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    return any(arg is not None and arg.lineno == line for arg in every)


def _def_on(statement: ast.stmt, line: int) -> bool:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        return _param_on(statement.args, line)
    return False


def _lambda_on(statement: ast.stmt, line: int) -> bool:
    """Whether a lambda with a parameter on `line` is in `statement`, outside its blocks."""
    stack = list(_outside_blocks(statement))
    while stack:
        node = stack.pop()
        start = getattr(node, "lineno", None)
        if start is not None and not start <= line <= (getattr(node, "end_lineno", 0) or start):
            continue  # nothing on `line` inside
        if isinstance(node, ast.Lambda) and _param_on(node.args, line):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


# --------------------------------------------------------------------------------------------
# Whole-line spans


def _span(statement: ast.stmt, ancestors: Ancestors, lines: Lines) -> Span | None:
    """The lines of `statement`, or of the nearest statement around it that has its lines to
    itself."""
    for candidate in (statement, *reversed(ancestors)):
        if _starts_its_line(candidate, lines) and _ends_its_line(candidate, lines):
            return Span(_first_line(candidate), _last_line(candidate))
    return None


def _starts_its_line(statement: ast.stmt, lines: Lines) -> bool:
    first = _first_line(statement)
    line = lines.line(first)
    indent = len(line) - len(line.lstrip(_BLANK))
    if first != statement.lineno:  # a decorator's line: `@` begins it
        return line.startswith("@", indent)
    return indent == statement.col_offset  # offsets count UTF-8 bytes; indentation is ASCII


def _ends_its_line(statement: ast.stmt, lines: Lines) -> bool:
    line = lines.line(_last_line(statement)).encode("utf-8", "surrogatepass")
    end = statement.end_col_offset
    if end is None:
        return False
    rest = line[end:].lstrip(_BLANK.encode())
    return not rest or rest.startswith(b"#")
