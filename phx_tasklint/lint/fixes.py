"""Apply the judge's fixes to Python source with libcst, keeping every other byte.

A fix describes edits to one signature (`model.Fix`); here they become CST edits. An edit that
cannot be applied safely (the new name is taken, `*args` is used, the result does not compile)
is dropped, never half-applied.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

from phx_tasklint.findings import Finding
from phx_tasklint.model import Edit
from phx_tasklint.sources import Source, compile_problem


@dataclass(frozen=True)
class FixResult:
    text: str  # the new document (the old one when nothing applied)
    applied: tuple[Finding, ...]


def fixable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.diagnostic.fix
    return fix is not None and (fix.safe or unsafe)


def apply_fixes(source: Source, findings: Sequence[Finding], unsafe: bool) -> FixResult:
    chosen = [f for f in findings if fixable(f, unsafe) and f.location.cell is None]
    if source.kind != "python" or not chosen or not source.text:
        return FixResult(source.text, ())
    try:
        wrapper = MetadataWrapper(cst.parse_module(source.text))
    except Exception:
        return FixResult(source.text, ())
    positions = wrapper.resolve(PositionProvider)
    scopes = wrapper.resolve(ScopeProvider)
    params_at: dict[tuple[int, int], tuple[cst.Param, cst.CSTNode]] = {}

    class Collect(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.owners: list[cst.CSTNode] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            self.owners.append(node)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            self.owners.pop()

        def visit_Lambda(self, node: cst.Lambda) -> None:
            self.owners.append(node)

        def leave_Lambda(self, original_node: cst.Lambda) -> None:
            self.owners.pop()

        def visit_Param(self, node: cst.Param) -> None:
            if self.owners:
                start = positions[node].start
                params_at[(start.line, start.column + 1)] = (node, self.owners[-1])

    wrapper.module.visit(Collect())
    plans: dict[cst.CSTNode, list[Edit]] = {}
    applied: list[Finding] = []
    for finding in chosen:
        fix = finding.diagnostic.fix
        assert fix is not None
        hit = params_at.get((finding.location.line, finding.location.column))
        if hit is None:
            continue
        owner = hit[1]
        edits = plans.setdefault(owner, [])
        if all(_applicable(owner, e, scopes) for e in fix.edits):
            edits.extend(fix.edits)
            applied.append(finding)
    if not applied:
        return FixResult(source.text, ())
    new_module = wrapper.module.visit(_Rewrite(plans, scopes))
    text = new_module.code
    if compile_problem(text, source.path, top_level_await=source.top_level_await) is not None:
        return FixResult(source.text, ())
    return FixResult(text, tuple(applied))


def _params(owner: cst.CSTNode) -> cst.Parameters:
    assert isinstance(owner, (cst.FunctionDef, cst.Lambda))
    return owner.params


def _references(owner: cst.CSTNode, name: str, scopes: object) -> list[cst.CSTNode] | None:
    """Every node that reads or writes parameter `name` inside `owner`; None if unknowable."""
    assert isinstance(owner, (cst.FunctionDef, cst.Lambda))
    scope = scopes.get(owner.body)  # type: ignore[attr-defined]
    if scope is None:
        return None
    nodes: list[cst.CSTNode] = []
    for assignment in scope.assignments[name]:
        nodes.append(assignment.node)
        nodes.extend(access.node for access in assignment.references)
    return nodes


def _name_taken(owner: cst.CSTNode, name: str, scopes: object) -> bool:
    assert isinstance(owner, (cst.FunctionDef, cst.Lambda))
    scope = scopes.get(owner.body)  # type: ignore[attr-defined]
    if scope is None:
        return True
    # assigned or read in the function (a builtin of that name merely becomes shadowed)
    return bool(scope.assignments[name] or scope.accesses[name])


def _applicable(owner: cst.CSTNode, edit: Edit, scopes: object) -> bool:
    if edit.action == "rename":
        return edit.new_name is not None and not _name_taken(owner, edit.new_name, scopes)
    if edit.action == "remove":
        refs = _references(owner, edit.param, scopes)
        return refs is not None and len(refs) <= 1  # only the parameter itself
    return edit.action == "add-default"


class _Rewrite(cst.CSTTransformer):
    def __init__(self, plans: dict[cst.CSTNode, list[Edit]], scopes: object) -> None:
        super().__init__()
        self.plans = plans
        self.renames: dict[cst.CSTNode, str] = {}
        for owner, edits in plans.items():
            for edit in edits:
                if edit.action == "rename" and edit.new_name:
                    for node in _references(owner, edit.param, scopes) or []:
                        self.renames[node] = edit.new_name

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self.renames.get(original_node)
        return updated_node.with_changes(value=new) if new else updated_node

    def _parameters(self, original: cst.CSTNode, params: cst.Parameters) -> cst.Parameters:
        edits = self.plans.get(original, [])
        for edit in edits:
            if edit.action == "rename":
                params = _map_params(
                    params,
                    edit.param,
                    lambda p, new=edit.new_name: p.with_changes(name=cst.Name(new or p.name.value)),
                )
            elif edit.action == "add-default":
                params = _map_params(
                    params,
                    edit.param,
                    lambda p: p.with_changes(
                        default=cst.Name("None"),
                        equal=cst.AssignEqual(
                            whitespace_before=cst.SimpleWhitespace(" " if p.annotation else ""),
                            whitespace_after=cst.SimpleWhitespace(" " if p.annotation else ""),
                        ),
                    ),
                )
            elif edit.action == "remove":
                star = params.star_arg
                if isinstance(star, cst.Param) and star.name.value == edit.param:
                    params = params.with_changes(
                        star_arg=cst.ParamStar()
                        if params.kwonly_params
                        else cst.MaybeSentinel.DEFAULT
                    )
        return params

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original_node not in self.plans:
            return updated_node
        return updated_node.with_changes(
            params=self._parameters(original_node, updated_node.params)
        )

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.Lambda:
        if original_node not in self.plans:
            return updated_node
        return updated_node.with_changes(
            params=self._parameters(original_node, updated_node.params)
        )


def _map_params(params: cst.Parameters, name: str, change: object) -> cst.Parameters:
    def each(items: Sequence[cst.Param]) -> list[cst.Param]:
        return [change(p) if p.name.value == name else p for p in items]  # type: ignore[operator]

    star_kwarg = params.star_kwarg
    if star_kwarg is not None and star_kwarg.name.value == name:
        star_kwarg = change(star_kwarg)  # type: ignore[operator]
    return params.with_changes(
        posonly_params=each(params.posonly_params),
        params=each(params.params),
        kwonly_params=each(params.kwonly_params),
        star_kwarg=star_kwarg,
    )


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
