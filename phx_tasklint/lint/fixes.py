"""Apply the judge's fixes to Python source with libcst, keeping every other byte.

A fix describes edits to one signature (`model.Fix`); here they become CST edits. A finding's
fix is applied whole or not at all, and only when it cannot change what the code does beyond
the signature: a rename needs a name no code inside the function already means (a local, a
global or builtin read there, a `global` / `nonlocal`), and every use of the old name must be a
plain name we can rewrite; `*args` is removed only when nothing reads it; a default is added
only where Python allows one. The edited module must still parse and, when the original
compiled to bytecode, still compile (duplicate parameters and `global` clashes are only caught
there). When the combined edits fail that check, each finding is retried alone, in order.

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
"""

from __future__ import annotations

import ast
import difflib
import gc
import keyword
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (
    Assignment,
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from phx_tasklint.core.model import Edit
from phx_tasklint.lint import fixspans, pyast
from phx_tasklint.lint.findings import Finding
from phx_tasklint.lint.sources import Source, compile_problem

Owner = cst.FunctionDef | cst.Lambda
Plans = dict[Owner, list[Edit]]
Scopes = Mapping[cst.CSTNode, Scope | None]

# Calls that read a function's locals by name: a rename or removal would change what they see.
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})
# Renames last, so a default or removal found by a parameter's old name still finds it.
_ORDER = {"add-default": 0, "remove": 1, "rename": 2}


@dataclass(frozen=True)
class FixResult:
    text: str  # the new document (the old one when nothing applied)
    applied: tuple[Finding, ...]


def fixable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.diagnostic.fix
    return fix is not None and (fix.safe or unsafe)


def apply_fixes(
    source: Source, findings: Sequence[Finding], unsafe: bool, *, whole_module: bool = False
) -> FixResult:
    """`source` with the fixes of `findings` that can be made. `whole_module` gives libcst the
    whole module, as the fallback does: the reference the cut definitions must agree with."""
    chosen = [f for f in findings if fixable(f, unsafe) and f.location.cell is None]
    if source.kind != "python" or not chosen or not source.text:
        return FixResult(source.text, ())
    cut = None if whole_module else _cut(source.text, [f.location.line for f in chosen])
    if cut is not None:
        pieces, futures = cut
        return _Fixer(source, pieces, futures).run(chosen)
    whole = _piece(source.text, 0, len(source.text), 1, "")
    if whole is None:
        return FixResult(source.text, ())
    return _Fixer(source, [whole], None).run(chosen)


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


def _cut(text: str, param_lines: Iterable[int]) -> tuple[list[_Piece], str] | None:
    """A piece per statement holding a fixed parameter's definition, and the file's
    `__future__` imports; None when the whole module must go to libcst."""
    if text.count("\r") != text.count("\r\n"):  # a lone "\r" (counting beats a regex scan)
        return None
    lines = fixspans.Lines(text)
    found = _spans(text, lines, param_lines)  # the module's tree is gone before libcst starts
    if found is None:
        return None
    spans, futures = found
    pieces: list[_Piece] = []
    for span in spans:
        head = f"if 1:{lines.ending(span.first)}" if lines.indentation(span.first) else ""
        start, end = lines.offset(span.first), lines.offset(span.last + 1)
        piece = _piece(text, start, end, span.first, head)
        if piece is None:
            return None  # libcst cannot take the cut alone: the whole module decides
        pieces.append(piece)
    return pieces, futures


