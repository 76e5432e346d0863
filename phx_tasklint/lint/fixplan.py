"""Which signature edits a fix may make, and making them in libcst's tree.

A finding's fix is applied whole or not at all, and only when it cannot change what the code
does beyond the signature: a rename needs a name no code inside the function already means (a
local, a global or builtin read there, a `global` / `nonlocal`), and every use of the old name
must be a plain name we can rewrite; `*args` is removed only when nothing reads it; a default is
added only where Python allows one, all of a fix's defaults in one step, and with it the
annotation is widened to admit None (`NoneStyle`, from `optional`) or the default is not added.
Everything consulted lies in the function's own scope and the scopes nested in it (how the module
spells Optional comes from its `ast`, read once), so `fixes` can hand libcst the definition alone.
The linter asks `fixcheck` the same questions of `ast`, and offers only the fixes made here.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, Scope

from phx_tasklint.core.model import Edit
from phx_tasklint.lint.optional import OptionalName

Owner = cst.FunctionDef | cst.Lambda
Plans = dict[Owner, list[Edit]]
Scopes = Mapping[cst.CSTNode, Scope | None]

# Calls that read a function's locals by name: a rename or removal would change what they see.
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})
# Renames last, so a default or removal found by a parameter's old name still finds it.
_ORDER = {"add-default": 0, "remove": 1, "rename": 2}


@dataclass(frozen=True)
class NoneStyle:
    """How a def's annotations are widened to admit None (see `optional`): `X | None` when
    `pep604`, else (and around a string) `optional[X]`; None when Optional cannot be spelled."""

    pep604: bool
    optional: OptionalName | None


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwarg = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwarg]


class Planner:
    """Collects the edits of accepted fixes per function, checking each against the others."""

    def __init__(self, scopes_of: Mapping[Owner, Scopes]) -> None:
        self.scopes_of = scopes_of  # the scopes of the piece each function is in
        self.plans: Plans = {}
        self.styles: dict[Owner, NoneStyle] = {}

    def add(self, owner: Owner, edits: Iterable[Edit], style: NoneStyle) -> bool:
        planned = self.plans.get(owner, [])
        new = [e for e in dict.fromkeys(edits) if e not in planned]
        combined = planned + new
        if not all(self._allowed(owner, e, combined) for e in new):
            return False
        try:
            edit_parameters(owner.params, combined, style)
        except (cst.CSTValidationError, ValueError):
            return False  # e.g. a default before a parameter without one
        self.plans[owner] = combined
        self.styles[owner] = style
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


def edit_parameters(
    params: cst.Parameters, edits: Iterable[Edit], style: NoneStyle
) -> cst.Parameters:
    """`params` with `edits` applied; raises `CSTValidationError` for an impossible result and
    ValueError for an annotation that cannot be widened."""
    edits = list(edits)
    # Every default at once: libcst validates each step, and `def f(a=None, b)` (the first of
    # two defaults added alone) is not Python.
    widened = {e.param: e.admit_none for e in edits if e.action == "add-default"}
    if widened:
        params = _map_params(params, widened, _with_default(widened, style))
    for edit in sorted(edits, key=lambda e: _ORDER[e.action]):
        if edit.action == "rename" and edit.new_name:
            params = _map_params(params, {edit.param}, _renamed(edit.new_name))
        elif edit.action == "remove":
            params = _without_star(params, edit.param)
    return params


def _renamed(new_name: str) -> Callable[[cst.Param], cst.Param]:
    return lambda p: p.with_changes(name=cst.Name(new_name))


def _with_default(
    widened: Mapping[str, bool], style: NoneStyle
) -> Callable[[cst.Param], cst.Param]:
    """`= None` added; where `widened` says so, the annotation widened to admit None too."""

    def change(p: cst.Param) -> cst.Param:
        if p.default is not None:
            return p
        annotation = p.annotation
        if widened[p.name.value] and annotation is not None:
            wide = widen(annotation.annotation, style)
            if wide is None:
                raise ValueError("the annotation cannot be widened to admit None")
            annotation = annotation.with_changes(annotation=wide)
        space = cst.SimpleWhitespace(" " if annotation else "")  # PEP 8: `x=None`, `x: T = None`
        return p.with_changes(
            annotation=annotation,
            default=cst.Name("None"),
            equal=cst.AssignEqual(whitespace_before=space, whitespace_after=space),
        )

    return change


def needs_import(owner: Owner, edits: Iterable[Edit], style: NoneStyle) -> bool:
    """Whether `edits` widen an annotation with an Optional the module does not import yet."""
    if style.optional is None or style.optional.imported:
        return False
    params = {p.name.value: p for p in _all_params(owner.params)}
    for edit in edits:
        param = params.get(edit.param)
        if not (edit.action == "add-default" and edit.admit_none and param is not None):
            continue
        annotation = param.annotation
        if annotation is not None and uses_optional(annotation.annotation, style):
            return True
    return False


# What binds more loosely than `|` and so needs parentheses in `(X) | None`.
_LOOSER = (cst.IfExp, cst.Lambda, cst.BooleanOperation, cst.Comparison, cst.NamedExpr)


def widen(annotation: cst.BaseExpression, style: NoneStyle) -> cst.BaseExpression | None:
    """`annotation | None` or `Optional[annotation]`; None when neither can be written."""
    if uses_optional(annotation, style):
        if style.optional is None or not _forward_reference(annotation):
            return None
        return cst.Subscript(
            value=cst.parse_expression(style.optional.spelling),
            slice=[cst.SubscriptElement(cst.Index(annotation))],
        )
    if isinstance(annotation, _LOOSER) or (
        isinstance(annotation, cst.UnaryOperation) and isinstance(annotation.operator, cst.Not)
    ):
        annotation = annotation.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.BinaryOperation(
        left=annotation,
        operator=cst.BitOr(
            whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" ")
        ),
        right=cst.Name("None"),
    )


def uses_optional(annotation: cst.BaseExpression, style: NoneStyle) -> bool:
    """Whether widening `annotation` writes Optional (a string's `| None` is a TypeError)."""
    return not style.pep604 or isinstance(annotation, _STRINGS)


_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


def _forward_reference(annotation: cst.BaseExpression) -> bool:
    """A string annotation `Optional[...]` takes: typing compiles it as an expression when the
    subscript runs (`Optional["a b"]` raises SyntaxError where `x: "a b"` did not)."""
    if not isinstance(annotation, _STRINGS):
        return True
    try:
        value = ast.literal_eval(cst.Module([]).code_for_node(annotation))
        if not isinstance(value, str):
            return False  # bytes
        compile(value, "<string>", "eval", dont_inherit=True)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return False  # an f-string is no literal
    return True


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
    params: cst.Parameters, names: Collection[str], change: Callable[[cst.Param], cst.Param]
) -> cst.Parameters:
    def each(items: Sequence[cst.Param]) -> list[cst.Param]:
        return [change(p) if p.name.value in names else p for p in items]

    star_arg = params.star_arg
    if isinstance(star_arg, cst.Param) and star_arg.name.value in names:
        star_arg = change(star_arg)
    star_kwarg = params.star_kwarg
    if star_kwarg is not None and star_kwarg.name.value in names:
        star_kwarg = change(star_kwarg)
    return params.with_changes(
        posonly_params=each(params.posonly_params),
        params=each(params.params),
        star_arg=star_arg,
        kwonly_params=each(params.kwonly_params),
        star_kwarg=star_kwarg,
    )


class Rewrite(cst.CSTTransformer):
    def __init__(self, plans: Plans, scopes: Scopes, styles: Mapping[Owner, NoneStyle]) -> None:
        super().__init__()
        self.plans = plans
        self.styles = styles
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
        style = self.styles[original_node]
        return updated_node.with_changes(params=edit_parameters(updated_node.params, edits, style))

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.Lambda:
        edits = self.plans.get(original_node)
        if not edits:
            return updated_node
        style = self.styles[original_node]
        return updated_node.with_changes(params=edit_parameters(updated_node.params, edits, style))
