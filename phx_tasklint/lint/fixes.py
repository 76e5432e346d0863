"""Apply the judge's fixes to Python source with libcst, keeping every other byte.

A fix describes edits to one signature (`model.Fix`); `fixplan` decides which of them can be
made and makes them in libcst's tree. A finding's fix is applied whole or not at all. The edited
module must still parse and, when the original compiled to bytecode, still compile (duplicate
parameters and `global` clashes are only caught there). When the combined edits fail that
check, each finding is retried alone, in order.

libcst sees only the statements being edited (`fixspans` cuts them out by whole lines; an
indented one is parsed inside `if 1:`), and the rewrites are spliced back. Nothing the planning
reads lies outside them: a parameter, its uses and the names that would clash with its new name
all live in the function's own scope and the scopes nested in it, and libcst resolves those the
same whatever encloses the function. What parsing and compiling the whole file would tell is
decided from the cut alone when it can be: the original file parsed, so the spliced file parses
and compiles exactly when the original did as long as the rewritten cut compiles on its own
(behind the file's `__future__` imports). A cut that does not (a `nonlocal` naming an outer
function's variable, say) has the whole file compiled. The whole module goes to libcst only
when a definition shares its lines with module-level code, when the file has a lone "\\r" line
ending (libcst's round trip loses a final one: the whole file decides, as before), or when `ast`
cannot parse it.

A default given to an annotated parameter widens its annotation (`optional`); when that needs
`from typing import Optional`, the import is spliced in after the module's leading imports, the
one line a fix adds outside a definition.
"""

from __future__ import annotations

import ast
import difflib
import gc
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

from phx_tasklint.core.model import Edit
from phx_tasklint.lint import fixspans, pyast
from phx_tasklint.lint.findings import Finding
from phx_tasklint.lint.fixplan import (
    NoneStyle,
    Owner,
    Planner,
    Plans,
    Rewrite,
    Scopes,
    needs_import,
)
from phx_tasklint.lint.optional import IMPORT, NoneSpelling, PythonVersion, none_spelling
from phx_tasklint.lint.sources import Source, compile_problem


@dataclass(frozen=True)
class FixResult:
    text: str  # the new document (the old one when nothing applied)
    applied: tuple[Finding, ...]


def fixable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.diagnostic.fix
    return fix is not None and (fix.safe or unsafe)


def apply_fixes(
    source: Source,
    findings: Sequence[Finding],
    unsafe: bool,
    *,
    whole_module: bool = False,
    target: PythonVersion | None = None,
) -> FixResult:
    """`source` with the fixes of `findings` that can be made. `whole_module` gives libcst the
    whole module, as the fallback does: the reference the cut definitions must agree with.
    `target`, the oldest Python the project supports, decides how an annotation is widened to
    admit a `None` default (`optional`)."""
    chosen = [f for f in findings if fixable(f, unsafe) and f.location.cell is None]
    if source.kind != "python" or not chosen or not source.text:
        return FixResult(source.text, ())
    cut = None if whole_module else _cut(source.text, [f.location.line for f in chosen])
    if cut is not None:
        pieces, spelling = cut
        return _Fixer(source, pieces, spelling, target, whole=False).run(chosen)
    whole = _piece(source.text, 0, len(source.text), 1, "")
    if whole is None:
        return FixResult(source.text, ())
    return _Fixer(source, [whole], _module_spelling(source.text), target, whole=True).run(chosen)


# --------------------------------------------------------------------------------------------
# What libcst parses


@dataclass(frozen=True)
class _Piece:
    """Text libcst parsed: `source.text[start:end]`, after `head` (`if 1:` in front of an
    indented cut, nothing otherwise), and the parameters in it by (line, column) in the file."""

    start: int
    end: int
    head: str
    module: cst.Module
    scopes: Scopes
    params_at: dict[tuple[int, int], Owner]


@dataclass(frozen=True)
class _Spelling:
    """What the module's `ast` says beyond the cuts: its `__future__` imports (a cut is
    compiled behind them) and how it writes "X or None"."""

    futures: str
    none: NoneSpelling


def _module_spelling(text: str) -> _Spelling | None:
    try:
        tree = pyast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        return None
    return _Spelling(_future_imports(tree), none_spelling(tree))