def _spans(
    text: str, lines: fixspans.Lines, param_lines: Iterable[int]
) -> tuple[list[fixspans.Span], str] | None:
    """The cuts (`fixspans.spans`) and the `__future__` imports, from the module's `ast`."""
    # Like the lint pass, no cyclic collection while the tree is built: the collector would
    # walk its many objects again and again, and none of them is part of a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        tree = pyast.parse(text)
        spans = fixspans.spans(tree, lines, param_lines)
        return None if spans is None else (spans, _future_imports(tree))
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
    passes the check: everything, or else each finding alone, in order. `futures` (the file's
    `__future__` imports) is None when the one piece is the whole module."""

    def __init__(self, source: Source, pieces: Sequence[_Piece], futures: str | None) -> None:
        self.source = source
        self.pieces = pieces
        self.futures = futures
        self.piece_of = {o: p for p in pieces for o in p.params_at.values()}
        self.original_compiles: bool | None = None  # found out when needed

    def run(self, chosen: Sequence[Finding]) -> FixResult:
        text = self.source.text
        params_at = {k: v for p in self.pieces for k, v in p.params_at.items()}
        planner = _Planner({owner: piece.scopes for owner, piece in self.piece_of.items()})
        accepted: list[tuple[Finding, Owner, tuple[Edit, ...]]] = []
        for finding in chosen:
            fix = finding.diagnostic.fix
            assert fix is not None
            owner = params_at.get((finding.location.line, finding.location.column))
            if owner is not None and planner.add(owner, fix.edits):
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
        parts: list[str] = []
        rewritten: list[str] = []
        done = 0
        for piece in self.pieces:
            mine = {o: e for o, e in plans.items() if self.piece_of[o] is piece}
            if not mine:
                continue
            code = _rewrite(piece, mine)
            if code is None or not code.startswith(piece.head):
                return None
            parts += [text[done : piece.start], code[len(piece.head) :]]
            rewritten.append(code)
            done = piece.end
        parts.append(text[done:])
        result = "".join(parts)
        futures = self.futures
        if futures is not None and all(_compiles(futures + c, self.source.path) for c in rewritten):
            return result  # the original parsed, so the result compiles if the original did
        return result if self._acceptable(result) else None

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


# --------------------------------------------------------------------------------------------
# Planning: which edits are safe


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwarg = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwarg]


class _Planner:
    """Collects the edits of accepted fixes per function, checking each against the others."""

    def __init__(self, scopes_of: Mapping[Owner, Scopes]) -> None:
        self.scopes_of = scopes_of  # the scopes of the piece each function is in
        self.plans: Plans = {}

    def add(self, owner: Owner, edits: Iterable[Edit]) -> bool:
        planned = self.plans.get(owner, [])
        new = [e for e in dict.fromkeys(edits) if e not in planned]
        combined = planned + new
        if not all(self._allowed(owner, e, combined) for e in new):
            return False
        try:
            edit_parameters(owner.params, combined)
        except (cst.CSTValidationError, ValueError):
            return False  # e.g. a default before a parameter without one
        self.plans[owner] = combined
        return True

    def _allowed(self, owner: Owner, edit: Edit, combined: Sequence[Edit]) -> bool:
        params = {p.name.value: p for p in _all_params(owner.params)}
        param = params.get(edit.param)
        if param is None:
            return False
        if edit.action == "add-default":
            starred = param is owner.params.star_arg or param is owner.params.star_kwarg
            return not starred and param.default is None
        if edit.action == "remove":
            if param is not owner.params.star_arg:
                return False
            refs = _references(owner, edit.param, self.scopes_of[owner])
            return refs is not None and not refs and not _introspects(owner)
        if edit.action != "rename":
            return False
        new_name = edit.new_name
        if new_name is None or not new_name.isidentifier() or keyword.iskeyword(new_name):
            return False
        targets = [e.new_name for e in combined if e.action == "rename"]
        if new_name in params or targets.count(new_name) > 1:
            return False  # two parameters would end up with one name
        if any(e.action == "rename" and e.param == edit.param and e != edit for e in combined):
            return False
        scopes = self.scopes_of[owner]
        return (
            _references(owner, edit.param, scopes) is not None
            and not _name_in_use(owner, new_name, scopes)
            and not _declared(owner, edit.param)
            and not _introspects(owner)
        )


def _scope_of(owner: Owner, scopes: Scopes) -> Scope | None:
    return scopes.get(owner.body)


def _references(owner: Owner, name: str, scopes: Scopes) -> list[cst.Name] | None:
    """Every plain name that reads or rebinds parameter `name` inside `owner` (the parameter
    itself excluded); None when some use is not a plain name (an `import`, a nested `def` of
    that name, a string annotation) and so cannot be rewritten."""
    scope = _scope_of(owner, scopes)
    if scope is None:
        return None
    params = {id(p) for p in _all_params(owner.params)}
    nodes: dict[int, cst.Name] = {}
    for assignment in scope.assignments[name]:
        if not isinstance(assignment, Assignment):
            return None  # a builtin: no parameter of that name here
        uses = [assignment.node, *(access.node for access in assignment.references)]
        for node in uses:
            if id(node) in params:
                continue
            if not isinstance(node, cst.Name):
                return None
            nodes[id(node)] = node
    return list(nodes.values())


class _NamesWithin(cst.CSTVisitor):
    """Name nodes spelled `name` inside a function, skipping `x.name` and `f(name=...)`."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.found: list[cst.Name] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found.append(node)


def _name_in_use(owner: Owner, name: str, scopes: Scopes) -> bool:
    """Whether code in `owner` already means something by `name`: a local, or a read in the
    function or a nested scope that would start resolving to the renamed parameter."""
    scope = _scope_of(owner, scopes)
    if scope is None:
        return True
    if scope.assignments[name] or scope.accesses[name]:
        return True
    visitor = _NamesWithin(name)
    owner.body.visit(visitor)
    for node in visitor.found:
        inner = scopes.get(node)
        if inner is None or inner is scope:
            return True
        # a nested scope that binds the name itself is unaffected; anything else (a free
        # read, `global name`, `nonlocal name`) would now meet the parameter
        if not inner.assignments[name]:
            return True
    return False


