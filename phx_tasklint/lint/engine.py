"""The linter's adapter: find what reaches Phoenix, translate it, ask the judge, place findings.

Nothing here decides whether a signature is good: every verdict comes from `judge`. This module
visits one file and hands the questions out: `runners` says which calls hand callables to
Phoenix, `resolve` which definition each one stands for (and `typeexpr` its types); what is left
here is asking the judge and placing its findings in the file.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field, replace

from phx_tasklint.core import evals_judge, judge, spec
from phx_tasklint.core.model import (
    CallSite,
    Context,
    Diagnostic,
    Fix,
    Kind,
    Role,
    RunnerKind,
    Signature,
    Wrapper,
)
from phx_tasklint.lint import LintConfig, fixcheck
from phx_tasklint.lint.definitions import (
    FUNCTIONS,
    Definitions,
    FunctionNode,
    ModuleFinder,
    class_member,
)
from phx_tasklint.lint.evals import (
    EvalsRead,
    EvalsReader,
    is_bind_evaluator,
    is_evals_create_evaluator,
)
from phx_tasklint.lint.findings import Finding, HandOffSite, Location, sorted_sites
from phx_tasklint.lint.modules import Module
from phx_tasklint.lint.noqa import suppresses
from phx_tasklint.lint.optional import none_spelling
from phx_tasklint.lint.resolve import (
    Anchor,
    EvalsEvaluator,
    NotCallable,
    Resolver,
    Skip,
    Target,
    Wrapping,
    is_method,
)
from phx_tasklint.lint.runners import (
    argument,
    evaluator_items,
    find_runner,
    is_create_evaluator,
    is_marker,
    marker_keywords,
)
from phx_tasklint.lint.sources import Source


@dataclass(frozen=True)
class HandOff:
    """One callable the linter saw reach Phoenix, and what the judge said (for agreement tests)."""

    path: str
    line: int
    expression: str
    role: Role
    context: Context
    codes: tuple[str, ...]
    runner: str = ""
    site_lines: tuple[int, int] = (0, 0)  # first and last line of the call (or decorated def)


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    handoffs: list[HandOff] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deps: tuple[str, ...] = ()
    # (module name, display path) of each module found among the checked files: if the name
    # comes to mean another file, or none, the result is stale
    found: tuple[tuple[str, str], ...] = ()
    # modules looked up but not among the checked files: if one appears, the result is stale
    misses: tuple[str, ...] = ()
    # the file's own module name, when the result depends on it (relative imports say what
    # they import through it): "" otherwise
    name: str = ""


Site = tuple[Module, ast.AST, str]  # where a callable is handed over, and to what


class Engine:
    """Analyses candidate files one at a time; `find_module` loads other checked modules by
    dotted name when a hand-off refers to them."""

    def __init__(
        self, config: LintConfig, find_module: ModuleFinder, record_handoffs: bool = True
    ) -> None:
        self.config = config
        # the hand-off records serve `lint()` callers and tests; `check` reports findings only
        self.record_handoffs = record_handoffs
        self._verdicts: dict[tuple[Signature, Role, Context], tuple[Diagnostic, ...]] = {}
        self.definitions = Definitions(find_module)
        self.resolver = Resolver(self.definitions)
        self.evals = EvalsReader(self.resolver)
        self.result = Result()
        # each finding's index in the result, by what makes two findings one
        self._seen: dict[tuple[object, ...], int] = {}

    def module(self, source: Source) -> Module | None:
        return self.definitions.module(source)

    def analyse(self, source: Source) -> Result:
        """Everything found by analysing one candidate file (findings may lie in the files it
        imports callables from; `deps` names those files)."""
        self.result = Result()
        self._seen = {}
        self.definitions.start()
        # a resolver per file: working a target out records the files it looked in (deps,
        # misses), which a target remembered from another file would not
        self.resolver = Resolver(self.definitions)
        self.evals = EvalsReader(self.resolver)
        try:
            module = self.module(source)
            if module is not None:
                self.visit(module)
        except RecursionError:
            self.result.errors.append(f"{source.path}: nested too deeply to analyse; skipped")
        except Exception as exc:  # a bug of ours must not cost the user the other files
            self.result.errors.append(
                f"{source.path}: internal error ({type(exc).__name__}: {exc}); skipped"
            )
        self._record_lookups(source)
        return self.result

    def _record_lookups(self, source: Source) -> None:
        """What the result depends on besides the file itself."""
        looked = self.definitions
        looked.deps.discard(source.path)
        self.result.deps = tuple(sorted(looked.deps))
        self.result.found = tuple(sorted(f for f in looked.found if f[1] != source.path))
        self.result.misses = tuple(sorted(looked.misses))
        module = looked.parsed.get(source.path)
        if (module is not None and source.kind == "python") and (
            looked.found or looked.misses or any(getattr(i, "level", 0) for i in module.imports)
        ):
            self.result.name = module.name

    def visit(self, module: Module) -> None:
        for call in module.calls:
            self.on_call(module, call)
        for function in module.functions:
            if function.decorator_list:
                self.on_function(module, function)
        for cls in module.classes:
            if cls.bases:
                self.on_class(module, cls)
        for node in module.imports:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.on_import(module, node, alias.name)
            elif node.module and not node.level:
                if node.module == spec.PACKAGE:
                    for alias in node.names:
                        self.on_import(module, node, f"{spec.PACKAGE}.{alias.name}")
                else:
                    self.on_import(module, node, node.module, tuple(node.names))

    # ---------------------------------------------------------------- findings

    def location(self, module: Module, node: ast.AST) -> Location:
        line, column, end_line, end_column = module.position(node)
        cell, line, column = module.source.locate(line, column)
        _, end_line, end_column = module.source.locate(end_line, end_column)
        return Location(module.source.path, line, column, end_line, end_column, cell)

    def emit(
        self,
        module: Module,
        node: ast.AST,
        diagnostic: Diagnostic,
        function: str | None = None,
        handoffs: tuple[HandOffSite, ...] = (),
    ) -> None:
        """Place a finding; one the file already holds gains the new hand-offs instead."""
        if suppresses(module.line(getattr(node, "lineno", 1)), diagnostic.code):
            return
        finding = Finding(self.location(module, node), diagnostic, function, handoffs)
        key = finding.key()
        index = self._seen.get(key)
        if index is None:
            self._seen[key] = len(self.result.findings)
            self.result.findings.append(finding)
        elif handoffs:
            found = self.result.findings[index]
            sites = sorted_sites((*found.handoffs, *handoffs))
            self.result.findings[index] = found._replace(handoffs=sites)

    def handoff_site(self, site: Site) -> HandOffSite:
        where = self.location(site[0], site[1])
        return HandOffSite(where.path, where.line, where.column, where.cell, site[2])

    def wrapper(self, target: Target) -> Wrapper | None:
        """The neutral model's words for what wraps the target's def."""
        wrapping = target.wrapper
        if wrapping is None:
            return None
        function = target.anchor.function or "?"
        if wrapping.kind == "decorator":
            # written on the def the findings are placed on: its place goes without saying
            return Wrapper("decorator", _decorator_text(wrapping.node), function)
        where = self.location(wrapping.module, wrapping.node)
        place = HandOffSite(where.path, where.line, where.column, where.cell, "").place()
        return Wrapper("partial", _partial_text(wrapping), function, place)

    def check_target(
        self,
        target: Target,
        role: Role,
        context: Context,
        site: Site | None,
        expr: ast.expr | None = None,
        written: Module | None = None,
    ) -> None:
        """`expr`: what was handed over, written in `written` (the call's module unless a list
        defined in another module held it)."""
        written = written or (site[0] if site is not None else None)
        if target.opaque is not None:
            self.check_opaque(target, role, context, site, expr, written)
            return
        if target.evaluator_method:
            context = replace(context, evaluator_method=True)
        if target.wrapper is not None:
            context = replace(context, wrapper=self.wrapper(target))
        diagnostics = self.verdict(target.signature, role, context)
        if site is not None and self.record_handoffs:
            self._record_handoff(target, role, context, site, expr, diagnostics, written)
        anchor = target.anchor
        function = qualified_name(anchor)
        # placed on the definition, a finding names the call that hands it over (not when the
        # call is the definition: a `@create_evaluator(...)` on it)
        sites = (
            (self.handoff_site(site),) if site is not None and site[1] is not anchor.node else ()
        )
        for diagnostic in diagnostics:
            node = anchor.params.get(diagnostic.param or "", anchor.node)
            if diagnostic.fix is not None and not _writable(diagnostic.fix, anchor):
                diagnostic = replace(diagnostic, fix=None)
            if (
                target.at_hand_off
                and expr is not None
                and written is not None
                and not (diagnostic.param or diagnostic.params)
            ):
                self.emit(written, expr, diagnostic, function)
                continue
            self.emit(anchor.module, node, diagnostic, function, sites)

    def check_opaque(
        self,
        target: Target,
        role: Role,
        context: Context,
        site: Site | None,
        expr: ast.expr | None,
        written: Module | None,
    ) -> None:
        """A hand-off with no signature: a value that is not callable (reported where it is
        handed over), or a phoenix.evals object (judged by how it resolves its fields)."""
        if isinstance(target.opaque, EvalsEvaluator):
            self.check_evals(target, role, context, site, expr, written)
            return
        diagnostics: list[Diagnostic] = []
        if isinstance(target.opaque, NotCallable):
            diagnostics = judge.check_not_callable(target.opaque.type, role, context)
        if site is not None and self.record_handoffs:
            self._record_handoff(target, role, context, site, expr, diagnostics, written)
        module, node = target.anchor.module, target.anchor.node
        if target.at_hand_off and written is not None and expr is not None:
            module, node = written, expr
        for diagnostic in diagnostics:
            self.emit(module, node, diagnostic)

    def check_evals(
        self,
        target: Target,
        role: Role,
        context: Context,
        site: Site | None,
        expr: ast.expr | None,
        written: Module | None,
    ) -> None:
        """A phoenix.evals object handed over: its fields, as the client's keywords and its
        input mapping fill them. Handed over as a task, it is nothing Phoenix binds by name:
        not judged here."""
        read = self.evals.read(target)
        if isinstance(read, Skip):
            self.skip(read.reason)
            diagnostics: list[Diagnostic] = []
        elif role != "evaluator":
            self.skip("phoenix.evals object handed over as a task")
            diagnostics = []
        else:
            diagnostics = evals_judge.check_evals(read.signature, context)
        if site is not None and self.record_handoffs:
            self._record_handoff(target, role, context, site, expr, diagnostics, written)
        here = (written, expr) if written is not None and expr is not None else None
        for diagnostic in diagnostics:
            assert isinstance(read, EvalsRead)
            place = read.place(diagnostic)
            if place is not None:
                at_site = site is not None and site[1] is not place.node
                sites = (self.handoff_site(site),) if site is not None and at_site else ()
                self.emit(place.module, place.node, diagnostic, read.function, sites)
            elif here is not None:
                self.emit(*here, diagnostic)
            else:
                self.emit(read.made.module, read.made.node, diagnostic)

    def evals_name(self, target: Target) -> str | None:
        """The name a phoenix.evals object records its scores under (None: not known)."""
        read = self.evals.read(target)
        return None if isinstance(read, Skip) else read.signature.name

    def _record_handoff(
        self,
        target: Target,
        role: Role,
        context: Context,
        site: Site,
        expr: ast.expr | None,
        diagnostics: list[Diagnostic],
        written: Module | None = None,
    ) -> None:
        where = (
            self.location(written or site[0], expr)
            if expr is not None
            else self.location(site[0], site[1])
        )
        span = self.location(site[0], site[1])
        self.result.handoffs.append(
            HandOff(
                where.path,
                where.line,
                ast.unparse(expr) if expr is not None else target.anchor.function or "",
                role,
                context,
                tuple(sorted({d.code for d in diagnostics})),
                site[2],
                (span.line, span.end_line),
            )
        )

    def verdict(self, signature: Signature, role: Role, context: Context) -> list[Diagnostic]:
        """The judge's verdict, remembered for the run: the judge is a pure function, and a
        tree hands the same few signatures over again and again."""
        if _has_literal(signature):  # `Literal[1]` == `Literal[True]`: never share a verdict
            return judge.check(signature, role, context)
        key = (signature, role, context)
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = tuple(judge.check(signature, role, context))
        return list(found)

    def context(self, runner: RunnerKind) -> Context:
        return Context(
            profile=self.config.phoenix_version, runner=runner, evals_profile=self.evals_profile()
        )

    def evals_profile(self) -> str:
        """`phoenix-evals-version`: configs made elsewhere (tests, API callers) may lack it."""
        found = getattr(self.config, "phoenix_evals_version", spec.DEFAULT_EVALS_PROFILE)
        return found if isinstance(found, str) else spec.DEFAULT_EVALS_PROFILE

    def skip(self, reason: str) -> None:
        self.result.skipped[reason] += 1

    # ---------------------------------------------------------------- hand-offs

    def on_call(self, module: Module, call: ast.Call) -> None:
        runner = find_runner(module, call, self.config)
        if runner is None:
            self.on_create_evaluator_call(module, call)
            self.on_bind_evaluator_call(module, call)
            return
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        site_diags = judge.check_call(
            CallSite(
                callee=runner.label,
                keyword_only=runner.keyword_only,
                positional=len(positional),
                is_async_api=runner.is_async_api,
                dropped=isinstance(module.parent(call), ast.Expr),
            )
        )
        for d in site_diags:
            self.emit(module, call, d)
        profile = runner.profile or self.config.phoenix_version
        context = Context(
            profile=profile,
            sync_runner=runner.sync_runner,
            runner=runner.kind,
            evals_profile=self.evals_profile(),
        )
        site = (module, call, runner.label)
        if runner.takes_task:
            expr = argument(call, "task", runner.task_position)
            if expr is not None:
                self.hand_off(module, expr, "task", context, site)
        expr = argument(call, runner.evaluators_keyword, runner.evaluators_position)
        if expr is not None:
            self.hand_off_evaluators(module, expr, context, site, sequence_only=False)

    def on_import(
        self, module: Module, node: ast.AST, imported: str, aliases: tuple[ast.alias, ...] = ()
    ) -> None:
        """`aliases`: the names a `from` import takes; a finding about one is placed on it."""
        names = tuple(alias.name for alias in aliases)
        guarded = import_guarded(module, node)
        found = judge.check_import(
            imported, names, evals_version=self.evals_profile(), guarded=guarded
        )
        for d in found:
            self.emit(module, node if d.item is None else aliases[d.item], d)

    def hand_off(
        self,
        module: Module,
        expr: ast.expr,
        role: Role,
        context: Context,
        site: Site,
        *,
        none_is_absent: bool = False,
    ) -> Target | None:
        """Judge what `expr` hands over; with `none_is_absent`, a None there (`evaluators=None`)
        hands over nothing."""
        found = self.resolver.target(module, expr, 0)
        if isinstance(found, Skip):
            self.skip(found.reason)
            return None
        if none_is_absent and _is_none(found):
            return None
        self.check_target(found, role, context, site, expr, module)
        return found

    def hand_off_evaluators(
        self, module: Module, expr: ast.expr, context: Context, site: Site, sequence_only: bool
    ) -> None:
        names: list[str | None] = []
        renamable: list[bool] = []
        nodes: list[tuple[Module, ast.AST]] = []
        owner = module
        shape = _empty_literal(expr)  # written empty at the call (a name may be filled later)
        if shape is not None:
            for d in judge.check_no_evaluators(site[2], shape, context):
                self.emit(module, site[1], d)
        items = evaluator_items(module, expr, self.skip, sequence_only=sequence_only)
        if len(items) == 1 and items[0][1] is expr:  # a name: a list defined in another module?
            found = self.resolver.collection(module, expr)
            if found is not None:
                owner = found[0]
                items = evaluator_items(owner, found[1], self.skip, sequence_only=sequence_only)
        for key, item in items:
            # Phoenix skips `evaluators=None` (or `None or []`, `cast(Any, None)`: the item
            # stands for the whole argument), not a None among the evaluators of a literal
            whole = not isinstance(owner.parent(item), (ast.List, ast.Tuple, ast.Dict))
            target = self.hand_off(owner, item, "evaluator", context, site, none_is_absent=whole)
            if target is not None and isinstance(target.opaque, EvalsEvaluator):
                names.append(self.evals_name(target))  # nor a phoenix.evals one
                renamable.append(False)
            elif target is not None and target.own_name:
                names.append(target.phoenix_name)  # a dict key does not rename an Evaluator
                renamable.append(False)
            else:
                names.append(key or (target.phoenix_name if target is not None else None))
                renamable.append(True)
            nodes.append((owner, item))
        call = CallSite(site[2], evaluator_names=tuple(names), renamable=tuple(renamable))
        for d in judge.check_call(call):
            index = d.item if d.item is not None else 0
            self.emit(*(nodes[index] if nodes else (module, site[1])), d)

    # ---------------------------------------------------------------- decorators & classes

    def on_create_evaluator_call(self, module: Module, call: ast.Call) -> None:
        """`create_evaluator(...)(fn)`: fn is an evaluator, validated right there."""
        if isinstance(call.func, ast.Call) and is_create_evaluator(module, call.func.func):
            self.check_create_evaluator_args(module, call.func)
            if call.args and not isinstance(call.args[0], ast.Starred):
                site = (module, call, "create_evaluator")
                context = self.context("decorator")
                self.hand_off(module, call.args[0], "evaluator", context, site)

    def on_bind_evaluator_call(self, module: Module, call: ast.Call) -> None:
        """`bind_evaluator(f, {...})`: positional arguments are deprecated."""
        if is_bind_evaluator(module, call.func):
            positional = [a for a in call.args if not isinstance(a, ast.Starred)]
            callee = ast.unparse(call.func)
            for d in evals_judge.check_bind_evaluator_call(callee, len(positional)):
                self.emit(module, call, d)

    def check_create_evaluator_args(self, module: Module, call: ast.Call) -> None:
        kind_arg = argument(call, "kind", 0)
        if isinstance(kind_arg, ast.Constant) and isinstance(kind_arg.value, str):
            for d in judge.check_evaluator_kind(kind_arg.value):
                self.emit(module, kind_arg, d)

    def on_function(self, module: Module, node: FunctionNode) -> None:
        for expr in node.decorator_list:
            if not isinstance(expr, ast.Call) and is_create_evaluator(module, expr):
                for d in judge.check_evaluator_decorator(bare=True):
                    self.emit(module, expr, d)
            elif not isinstance(expr, ast.Call) and is_evals_create_evaluator(module, expr):
                bare = judge.check_evaluator_decorator(bare=True, evals=True, function=node.name)
                for d in bare:
                    self.emit(module, expr, d)
            elif isinstance(expr, ast.Call) and is_create_evaluator(module, expr.func):
                self.on_create_evaluator_decorator(module, node, expr)
            elif isinstance(expr, ast.Call) and is_marker(module, expr.func):
                self.on_marker(module, expr)

    def on_create_evaluator_decorator(
        self, module: Module, node: FunctionNode, decorator: ast.Call
    ) -> None:
        """`@create_evaluator(...)` on a def: the def is an evaluator."""
        self.check_create_evaluator_args(module, decorator)
        target = self.resolver.def_target(module, node, bound=is_method(module, node), depth=0)
        if isinstance(target, Skip):
            self.skip(target.reason)
        else:
            context = self.context("decorator")
            site: Site = (module, node, "create_evaluator")
            self.check_target(target, "evaluator", context, site)

    def on_marker(self, module: Module, marker: ast.Call) -> None:
        """`@pytest.mark.phoenix(evaluators=[...])` hands its evaluators over."""
        evaluators = argument(marker, "evaluators", None)
        if evaluators is not None:
            site = (module, marker, "pytest.mark.phoenix")
            keywords = marker_keywords(module, marker)
            context = replace(self.context("pytest"), evals_keywords=keywords)
            self.hand_off_evaluators(module, evaluators, context, site, sequence_only=True)

    def on_class(self, module: Module, node: ast.ClassDef) -> None:
        bases = {q for b in node.bases for q in module.qualified(b)}
        matched = bases & set(spec.BASE_EVALUATOR_CLASSES)
        if not matched:
            return
        legacy = any(b.startswith(spec.LEGACY_MODULE + ".") for b in matched)
        profile = "legacy" if legacy else self.config.phoenix_version
        for method_name in spec.EVALUATOR_METHODS:
            member = class_member(node, method_name)
            if isinstance(member, FUNCTIONS):
                target = self.resolver.def_target(module, member, bound=True, depth=0)
                if isinstance(target, Skip):
                    self.skip(target.reason)
                    continue
                self.check_target(
                    replace(target, evaluator_method=True),
                    "evaluator",
                    Context(profile=profile, runner="class"),
                    None,
                )
                return


def qualified_name(anchor: Anchor) -> str | None:
    """The anchor's callable as Python's `__qualname__` names it, without its `<locals>`
    steps (`Summarizer.__call__`, `make_task.inner`): the name as the user reads the source."""
    if anchor.function is None:
        return None
    parts = [anchor.function]
    module = anchor.module
    parent = module.parent(anchor.node)
    while parent is not None and not isinstance(parent, ast.Module):
        if isinstance(parent, (*FUNCTIONS, ast.ClassDef)):
            parts.append(parent.name)
        elif isinstance(parent, ast.Lambda):
            parts.append("<lambda>")
        parent = module.parent(parent)
    return ".".join(reversed(parts))


def _partial_text(wrapping: Wrapping) -> str:
    """`partial(call_llm, …)`, spelled as written."""
    node = wrapping.node
    if not isinstance(node, ast.Call) or not node.args:
        return ast.unparse(node)
    rest = ", …" if len(node.args) > 1 or node.keywords else ""
    return f"{ast.unparse(node.func)}({ast.unparse(node.args[0])}{rest})"


def _decorator_text(node: ast.expr) -> str:
    """`@logged`, `@retry(…)`."""
    if isinstance(node, ast.Call):
        given = "…" if node.args or node.keywords else ""
        return f"@{ast.unparse(node.func)}({given})"
    return f"@{ast.unparse(node)}"


def _is_none(target: Target) -> bool:
    opaque = target.opaque
    return isinstance(opaque, NotCallable) and opaque.type.display() == "None"


def _has_literal(signature: Signature) -> bool:
    types = [p.annotation for p in signature.params if p.annotation is not None]
    if signature.returns is not None:
        types.append(signature.returns)
    while types:
        t = types.pop()
        if t.values:
            return True
        types.extend(t.args)
    return False


def _writable(fix: Fix, anchor: Anchor) -> bool:
    """Can the judge's edits be made to the def as written? Not when a decorator, a partial or
    a notebook stands between the signature Phoenix sees and the source text, nor when `--fix`
    would refuse them (`fixcheck`): what is offered, and counted as fixable, is what it makes."""
    if anchor.module.source.kind != "python":
        return False  # --fix rewrites .py files only
    if not isinstance(anchor.node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return False
    widens = any(e.admit_none for e in fix.edits)
    spelling = none_spelling(anchor.module.tree) if widens else None
    if fixcheck.refusal(fix, anchor.node, spelling) is not None:
        return False
    if fixcheck.passed_by_keyword(anchor.module.calls, anchor.node, fix) is not None:
        return False
    written = {p.name: i for i, p in enumerate(anchor.written)}
    defaulted = {e.param for e in fix.edits if e.action == "add-default"}
    positional = (Kind.POSITIONAL_ONLY, Kind.POSITIONAL_OR_KEYWORD)
    for edit in fix.edits:
        if edit.param not in written:
            return False
        if edit.action == "add-default" and anchor.written[written[edit.param]].kind in positional:
            later = anchor.written[written[edit.param] + 1 :]
            if any(
                p.kind in positional and not p.has_default and p.name not in defaulted
                for p in later
            ):
                return False  # `def f(a=None, b)` would not compile
    return True


# What a `try` catches that an import's failure raises (ModuleNotFoundError is an ImportError).
_IMPORT_ERRORS = frozenset(
    f"builtins.{n}" for n in ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")
)


def import_guarded(module: Module, node: ast.AST) -> bool:
    """Whether `node` (an import) is in the body of a `try` with a handler that catches its
    ImportError: a bare `except`, or one naming ImportError or a base of it."""
    child, parent = node, module.parent(node)
    while parent is not None:
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                caught = handler.type
                types = caught.elts if isinstance(caught, ast.Tuple) else [caught]
                if caught is None or any(
                    t is not None and not _IMPORT_ERRORS.isdisjoint(module.qualified(t))
                    for t in types
                ):
                    return True
        if isinstance(parent, (*FUNCTIONS, ast.ClassDef)):
            return False
        child, parent = parent, module.parent(parent)
    return False


def _empty_literal(expr: ast.expr) -> str | None:
    """The literal's kind (`list`, `tuple`, `dict`) when `expr` is an empty one; else None."""
    if isinstance(expr, (ast.List, ast.Tuple)) and not expr.elts:
        return "list" if isinstance(expr, ast.List) else "tuple"
    if isinstance(expr, ast.Dict) and not expr.keys:
        return "dict"
    return None
