"""The libcst adapter: find what reaches Phoenix, translate it, ask the judge, place findings.

Nothing here decides whether a signature is good: every verdict comes from `judge`. This module
only answers "which callable is handed to Phoenix, with which role, on which runner" and "where
in the file does a finding belong".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.metadata import Assignment

from phx_tasklint import judge, spec
from phx_tasklint.findings import Finding, Location
from phx_tasklint.lint import LintConfig, typeexpr
from phx_tasklint.lint.callables import apply_partial, drop_first
from phx_tasklint.lint.modules import Module
from phx_tasklint.lint.noqa import suppresses
from phx_tasklint.model import (
    UNKNOWN,
    CallSite,
    Context,
    Diagnostic,
    Kind,
    Param,
    Role,
    Signature,
    TypeExpr,
)
from phx_tasklint.modindex import module_name
from phx_tasklint.sources import Source

_PARTIAL = frozenset({"functools.partial"})
_STATICMETHOD = "builtins.staticmethod"
_CLASSMETHOD = "builtins.classmethod"
# Decorators known to keep the signature Phoenix sees (functools copies __wrapped__).
_PRESERVING = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "functools.wraps",
        "functools.cache",
        "functools.lru_cache",
        "functools.cached_property",
        "builtins.property",
        "typing.overload",
        "typing_extensions.override",
        "typing.override",
    }
)
_TYPEDDICT_BASES = frozenset({"typing.TypedDict", "typing_extensions.TypedDict"})
_NAMEDTUPLE_BASES = frozenset({"typing.NamedTuple"})
_ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"})
_DATACLASS = frozenset({"dataclasses.dataclass"})
_PYDANTIC = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Anchor:
    """Where findings about one callable go."""

    module: Module
    node: cst.CSTNode
    name_node: cst.CSTNode
    params: dict[str, cst.CSTNode] = field(hash=False, compare=False)
    function: str | None = None


@dataclass(frozen=True)
class Target:
    signature: Signature
    anchor: Anchor
    evaluator_method: bool = False
    phoenix_name: str | None = None  # the name Phoenix records an evaluator under


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class RunnerCall:
    label: str  # what the user called, for messages
    takes_task: bool
    keyword_only: bool
    is_async_api: bool
    sync_runner: bool | None
    profile: str | None  # forced profile (legacy), else the configured one
    task_position: int | None = None
    evaluators_position: int | None = None
    evaluators_keyword: str = "evaluators"


@dataclass(frozen=True)
class HandOff:
    """One callable the linter saw reach Phoenix, and what the judge said (for agreement tests)."""

    path: str
    line: int
    expression: str
    role: Role
    context: Context
    codes: tuple[str, ...]


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    handoffs: list[HandOff] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deps: tuple[str, ...] = ()


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


ModuleFinder = Callable[[str], "Source | None"]


class Engine:
    """Analyses candidate files one at a time; `find_module` loads other checked modules by
    dotted name when a hand-off refers to them."""

    def __init__(self, config: LintConfig, find_module: ModuleFinder) -> None:
        self.config = config
        self.find_module = find_module
        self.parsed: dict[str, Module | None] = {}
        self.result = Result()
        self._seen: set[tuple[object, ...]] = set()
        self.deps: set[str] = set()

    # ---------------------------------------------------------------- modules

    def module(self, source: Source) -> Module | None:
        if source.path not in self.parsed:
            name = module_name(source.path) if source.kind == "python" else "__main__"
            self.parsed[source.path] = Module.parse(source, name)
        return self.parsed[source.path]

    def analyse(self, source: Source) -> Result:
        """Everything found by analysing one candidate file (findings may lie in the files it
        imports callables from; `deps` names those files)."""
        self.result = Result()
        self._seen = set()
        self.deps = set()
        try:
            module = self.module(source)
            if module is not None:
                module.tree.visit(_Visitor(self, module))
        except RecursionError:
            self.result.errors.append(f"{source.path}: nested too deeply to analyse; skipped")
        except Exception as exc:  # a bug of ours must not cost the user the other files
            self.result.errors.append(
                f"{source.path}: internal error ({type(exc).__name__}: {exc}); skipped"
            )
        self.deps.discard(source.path)
        self.result.deps = tuple(sorted(self.deps))
        return self.result

    def lookup(self, qualified: str, depth: int) -> tuple[Module, cst.CSTNode] | None:
        """A qualified name defined at the top level of a checked module."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            source = self.find_module(".".join(parts[:cut]))
            if source is None:
                continue
            self.deps.add(source.path)
            module = self.module(source)
            if module is None:
                return None
            node = module.top_level.get(parts[cut])
            if node is None:
                return None
            if cut + 1 == len(parts):
                return module, node
            if isinstance(node, cst.ClassDef) and cut + 2 == len(parts):
                member = _class_member(node, parts[cut + 1])
                return (module, member) if member is not None else None
            return None
        return None

    # ---------------------------------------------------------------- findings

    def location(self, module: Module, node: cst.CSTNode) -> Location:
        pos = module.position(node)
        cell, line, column = module.source.locate(pos.start.line, pos.start.column + 1)
        _, end_line, end_column = module.source.locate(pos.end.line, pos.end.column + 1)
        return Location(module.source.path, line, column, end_line, end_column, cell)

    def emit(
        self, module: Module, node: cst.CSTNode, diagnostic: Diagnostic, function: str | None = None
    ) -> None:
        line = module.position(node).start.line
        if suppresses(module.line(line), diagnostic.code):
            return
        finding = Finding(self.location(module, node), diagnostic, function)
        key = (finding.location, diagnostic.code, diagnostic.message)
        if key not in self._seen:
            self._seen.add(key)
            self.result.findings.append(finding)

    def check_target(
        self,
        target: Target,
        role: Role,
        context: Context,
        site: tuple[Module, cst.CSTNode, str] | None,
        expr: cst.BaseExpression | None = None,
    ) -> None:
        if target.evaluator_method:
            context = replace(context, evaluator_method=True)
        diagnostics = judge.check(target.signature, role, context)
        if site is not None and expr is not None:
            where = self.location(site[0], expr)
            self.result.handoffs.append(
                HandOff(
                    where.path,
                    where.line,
                    _code(expr),
                    role,
                    context,
                    tuple(sorted({d.code for d in diagnostics})),
                )
            )
        for diagnostic in diagnostics:
            anchor = target.anchor
            node = anchor.params.get(diagnostic.param or "", anchor.name_node)
            if site is not None and site[0].source.path != anchor.module.source.path:
                where = self.location(site[0], site[1])
                diagnostic = replace(
                    diagnostic,
                    message=f"{diagnostic.message} (handed to {site[2]} at "
                    f"{where.path}:{where.line})",
                )
            self.emit(anchor.module, node, diagnostic, anchor.function)

    def skip(self, reason: str) -> None:
        self.result.skipped[reason] += 1

    # ---------------------------------------------------------------- runners

    def runner(self, module: Module, call: cst.Call) -> RunnerCall | None:
        names = module.qualified(call.func)
        for q in names:
            found = self._runner_by_name(q)
            if found is not None:
                return found
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Attribute)
            and func.value.attr.value == "experiments"
        ):
            method = func.attr.value
            if any(r.method == method for r in spec.CLIENT_RUNNERS):
                sync = self.client_kind(module, func.value.value, 0)
                if sync is None:
                    return None
                runner = next(r for r in spec.CLIENT_RUNNERS if r.method == method)
                kind = "Client" if sync else "AsyncClient"
                return RunnerCall(
                    f"{kind}().experiments.{method}", runner.takes_task, True, not sync, sync, None
                )
        return None

    def _runner_by_name(self, q: str) -> RunnerCall | None:
        module, _, method = q.rpartition(".")
        if module == spec.CLIENT_MODULE:
            base = method.removeprefix(spec.ASYNC_PREFIX)
            for r in spec.CLIENT_RUNNERS:
                if r.method == base:
                    is_async = method != base
                    return RunnerCall(method, r.takes_task, True, is_async, not is_async, None)
        if module in (spec.LEGACY_MODULE, spec.LEGACY_MODULE + ".functions"):
            for r in spec.LEGACY_RUNNERS:
                if r.method == method:
                    return RunnerCall(
                        method,
                        r.takes_task,
                        False,
                        False,
                        None,
                        "legacy",
                        r.task_position,
                        r.evaluators_position,
                    )
        if q in self.config.task_runners:
            return RunnerCall(method, True, False, False, None, None, 0, None)
        if q in self.config.evaluator_runners:
            return RunnerCall(method, False, False, False, None, None, None, 0)
        return None

    def client_kind(self, module: Module, expr: cst.BaseExpression, depth: int) -> bool | None:
        """True: a sync Client; False: an AsyncClient; None: not known to be a Phoenix client."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call):
            for q in module.qualified(expr.func):
                if q in spec.CLIENT_CLASSES:
                    return spec.CLIENT_CLASSES[q]
            return None
        if isinstance(expr, cst.Name):
            kinds = {self._assigned_client(module, a, depth) for a in _assignments(module, expr)}
            return kinds.pop() if len(kinds) == 1 else None
        if (
            isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name)
            and expr.value.value == "self"
        ):
            cls = _enclosing_class(module, expr)
            if cls is None:
                return None
            kinds = set()
            for value in _self_attribute_values(cls, expr.attr.value):
                kinds.add(self._value_client(module, value, depth))
            return kinds.pop() if len(kinds) == 1 else None
        return None

    def _assigned_client(self, module: Module, assignment: Assignment, depth: int) -> bool | None:
        value = _assigned_value(module, assignment)
        return self._value_client(module, value, depth) if value is not None else None

    def _value_client(self, module: Module, value: cst.CSTNode, depth: int) -> bool | None:
        if isinstance(value, cst.Annotation):
            for q in module.qualified(value.annotation):
                if q in spec.CLIENT_CLASSES:
                    return spec.CLIENT_CLASSES[q]
            return None
        if isinstance(value, cst.BaseExpression):
            return self.client_kind(module, value, depth + 1)
        return None

    # ---------------------------------------------------------------- hand-offs

    def on_call(self, module: Module, call: cst.Call) -> None:
        runner = self.runner(module, call)
        if runner is None:
            self.on_create_evaluator_call(module, call)
            return
        parent = module.parent(call)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        site_diags = judge.check_call(
            CallSite(
                callee=runner.label,
                keyword_only=runner.keyword_only,
                positional=len(positional),
                is_async_api=runner.is_async_api,
                dropped=isinstance(parent, cst.Expr),
            )
        )
        for d in site_diags:
            self.emit(module, call, d)
        profile = runner.profile or self.config.phoenix_version
        context = Context(profile=profile, sync_runner=runner.sync_runner)
        site = (module, call, runner.label)
        if runner.takes_task:
            expr = _argument(call, "task", runner.task_position)
            if expr is not None:
                self.hand_off(module, expr, "task", context, site)
        expr = _argument(call, runner.evaluators_keyword, runner.evaluators_position)
        if expr is not None:
            self.hand_off_evaluators(module, expr, context, site, sequence_only=False)

    def hand_off(
        self,
        module: Module,
        expr: cst.BaseExpression,
        role: Role,
        context: Context,
        site: tuple[Module, cst.CSTNode, str],
    ) -> Target | None:
        found = self.target(module, expr, 0)
        if isinstance(found, Skip):
            self.skip(found.reason)
            return None
        self.check_target(found, role, context, site, expr)
        return found

    def hand_off_evaluators(
        self,
        module: Module,
        expr: cst.BaseExpression,
        context: Context,
        site: tuple[Module, cst.CSTNode, str],
        sequence_only: bool,
    ) -> None:
        items = self.evaluator_items(module, expr, 0, sequence_only)
        names: list[str | None] = []
        nodes: list[cst.CSTNode] = []
        for key, item in items:
            if isinstance(item, cst.Name) and item.value == "None":
                continue
            target = self.hand_off(module, item, "evaluator", context, site)
            name = key or (target.phoenix_name if target is not None else None)
            names.append(name)
            nodes.append(item)
        for d in judge.check_call(CallSite(callee=site[2], evaluator_names=tuple(names))):
            index = d.item if d.item is not None else 0
            self.emit(module, nodes[index] if nodes else site[1], d)

    def evaluator_items(
        self, module: Module, expr: cst.BaseExpression, depth: int, sequence_only: bool
    ) -> list[tuple[str | None, cst.BaseExpression]]:
        if depth > _MAX_DEPTH:
            return []
        if isinstance(expr, (cst.List, cst.Tuple)):
            out: list[tuple[str | None, cst.BaseExpression]] = []
            for el in expr.elements:
                if isinstance(el, cst.StarredElement):
                    self.skip("starred evaluator list")
                    continue
                out.append((None, el.value))
            return out
        if isinstance(expr, cst.Dict) and not sequence_only:
            out = []
            for entry in expr.elements:
                if not isinstance(entry, cst.DictElement):
                    self.skip("dict unpacking in evaluators")
                    continue
                key = entry.key
                name = key.evaluated_value if isinstance(key, cst.SimpleString) else None
                out.append((name if isinstance(name, str) and name else None, entry.value))
            return out
        if isinstance(expr, cst.Name):
            values = [_assigned_value(module, a) for a in _assignments(module, expr)]
            if len(values) == 1 and isinstance(values[0], (cst.List, cst.Tuple, cst.Dict)):
                return self.evaluator_items(module, values[0], depth + 1, sequence_only)
        if isinstance(expr, (cst.GeneratorExp, cst.ListComp, cst.Set, cst.SetComp, cst.DictComp)):
            self.skip("evaluators built by a comprehension or set")
            return []
        return [(None, expr)]

    # ---------------------------------------------------------------- decorators & classes

    def on_create_evaluator_call(self, module: Module, call: cst.Call) -> None:
        """`create_evaluator(...)(fn)`: fn is an evaluator, validated right there."""
        if isinstance(call.func, cst.Call) and _is_create_evaluator(module, call.func.func):
            self.check_create_evaluator_args(module, call.func)
            if call.args:
                site = (module, call, "create_evaluator")
                self.hand_off(
                    module,
                    call.args[0].value,
                    "evaluator",
                    Context(profile=self.config.phoenix_version),
                    site,
                )

    def check_create_evaluator_args(self, module: Module, call: cst.Call) -> None:
        kind_arg = _argument(call, "kind", 0)
        if isinstance(kind_arg, cst.SimpleString):
            value = kind_arg.evaluated_value
            if isinstance(value, str):
                for d in judge.check_evaluator_kind(value):
                    self.emit(module, kind_arg, d)

    def on_function(self, module: Module, node: cst.FunctionDef) -> None:
        for decorator in node.decorators:
            expr = decorator.decorator
            if not isinstance(expr, cst.Call) and _is_create_evaluator(module, expr):
                for d in judge.check_evaluator_decorator(bare=True):
                    self.emit(module, decorator, d)
            elif isinstance(expr, cst.Call) and _is_create_evaluator(module, expr.func):
                self.check_create_evaluator_args(module, expr)
                target = self.def_target(module, node, bound=_is_method(module, node), depth=0)
                if isinstance(target, Skip):
                    self.skip(target.reason)
                else:
                    self.check_target(
                        target, "evaluator", Context(profile=self.config.phoenix_version), None
                    )
            elif isinstance(expr, cst.Call) and spec_marker(module, expr.func):
                evaluators = _argument(expr, "evaluators", None)
                if evaluators is not None:
                    site = (module, expr, "pytest.mark.phoenix")
                    self.hand_off_evaluators(
                        module,
                        evaluators,
                        Context(profile=self.config.phoenix_version),
                        site,
                        sequence_only=True,
                    )

    def on_class(self, module: Module, node: cst.ClassDef) -> None:
        bases = {q for b in node.bases for q in module.qualified(b.value)}
        matched = bases & set(spec.BASE_EVALUATOR_CLASSES)
        if not matched:
            return
        legacy = any(b.startswith(spec.LEGACY_MODULE + ".") for b in matched)
        profile = "legacy" if legacy else self.config.phoenix_version
        for method_name in spec.EVALUATOR_METHODS:
            member = _class_member(node, method_name)
            if isinstance(member, cst.FunctionDef):
                target = self.def_target(module, member, bound=True, depth=0)
                if isinstance(target, Skip):
                    self.skip(target.reason)
                    continue
                self.check_target(
                    replace(target, evaluator_method=True),
                    "evaluator",
                    Context(profile=profile),
                    None,
                )
                return

    # ---------------------------------------------------------------- callables

    def target(self, module: Module, expr: cst.BaseExpression, depth: int) -> Target | Skip:
        if depth > _MAX_DEPTH:
            return Skip("resolution too deep")
        if isinstance(expr, cst.Lambda):
            params = _params(expr.params, module, self)
            anchor = Anchor(module, expr, expr, {p.name: n for p, n in params}, "<lambda>")
            return Target(Signature(tuple(p for p, _ in params)), anchor)
        if isinstance(expr, cst.Call):
            return self.call_target(module, expr, depth)
        if isinstance(expr, cst.Name):
            assignments = _assignments(module, expr)
            if len(assignments) == 1:
                found = self.assignment_target(module, assignments[0], depth)
                if found is not None:
                    return found
            elif len(assignments) > 1:
                return Skip("name assigned more than once")
        if isinstance(expr, cst.Attribute):
            owner = self.instance_class(module, expr.value, depth)
            if owner is not None:
                owner_module, cls, is_instance = owner
                member = _class_member(cls, expr.attr.value)
                if isinstance(member, cst.FunctionDef):
                    kind = _method_kind(owner_module, member)
                    bound = (is_instance and kind != "static") or kind == "class"
                    found = self.def_target(owner_module, member, bound=bound, depth=depth + 1)
                    if isinstance(found, Target):
                        found = replace(found, phoenix_name=f"{cls.name.value}.{member.name.value}")
                    return found
                return Skip("attribute of a class that is not a method")
        if isinstance(expr, (cst.Name, cst.Attribute)):
            for q in sorted(module.qualified(expr)):
                if q.startswith("builtins."):
                    return Skip("builtin callable")
                found_node = self.lookup(q, depth)
                if found_node is not None:
                    return self.node_target(found_node[0], found_node[1], depth + 1)
            return Skip("defined outside the checked files")
        return Skip(f"unsupported expression ({type(expr).__name__})")

    def assignment_target(
        self, module: Module, assignment: Assignment, depth: int
    ) -> Target | Skip | None:
        node = assignment.node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return self.node_target(module, node, depth + 1)
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return None  # resolved by qualified name
        value = _assigned_value(module, assignment)
        if isinstance(value, cst.BaseExpression):
            return self.target(module, value, depth + 1)
        return Skip("parameter or loop variable")

    def node_target(self, module: Module, node: cst.CSTNode, depth: int) -> Target | Skip:
        if isinstance(node, cst.FunctionDef):
            return self.def_target(module, node, bound=False, depth=depth)
        if isinstance(node, cst.ClassDef):
            init = _class_member(node, "__init__")
            if isinstance(init, cst.FunctionDef):
                found = self.def_target(module, init, bound=True, depth=depth)
                if isinstance(found, Target):
                    returns = self.class_type(module, node, depth)
                    found = replace(
                        found, signature=replace(found.signature, returns=returns, is_async=False)
                    )
                return found
            return Skip("class without __init__")
        if isinstance(node, cst.BaseExpression):
            return self.target(module, node, depth + 1)
        return Skip("unsupported definition")

    def call_target(self, module: Module, call: cst.Call, depth: int) -> Target | Skip:
        names = module.qualified(call.func)
        if names & _PARTIAL:
            if not call.args or call.args[0].keyword is not None or any(a.star for a in call.args):
                return Skip("partial with unpacked arguments")
            inner = self.target(module, call.args[0].value, depth + 1)
            if isinstance(inner, Skip):
                return inner
            positional = sum(1 for a in call.args[1:] if a.keyword is None)
            keywords = tuple(a.keyword.value for a in call.args[1:] if a.keyword is not None)
            signature = apply_partial(inner.signature, positional, keywords)
            if signature is None:
                return Skip("partial that inspect.signature rejects")
            return replace(inner, signature=signature)
        if isinstance(call.func, cst.Call) and _is_create_evaluator(module, call.func.func):
            return Skip("create_evaluator object (checked where it is created)")
        if names & {spec.EVALS_CREATE_EVALUATOR}:
            return Skip("phoenix.evals evaluator")
        cls = self.resolve_class(module, call.func, depth)
        if cls is not None:
            cls_module, cls_node = cls
            member = _class_member(cls_node, "__call__")
            if isinstance(member, cst.FunctionDef):
                found = self.def_target(cls_module, member, bound=True, depth=depth + 1)
                # Phoenix names an instance str(obj): unique per object, never a duplicate
                return replace(found, phoenix_name=None) if isinstance(found, Target) else found
            return Skip("instance of a class without __call__")
        factory = self.target(module, call.func, depth + 1)
        if isinstance(factory, Target) and isinstance(factory.anchor.node, cst.FunctionDef):
            returned = _returned_callable(factory.anchor.node)
            if returned is not None:
                return self.target(factory.anchor.module, returned, depth + 1)
            return Skip("factory whose result is not an inner def")
        return factory if isinstance(factory, Skip) else Skip("call result")

    def resolve_class(
        self, module: Module, expr: cst.BaseExpression, depth: int
    ) -> tuple[Module, cst.ClassDef] | None:
        if isinstance(expr, cst.Name):
            assignments = _assignments(module, expr)
            if len(assignments) == 1 and isinstance(assignments[0].node, cst.ClassDef):
                return module, assignments[0].node
        if isinstance(expr, (cst.Name, cst.Attribute)):
            for q in module.qualified(expr):
                found = self.lookup(q, depth)
                if found is not None and isinstance(found[1], cst.ClassDef):
                    return found[0], found[1]
        return None

    def instance_class(
        self, module: Module, expr: cst.BaseExpression, depth: int
    ) -> tuple[Module, cst.ClassDef, bool] | None:
        """The class of `expr` when it is a class (False) or an instance of one (True)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call):
            found = self.resolve_class(module, expr.func, depth + 1)
            return (found[0], found[1], True) if found else None
        found = self.resolve_class(module, expr, depth + 1)
        if found is not None:
            return found[0], found[1], False
        if isinstance(expr, cst.Name):
            assignments = _assignments(module, expr)
            if len(assignments) == 1:
                value = _assigned_value(module, assignments[0])
                if isinstance(value, cst.Call):
                    return self.instance_class(module, value, depth + 1)
        return None

    def def_target(
        self, module: Module, node: cst.FunctionDef, *, bound: bool, depth: int
    ) -> Target | Skip:
        params = _params(node.params, module, self)
        returns = (
            self.annotation(module, node.returns.annotation) if node.returns is not None else None
        )
        is_async = node.asynchronous is not None
        if returns is None and _is_generator(node):
            returns = TypeExpr.named(
                "typing.AsyncGenerator" if is_async else "typing.Generator", UNKNOWN
            )
            is_async = False
        signature = Signature(tuple(p for p, _ in params), returns, is_async)
        anchor = Anchor(module, node, node.name, {p.name: n for p, n in params}, node.name.value)
        for decorator in reversed(node.decorators):
            expr = decorator.decorator
            call_func = expr.func if isinstance(expr, cst.Call) else expr
            names = module.qualified(call_func)
            if spec.EVALS_CREATE_EVALUATOR in names:
                return Skip("phoenix.evals evaluator")
            if names & _PRESERVING or _is_create_evaluator(module, call_func):
                continue
            replaced = self.decorator_signature(module, expr, depth)
            if isinstance(replaced, Skip):
                return replaced
            if replaced is not None:
                signature = replaced
                anchor = replace(anchor, params={})
        if bound:
            dropped = drop_first(signature)
            if dropped is None:
                return Skip("method without a self parameter")
            signature = dropped
        name = node.name.value
        return Target(signature, anchor, phoenix_name=name)

    def decorator_signature(
        self, module: Module, expr: cst.BaseExpression, depth: int
    ) -> Signature | Skip | None:
        """The wrapper's signature when a project decorator hides the function, else None."""
        if depth > _MAX_DEPTH:
            return Skip("decorator chain too deep")
        func_expr = expr.func if isinstance(expr, cst.Call) else expr
        decorator = self.target(module, func_expr, depth + 1)
        if isinstance(decorator, Skip) or not isinstance(decorator.anchor.node, cst.FunctionDef):
            return None  # unknown decorator: assumed to preserve the signature
        deco_def = decorator.anchor.node
        deco_module = decorator.anchor.module
        if isinstance(expr, cst.Call):  # a decorator factory: its result is the decorator
            inner = _returned_callable(deco_def)
            inner_def = _local_def(deco_def, inner)
            if inner_def is None:
                return None
            deco_def = inner_def
        wrapper = _local_def(deco_def, _returned_callable(deco_def))
        if wrapper is None:
            return None
        for d in wrapper.decorators:
            inner_expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
            if deco_module.qualified(inner_expr) & {"functools.wraps", "functools.update_wrapper"}:
                return None
        found = self.def_target(deco_module, wrapper, bound=False, depth=depth + 1)
        return found.signature if isinstance(found, Target) else found

    # ---------------------------------------------------------------- types

    def annotation(self, module: Module, node: cst.BaseExpression) -> TypeExpr:
        def resolve(n: cst.BaseExpression) -> str | None:
            try:
                names = module.qualified(n)
            except KeyError:
                names = _string_names(module, n)
            return sorted(names)[0] if len(names) == 1 else None

        def local(name: str, depth: int) -> TypeExpr | None:
            if depth > 20:
                return UNKNOWN
            found = self.lookup(name, depth)
            if found is None:
                return None
            found_module, node = found
            if isinstance(node, cst.ClassDef):
                return self.class_type(found_module, node, depth)
            if isinstance(node, cst.Call):  # NewType("X", base)
                if found_module.qualified(node.func) & {"typing.NewType"} and len(node.args) == 2:
                    return self.annotation(found_module, node.args[1].value)
                return UNKNOWN
            if isinstance(node, cst.BaseExpression):  # a type alias
                return self.annotation(found_module, node)
            return UNKNOWN

        def parse_string(text: str) -> cst.BaseExpression | None:
            try:
                return cst.parse_expression(text)
            except Exception:
                return None

        return typeexpr.translate(node, resolve, local, parse_string)

    def class_type(self, module: Module, node: cst.ClassDef, depth: int) -> TypeExpr:
        bases = {q for b in node.bases for q in module.qualified(b.value)}
        qualified = f"{module.name}.{node.name.value}"
        fields = _class_fields(node)
        if bases & _TYPEDDICT_BASES:
            return TypeExpr.typeddict(
                qualified, *(self.annotation(module, ann) for ann in _field_annotations(node))
            )
        if bases & _ENUM_BASES:
            return TypeExpr.named("enum.Enum")
        if bases & _NAMEDTUPLE_BASES:
            return TypeExpr.named(
                "builtins.tuple",
                *(self.annotation(module, ann) for ann in _field_annotations(node)),
            )
        for base in (
            "builtins.dict",
            "builtins.list",
            "builtins.str",
            "builtins.int",
            "builtins.float",
        ):
            if base in bases:
                return TypeExpr.named(base)
        decorators = {
            q
            for d in node.decorators
            for q in module.qualified(
                d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
            )
        }
        if decorators & _DATACLASS or bases & _PYDANTIC:
            return TypeExpr.cls(qualified, fields)
        if bases - {"builtins.object"}:
            return UNKNOWN  # a base we cannot see might make it anything
        return TypeExpr.cls(qualified, None)