def _declared(owner: Owner, name: str) -> bool:
    """`global name` / `nonlocal name` anywhere inside `owner`."""
    found = False

    class Visitor(cst.CSTVisitor):
        def visit_NameItem(self, node: cst.NameItem) -> None:
            nonlocal found
            found = found or node.name.value == name

    owner.body.visit(Visitor())
    return found


def _introspects(owner: Owner) -> bool:
    """The body calls locals() / vars() / eval() / exec(): names are read by string."""
    found = False

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            found = found or (isinstance(node.func, cst.Name) and node.func.value in _INTROSPECTION)

    owner.body.visit(Visitor())
    return found


# --------------------------------------------------------------------------------------------
# Editing


def edit_parameters(params: cst.Parameters, edits: Iterable[Edit]) -> cst.Parameters:
    """`params` with `edits` applied; raises `CSTValidationError` for an impossible result."""
    for edit in sorted(edits, key=lambda e: _ORDER[e.action]):
        if edit.action == "rename" and edit.new_name:
            params = _map_params(params, edit.param, _renamed(edit.new_name))
        elif edit.action == "add-default":
            params = _map_params(params, edit.param, _with_default)
        elif edit.action == "remove":
            params = _without_star(params, edit.param)
    return params


def _renamed(new_name: str) -> Callable[[cst.Param], cst.Param]:
    return lambda p: p.with_changes(name=cst.Name(new_name))


def _with_default(p: cst.Param) -> cst.Param:
    if p.default is not None:
        return p
    space = cst.SimpleWhitespace(" " if p.annotation else "")  # PEP 8: `x=None`, `x: T = None`
    return p.with_changes(
        default=cst.Name("None"),
        equal=cst.AssignEqual(whitespace_before=space, whitespace_after=space),
    )


def _without_star(params: cst.Parameters, name: str) -> cst.Parameters:
    star = params.star_arg
    if not (isinstance(star, cst.Param) and star.name.value == name):
        return params
    if params.kwonly_params:  # `*args, k` -> `*, k`
        comma = (
            star.comma
            if isinstance(star.comma, cst.Comma)
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        return params.with_changes(star_arg=cst.ParamStar(comma=comma))
    params = params.with_changes(star_arg=cst.MaybeSentinel.DEFAULT)
    if params.star_kwarg is not None:  # `a, *args, **kw` -> `a, **kw`
        return params
    # `a, *args` -> `a`: the element before `*args` takes its comma (none, or a trailing one)
    if params.params:
        last = params.params[-1].with_changes(comma=star.comma)
        return params.with_changes(params=[*params.params[:-1], last])
    if isinstance(params.posonly_ind, cst.ParamSlash):
        return params.with_changes(posonly_ind=params.posonly_ind.with_changes(comma=star.comma))
    return params


def _map_params(
    params: cst.Parameters, name: str, change: Callable[[cst.Param], cst.Param]
) -> cst.Parameters:
    def each(items: Sequence[cst.Param]) -> list[cst.Param]:
        return [change(p) if p.name.value == name else p for p in items]

    star_arg = params.star_arg
    if isinstance(star_arg, cst.Param) and star_arg.name.value == name:
        star_arg = change(star_arg)
    star_kwarg = params.star_kwarg
    if star_kwarg is not None and star_kwarg.name.value == name:
        star_kwarg = change(star_kwarg)
    return params.with_changes(
        posonly_params=each(params.posonly_params),
        params=each(params.params),
        star_arg=star_arg,
        kwonly_params=each(params.kwonly_params),
        star_kwarg=star_kwarg,
    )


class _Rewrite(cst.CSTTransformer):
    def __init__(self, plans: Plans, scopes: Scopes) -> None:
        super().__init__()
        self.plans = plans
        self.renames: dict[int, str] = {}
        for owner, edits in plans.items():
            for edit in edits:
                if edit.action == "rename" and edit.new_name:
                    for node in _references(owner, edit.param, scopes) or ():
                        self.renames[id(node)] = edit.new_name

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self.renames.get(id(original_node))
        return updated_node.with_changes(value=new) if new else updated_node

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        edits = self.plans.get(original_node)
        if not edits:
            return updated_node
        return updated_node.with_changes(params=edit_parameters(updated_node.params, edits))

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.Lambda:
        edits = self.plans.get(original_node)
        if not edits:
            return updated_node
        return updated_node.with_changes(params=edit_parameters(updated_node.params, edits))


def _rewrite(piece: _Piece, plans: Plans) -> str | None:
    try:
        return piece.module.visit(_Rewrite(plans, piece.scopes)).code
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