def _cut(text: str, param_lines: Iterable[int]) -> tuple[list[_Piece], _Spelling] | None:
    """A piece per statement holding a fixed parameter's definition, and what the module's
    `ast` says beyond them; None when the whole module must go to libcst."""
    if text.count("\r") != text.count("\r\n"):  # a lone "\r" (counting beats a regex scan)
        return None
    lines = fixspans.Lines(text)
    found = _spans(text, lines, param_lines)  # the module's tree is gone before libcst starts
    if found is None:
        return None
    spans, spelling = found
    pieces: list[_Piece] = []
    for span in spans:
        head = f"if 1:{lines.ending(span.first)}" if lines.indentation(span.first) else ""
        start, end = lines.offset(span.first), lines.offset(span.last + 1)
        piece = _piece(text, start, end, span.first, head)
        if piece is None:
            return None  # libcst cannot take the cut alone: the whole module decides
        pieces.append(piece)
    return pieces, spelling


def _spans(
    text: str, lines: fixspans.Lines, param_lines: Iterable[int]
) -> tuple[list[fixspans.Span], _Spelling] | None:
    """The cuts (`fixspans.spans`) and what else the fixes need, from the module's `ast`."""
    # Like the lint pass, no cyclic collection while the tree is built: the collector would
    # walk its many objects again and again, and none of them is part of a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        tree = pyast.parse(text)
        spans = fixspans.spans(tree, lines, param_lines)
        if spans is None:
            return None
        return spans, _Spelling(_future_imports(tree), none_spelling(tree))
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        return None
    finally:
        if enabled:
            gc.enable()