# -------------------------------------------------------------------- the visitor


class _Visitor(cst.CSTVisitor):
    def __init__(self, engine: Engine, module: Module) -> None:
        super().__init__()
        self.engine = engine
        self.module = module

    def visit_Call(self, node: cst.Call) -> None:
        self.engine.on_call(self.module, node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.decorators:
            self.engine.on_function(self.module, node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if node.bases:
            self.engine.on_class(self.module, node)

    def visit_Import(self, node: cst.Import) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self._import(alias, _code(alias.name))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        base = _code(node.module)
        if base == "phoenix" and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                self._import(alias, f"phoenix.{_code(alias.name)}")
        else:
            self._import(node, base)

    def _import(self, node: cst.CSTNode, module_name: str) -> None:
        for d in judge.check_import(module_name):
            self.engine.emit(self.module, node, d)


# -------------------------------------------------------------------- CST helpers


def spec_marker(module: Module, expr: cst.BaseExpression) -> bool:
    return f"pytest.mark.{spec.PYTEST_MARKER}" in module.qualified(expr)


def _is_create_evaluator(module: Module, expr: cst.BaseExpression) -> bool:
    return bool(module.qualified(expr) & set(spec.CREATE_EVALUATOR))


def _is_method(module: Module, node: cst.FunctionDef) -> bool:
    return isinstance(module.parent(module.parent(node) or node), cst.ClassDef) and (
        _method_kind(module, node) != "static"
    )


def _method_kind(module: Module, node: cst.FunctionDef) -> str:
    for d in node.decorators:
        names = module.qualified(d.decorator)
        if _STATICMETHOD in names:
            return "static"
        if _CLASSMETHOD in names:
            return "class"
    return "instance"


def _argument(call: cst.Call, keyword: str, position: int | None) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if position is not None:
        positional = [a for a in call.args if a.keyword is None]
        if any(a.star for a in positional[: position + 1]):
            return None
        if len(positional) > position:
            return positional[position].value
    return None


def _params(
    params: cst.Parameters, module: Module, engine: Engine
) -> list[tuple[Param, cst.CSTNode]]:
    out: list[tuple[Param, cst.CSTNode]] = []

    def add(p: cst.Param, kind: Kind) -> None:
        annotation = (
            engine.annotation(module, p.annotation.annotation) if p.annotation is not None else None
        )
        out.append((Param(p.name.value, kind, p.default is not None, annotation), p))

    for p in params.posonly_params:
        add(p, Kind.POSITIONAL_ONLY)
    for p in params.params:
        add(p, Kind.POSITIONAL_OR_KEYWORD)
    if isinstance(params.star_arg, cst.Param):
        add(params.star_arg, Kind.VAR_POSITIONAL)
    for p in params.kwonly_params:
        add(p, Kind.KEYWORD_ONLY)
    if params.star_kwarg is not None:
        add(params.star_kwarg, Kind.VAR_KEYWORD)
    return out


def _assignments(module: Module, name: cst.Name) -> list[Assignment]:
    scope = module.scope(name)
    if scope is None:
        return []
    try:
        found = scope[name.value]
    except Exception:
        return []
    return [a for a in found if isinstance(a, Assignment)]


def _assigned_value(module: Module, assignment: Assignment) -> cst.CSTNode | None:
    node = assignment.node
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return node
    parent = module.parent(node)
    if isinstance(parent, cst.AssignTarget):
        assign = module.parent(parent)
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
            return assign.value
        return None
    if isinstance(parent, cst.AnnAssign):
        return parent.value if parent.value is not None else parent.annotation
    if isinstance(parent, cst.Param):
        return parent.annotation
    if isinstance(parent, cst.NamedExpr):
        return parent.value
    return None


def _enclosing_class(module: Module, node: cst.CSTNode) -> cst.ClassDef | None:
    current: cst.CSTNode | None = node
    while current is not None:
        current = module.parent(current)
        if isinstance(current, cst.ClassDef):
            return current
    return None


def _self_attribute_values(cls: cst.ClassDef, attr: str) -> list[cst.CSTNode]:
    values: list[cst.CSTNode] = []

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for t in node.targets:
                if _is_self_attr(t.target, attr):
                    values.append(node.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if _is_self_attr(node.target, attr) or (
                isinstance(node.target, cst.Name) and node.target.value == attr
            ):
                values.append(node.value if node.value is not None else node.annotation)

    cls.body.visit(Finder())
    return values


def _is_self_attr(node: cst.CSTNode, attr: str) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
        and node.attr.value == attr
    )


def _class_member(cls: cst.ClassDef, name: str) -> cst.CSTNode | None:
    found: cst.CSTNode | None = None
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == name:
            found = stmt
    return found


def _class_fields(cls: cst.ClassDef) -> tuple[str, ...]:
    out = []
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    out.append(small.target.value)
    return tuple(out)


def _field_annotations(cls: cst.ClassDef) -> list[cst.BaseExpression]:
    out = []
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign):
                    out.append(small.annotation.annotation)
    return out


def _returned_callable(fn: cst.FunctionDef) -> cst.BaseExpression | None:
    """The expression a function returns, when it has exactly one `return <expr>`."""
    returns: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is fn

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                returns.append(node.value)

    fn.visit(Finder())
    return returns[0] if len(returns) == 1 else None


def _local_def(fn: cst.FunctionDef, expr: cst.BaseExpression | None) -> cst.FunctionDef | None:
    if not isinstance(expr, cst.Name):
        return None
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    found = None
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == expr.value:
            found = stmt
    return found


def _is_generator(fn: cst.FunctionDef) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is fn

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Yield(self, node: cst.Yield) -> None:
            nonlocal found
            found = True

    fn.visit(Finder())
    return found


def _string_names(module: Module, node: cst.BaseExpression) -> set[str]:
    """Resolve a name inside a string annotation through the module's top-level imports."""
    dotted = _code(node)
    head, _, rest = dotted.partition(".")
    table = _import_table(module)
    if head in table:
        return {table[head] + ("." + rest if rest else "")}
    if head in module.top_level:
        return {f"{module.name}.{dotted}"}
    import builtins

    if hasattr(builtins, head) and not rest:
        return {f"builtins.{head}"}
    return set()


def _import_table(module: Module) -> dict[str, str]:
    table: dict[str, str] = {}
    for stmt in module.tree.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = _code(alias.name)
                    local = alias.asname.name if alias.asname else None
                    if isinstance(local, cst.Name):
                        table[local.value] = full
                    else:
                        table[full.split(".")[0]] = full.split(".")[0]
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                base = _code(small.module) if small.module is not None else ""
                if small.relative:
                    base = module.absolute("." * len(small.relative) + base)
                for alias in small.names:
                    name = _code(alias.name)
                    local = alias.asname.name if alias.asname else None
                    key = local.value if isinstance(local, cst.Name) else name
                    table[key] = f"{base}.{name}"
    return table