def _piece(text: str, start: int, end: int, first_line: int, head: str) -> _Piece | None:
    code = head + text[start:end]
    try:
        wrapper = MetadataWrapper(cst.parse_module(code), unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        scopes = wrapper.resolve(ScopeProvider)
    except Exception:
        return None
    if wrapper.module.code != code:  # libcst loses a final lone "\r": it would not be our edit
        return None
    shift = first_line - 1 - head.count("\n")
    params_at = _params_by_position(wrapper.module, positions, shift)
    return _Piece(start, end, head, wrapper.module, scopes, params_at)


def _future_imports(tree: ast.Module) -> str:
    """The module's `from __future__ import`s as one statement ("" when it has none): a cut
    is compiled behind it, as the file compiles it."""
    names: list[str] = []
    for index, statement in enumerate(tree.body):
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            names += [alias.name for alias in statement.names]
        elif not (index == 0 and isinstance(statement, ast.Expr)):  # only a docstring before
            break
    return f"from __future__ import {', '.join(names)}\n" if names else ""


# --------------------------------------------------------------------------------------------
# Planning, rendering, checking


class _Fixer:
    """Plans the chosen findings' edits in `pieces`, renders and splices them, and keeps what
    passes the check: everything, or else each finding alone, in order. `whole`: the one piece
    is the whole module. `spelling` is None when `ast` cannot read the module."""

    def __init__(
        self,
        source: Source,
        pieces: Sequence[_Piece],
        spelling: _Spelling | None,
        target: PythonVersion | None,
        *,
        whole: bool,
    ) -> None:
        self.source = source
        self.pieces = pieces
        self.spelling = spelling
        self.target = target
        self.futures = None if whole or spelling is None else spelling.futures
        self.piece_of = {o: p for p in pieces for o in p.params_at.values()}
        self.original_compiles: bool | None = None  # found out when needed
        self.styles: dict[Owner, NoneStyle] = {}

    def _style(self, line: int) -> NoneStyle:
        """How a def with parameters on `line` widens an annotation to admit None."""
        if self.spelling is None:
            return NoneStyle(pep604=False, optional=None)
        none = self.spelling.none
        return NoneStyle(none.pep604(self.target), none.optional(line))

    def run(self, chosen: Sequence[Finding]) -> FixResult:
        text = self.source.text
        params_at = {k: v for p in self.pieces for k, v in p.params_at.items()}
        planner = Planner({owner: piece.scopes for owner, piece in self.piece_of.items()})
        self.styles = planner.styles
        accepted: list[tuple[Finding, Owner, tuple[Edit, ...]]] = []
        for finding in chosen:
            fix = finding.diagnostic.fix
            assert fix is not None
            line = finding.location.line
            owner = params_at.get((line, finding.location.column))
            if owner is not None and planner.add(owner, fix.edits, self._style(line)):
                accepted.append((finding, owner, fix.edits))
        if not accepted:
            return FixResult(text, ())
        fixed = self._render(planner.plans)
        if fixed is not None:
            return FixResult(fixed, tuple(f for f, _, _ in accepted))
        # Some combination breaks the module: keep each finding's fix only if it still works.
        kept: list[Finding] = []
        plans: Plans = {}
        best = text
        for finding, owner, edits in accepted:
            trial = {o: list(e) for o, e in plans.items()}
            planned = trial.setdefault(owner, [])
            planned += [e for e in dict.fromkeys(edits) if e not in planned]
            fixed = self._render(trial)
            if fixed is not None:
                plans, best = trial, fixed
                kept.append(finding)
        return FixResult(best, tuple(kept))

    def _render(self, plans: Plans) -> str | None:
        """The document with `plans` made, or None when that fails the check."""
        text = self.source.text
        splices: list[tuple[int, int, str]] = []  # (start, end, new text)
        rewritten: list[str] = []
        for piece in self.pieces:
            mine = {o: e for o, e in plans.items() if self.piece_of[o] is piece}
            if not mine:
                continue
            code = _rewrite(piece, mine, self.styles)
            if code is None or not code.startswith(piece.head):
                return None
            splices.append((piece.start, piece.end, code[len(piece.head) :]))
            rewritten.append(code)
        if any(needs_import(o, e, self.styles[o]) for o, e in plans.items()):
            with_import = _spliced_in(text, splices, self._import())
            if with_import is None:
                return None
            splices = with_import
        parts: list[str] = []
        done = 0
        for start, end, new in sorted(splices, key=lambda s: (s[0], s[1])):
            parts += [text[done:start], new]
            done = end
        parts.append(text[done:])
        result = "".join(parts)
        futures = self.futures
        if futures is not None and all(_compiles(futures + c, self.source.path) for c in rewritten):
            return result  # the original parsed, so the result compiles if the original did
        return result if self._acceptable(result) else None

    def _import(self) -> tuple[int, int, str]:
        """`from typing import Optional` on a line of its own after the leading imports (the
        planner only widens with it when `optional` found a place for it)."""
        assert self.spelling is not None and self.spelling.none.import_line is not None
        lines = fixspans.Lines(self.source.text)
        line = self.spelling.none.import_line
        offset = lines.offset(line)
        ending = lines.ending(1)
        before = self.source.text[:offset]
        if before and not before.endswith(("\n", "\r")):  # after a last line without an end
            return offset, offset, ending + IMPORT + ending
        return offset, offset, IMPORT + ending

    def _acceptable(self, text: str) -> bool:
        """The whole document's check: it parses, and compiles if the original compiled."""
        source = self.source
        if _compiles(text, source.path):
            return True
        if compile_problem(text, source.path, top_level_await=source.top_level_await) is not None:
            return False
        if self.original_compiles is None:
            self.original_compiles = _compiles(source.text, source.path)
        return not self.original_compiles


def _spliced_in(
    text: str, splices: list[tuple[int, int, str]], insertion: tuple[int, int, str]
) -> list[tuple[int, int, str]] | None:
    """`splices` with `insertion` (an empty span) added; inside a rewritten span (the whole
    module's), into its new text, where the rewrite left the text before it as it was (None if
    it did not)."""
    at, _, added = insertion
    for index, (start, end, new) in enumerate(splices):
        if start < at < end:
            if new[: at - start] != text[start:at]:
                return None
            splices = list(splices)
            splices[index] = (start, end, new[: at - start] + added + new[at - start :])
            return splices
    return [*splices, insertion]


def _params_by_position(
    module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange], shift: int
) -> dict[tuple[int, int], Owner]:
    """(line + `shift`, 1-based column) of every parameter -> the def or lambda it belongs
    to."""
    found: dict[tuple[int, int], Owner] = {}

    class Collect(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.owners: list[Owner] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            self.owners.append(node)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            self.owners.pop()

        def visit_Lambda(self, node: cst.Lambda) -> None:
            self.owners.append(node)

        def leave_Lambda(self, original_node: cst.Lambda) -> None:
            self.owners.pop()

        def visit_Param(self, node: cst.Param) -> None:
            if self.owners:  # keyed by the name, where the linter places a parameter's finding
                start = positions[node.name].start
                found[(start.line + shift, start.column + 1)] = self.owners[-1]

    module.visit(Collect())
    return found


def _rewrite(piece: _Piece, plans: Plans, styles: Mapping[Owner, NoneStyle]) -> str | None:
    try:
        return piece.module.visit(Rewrite(plans, piece.scopes, styles)).code
    except (cst.CSTValidationError, ValueError):
        return None


def _compiles(text: str, path: str) -> bool:
    """Whether `text` compiles to bytecode (the symbol table sees duplicate parameters and
    `global` clashes that parsing alone does not)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
