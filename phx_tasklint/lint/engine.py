"""The linter's adapter: find what reaches Phoenix, translate it, ask the judge, place findings.

Nothing here decides whether a signature is good: every verdict comes from `judge`. This module
only answers "which callable is handed to Phoenix, with which role, on which runner" and "where
in the file does a finding belong".
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from phx_tasklint.core import judge, spec
from phx_tasklint.core.model import (
    UNKNOWN,
    CallSite,
    Context,
    Diagnostic,
    Fix,
    Kind,
    Param,
    Role,
    Signature,
    TypeExpr,
)
from phx_tasklint.lint import LintConfig, typeexpr
from phx_tasklint.lint.callables import apply_partial, drop_first
from phx_tasklint.lint.findings import Finding, Location
from phx_tasklint.lint.modindex import module_name
from phx_tasklint.lint.modules import Binding, Module
from phx_tasklint.lint.noqa import suppresses
from phx_tasklint.lint.sources import Source

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
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
_WRAPS = frozenset({"functools.wraps", "functools.update_wrapper"})
_TYPEDDICT_BASES = frozenset({"typing.TypedDict", "typing_extensions.TypedDict"})
_NAMEDTUPLE_BASES = frozenset({"typing.NamedTuple"})
_ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"})
_DATACLASS = frozenset({"dataclasses.dataclass"})
_PYDANTIC = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
_NEWTYPE = frozenset({"typing.NewType", "typing_extensions.NewType"})
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Anchor:
    """Where findings about one callable go."""

    module: Module
    node: ast.AST  # the def or lambda
    params: dict[str, ast.AST] = field(hash=False, compare=False)
    function: str | None = None
    # the parameters as written in that def, for deciding whether a fix can be written there
    written: tuple[Param, ...] = ()


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
ModuleFinder = Callable[[str], "Source | None"]


class Engine:
    """Analyses candidate files one at a time; `find_module` loads other checked modules by
    dotted name when a hand-off refers to them."""

    def __init__(
        self, config: LintConfig, find_module: ModuleFinder, record_handoffs: bool = True
    ) -> None:
        self.config = config
        self.find_module = find_module
        # the hand-off records serve `lint()` callers and tests; `check` reports findings only
        self.record_handoffs = record_handoffs
        self._verdicts: dict[tuple[Signature, Role, Context], tuple[Diagnostic, ...]] = {}
        self.parsed: dict[str, Module | None] = {}
        self.result = Result()
        self._seen: set[tuple[object, ...]] = set()
        self.deps: set[str] = set()
        self.found: set[tuple[str, str]] = set()
        self.misses: set[str] = set()
        self._targets: dict[tuple[ast.AST, bool], Target | Skip] = {}

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
        self.found = set()
        self.misses = set()
        # per file: working a target out records the files it looked in (deps, misses)
        self._targets = {}
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
        self.deps.discard(source.path)
        self.result.deps = tuple(sorted(self.deps))
        self.result.found = tuple(sorted(f for f in self.found if f[1] != source.path))
        self.result.misses = tuple(sorted(self.misses))
        module = self.parsed.get(source.path)
        if (module is not None and source.kind == "python") and (
            self.found or self.misses or any(getattr(i, "level", 0) for i in module.imports)
        ):
            self.result.name = module.name
        return self.result

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
                if node.module == "phoenix":
                    for alias in node.names:
                        self.on_import(module, node, f"phoenix.{alias.name}")
                else:
                    self.on_import(module, node, node.module)

    def lookup(self, qualified: str, depth: int) -> tuple[Module, ast.AST] | None:
        """A qualified name defined at the top level of a checked module."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            source = self.find_module(".".join(parts[:cut]))
            if source is None:
                self.misses.add(".".join(parts[:cut]))
                continue
            self.deps.add(source.path)
            self.found.add((".".join(parts[:cut]), source.path))
            module = self.module(source)
            if module is None:
                return None
            node = module.top_level.get(parts[cut])
            if node is None:
                return None
            if cut + 1 == len(parts):
                return module, node
            if isinstance(node, ast.ClassDef) and cut + 2 == len(parts):
                member = _class_member(node, parts[cut + 1])
                return (module, member) if member is not None else None
            return None
        return None

    # ---------------------------------------------------------------- findings

    def location(self, module: Module, node: ast.AST) -> Location:
        line, column, end_line, end_column = module.position(node)
        cell, line, column = module.source.locate(line, column)
        _, end_line, end_column = module.source.locate(end_line, end_column)
        return Location(module.source.path, line, column, end_line, end_column, cell)

    def emit(
        self, module: Module, node: ast.AST, diagnostic: Diagnostic, function: str | None = None
    ) -> None:
        if suppresses(module.line(getattr(node, "lineno", 1)), diagnostic.code):
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
        site: Site | None,
        expr: ast.expr | None = None,
    ) -> None:
        if target.evaluator_method:
            context = replace(context, evaluator_method=True)
        diagnostics = self.verdict(target.signature, role, context)
        if site is not None and self.record_handoffs:
            where = self.location(site[0], expr if expr is not None else site[1])
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
        for diagnostic in diagnostics:
            anchor = target.anchor
            node = anchor.params.get(diagnostic.param or "", anchor.node)
            if diagnostic.fix is not None and not _writable(diagnostic.fix, anchor):
                diagnostic = replace(diagnostic, fix=None)
            if site is not None and site[0].source.path != anchor.module.source.path:
                where = self.location(site[0], site[1])
                diagnostic = replace(
                    diagnostic,
                    message=f"{diagnostic.message} (handed to {site[2]} at "
                    f"{where.path}:{where.line})",
                )
            self.emit(anchor.module, node, diagnostic, anchor.function)

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

    def skip(self, reason: str) -> None:
        self.result.skipped[reason] += 1

    # ---------------------------------------------------------------- runners

    def runner(self, module: Module, call: ast.Call) -> RunnerCall | None:
        for q in module.qualified(call.func):
            found = self._runner_by_name(q)
            if found is not None:
                return found
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "experiments"
        ):
            method = func.attr
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
        if module in spec.LEGACY_RUNNER_MODULES:
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

    def client_kind(self, module: Module, expr: ast.AST, depth: int) -> bool | None:
        """True: a sync Client; False: an AsyncClient; None: not known to be a Phoenix client."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            for q in module.qualified(expr.func):
                if q in spec.CLIENT_CLASSES:
                    return spec.CLIENT_CLASSES[q]
            return None
        if isinstance(expr, ast.Name):
            kinds = {self._binding_client(module, b, depth) for b in module.assignments(expr)}
            return kinds.pop() if len(kinds) == 1 else None
        if (
            isinstance(expr, ast.Attribute)
            and isinstance(expr.value, ast.Name)
            and expr.value.id == "self"
        ):
            cls = _enclosing_class(module, expr)
            if cls is None:
                return None
            kinds = set()
            for value, is_annotation in _self_attribute_values(cls, expr.attr):
                kinds.add(self._value_client(module, value, is_annotation, depth))
            return kinds.pop() if len(kinds) == 1 else None
        return None

    def _binding_client(self, module: Module, binding: Binding, depth: int) -> bool | None:
        if binding.kind == "param":
            annotation = getattr(binding.node, "annotation", None)
            return self._value_client(module, annotation, True, depth) if annotation else None
        if binding.kind == "assign":
            is_annotation = not isinstance(binding.node, ast.Call)
            return self._value_client(module, binding.node, is_annotation, depth)
        return None

    def _value_client(
        self, module: Module, value: ast.AST, is_annotation: bool, depth: int
    ) -> bool | None:
        if is_annotation:
            for q in module.qualified(value):
                if q in spec.CLIENT_CLASSES:
                    return spec.CLIENT_CLASSES[q]
            return None
        return self.client_kind(module, value, depth + 1)

    # ---------------------------------------------------------------- hand-offs

    def on_call(self, module: Module, call: ast.Call) -> None:
        runner = self.runner(module, call)
        if runner is None:
            self.on_create_evaluator_call(module, call)
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
        context = Context(profile=profile, sync_runner=runner.sync_runner)
        site = (module, call, runner.label)
        if runner.takes_task:
            expr = _argument(call, "task", runner.task_position)
            if expr is not None:
                self.hand_off(module, expr, "task", context, site)
        expr = _argument(call, runner.evaluators_keyword, runner.evaluators_position)
        if expr is not None:
            self.hand_off_evaluators(module, expr, context, site, sequence_only=False)

    def on_import(self, module: Module, node: ast.AST, imported: str) -> None:
        for d in judge.check_import(imported):
            self.emit(module, node, d)

    def hand_off(
        self, module: Module, expr: ast.expr, role: Role, context: Context, site: Site
    ) -> Target | None:
        found = self.target(module, expr, 0)
        if isinstance(found, Skip):
            self.skip(found.reason)
            return None
        self.check_target(found, role, context, site, expr)
        return found

    def hand_off_evaluators(
        self, module: Module, expr: ast.expr, context: Context, site: Site, sequence_only: bool
    ) -> None:
        names: list[str | None] = []
        nodes: list[ast.AST] = []
        for key, item in self.evaluator_items(module, expr, 0, sequence_only):
            if isinstance(item, ast.Constant) and item.value is None:
                continue
            target = self.hand_off(module, item, "evaluator", context, site)
            names.append(key or (target.phoenix_name if target is not None else None))
            nodes.append(item)
        for d in judge.check_call(CallSite(callee=site[2], evaluator_names=tuple(names))):
            index = d.item if d.item is not None else 0
            self.emit(module, nodes[index] if nodes else site[1], d)

    def evaluator_items(
        self, module: Module, expr: ast.expr, depth: int, sequence_only: bool
    ) -> list[tuple[str | None, ast.expr]]:
        if depth > _MAX_DEPTH:
            return []
        if isinstance(expr, (ast.List, ast.Tuple)):
            out: list[tuple[str | None, ast.expr]] = []
            for element in expr.elts:
                if isinstance(element, ast.Starred):
                    self.skip("starred evaluator list")
                    continue
                out.append((None, element))
            return out
        if isinstance(expr, ast.Dict) and not sequence_only:
            out = []
            for key, value in zip(expr.keys, expr.values, strict=True):
                if key is None:
                    self.skip("dict unpacking in evaluators")
                    continue
                name = key.value if isinstance(key, ast.Constant) else None
                out.append((name if isinstance(name, str) and name else None, value))
            return out
        if isinstance(expr, ast.Name):
            bindings = module.assignments(expr)
            if len(bindings) == 1 and bindings[0].kind == "assign":
                assigned = bindings[0].node
                if isinstance(assigned, (ast.List, ast.Tuple, ast.Dict)):
                    return self.evaluator_items(module, assigned, depth + 1, sequence_only)
        if isinstance(expr, (ast.GeneratorExp, ast.ListComp, ast.Set, ast.SetComp, ast.DictComp)):
            self.skip("evaluators built by a comprehension or set")
            return []
        return [(None, expr)]

    # ---------------------------------------------------------------- decorators & classes

    def on_create_evaluator_call(self, module: Module, call: ast.Call) -> None:
        """`create_evaluator(...)(fn)`: fn is an evaluator, validated right there."""
        if isinstance(call.func, ast.Call) and _is_create_evaluator(module, call.func.func):
            self.check_create_evaluator_args(module, call.func)
            if call.args and not isinstance(call.args[0], ast.Starred):
                site = (module, call, "create_evaluator")
                context = Context(profile=self.config.phoenix_version)
                self.hand_off(module, call.args[0], "evaluator", context, site)

    def check_create_evaluator_args(self, module: Module, call: ast.Call) -> None:
        kind_arg = _argument(call, "kind", 0)
        if isinstance(kind_arg, ast.Constant) and isinstance(kind_arg.value, str):
            for d in judge.check_evaluator_kind(kind_arg.value):
                self.emit(module, kind_arg, d)

    def on_function(self, module: Module, node: FunctionNode) -> None:
        for expr in node.decorator_list:
            if not isinstance(expr, ast.Call) and _is_create_evaluator(module, expr):
                for d in judge.check_evaluator_decorator(bare=True):
                    self.emit(module, expr, d)
            elif isinstance(expr, ast.Call) and _is_create_evaluator(module, expr.func):
                self.check_create_evaluator_args(module, expr)
                target = self.def_target(module, node, bound=_is_method(module, node), depth=0)
                if isinstance(target, Skip):
                    self.skip(target.reason)
                else:
                    context = Context(profile=self.config.phoenix_version)
                    site: Site = (module, node, "create_evaluator")
                    self.check_target(target, "evaluator", context, site)
            elif isinstance(expr, ast.Call) and _is_marker(module, expr.func):
                evaluators = _argument(expr, "evaluators", None)
                if evaluators is not None:
                    site = (module, expr, "pytest.mark.phoenix")
                    context = Context(profile=self.config.phoenix_version)
                    self.hand_off_evaluators(module, evaluators, context, site, sequence_only=True)

    def on_class(self, module: Module, node: ast.ClassDef) -> None:
        bases = {q for b in node.bases for q in module.qualified(b)}
        matched = bases & set(spec.BASE_EVALUATOR_CLASSES)
        if not matched:
            return
        legacy = any(b.startswith(spec.LEGACY_MODULE + ".") for b in matched)
        profile = "legacy" if legacy else self.config.phoenix_version
        for method_name in spec.EVALUATOR_METHODS:
            member = _class_member(node, method_name)
            if isinstance(member, _FUNCTIONS):
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

    def target(self, module: Module, expr: ast.AST, depth: int) -> Target | Skip:
        if depth > _MAX_DEPTH:
            return Skip("resolution too deep")
        if isinstance(expr, ast.Lambda):
            params = self.params(expr.args, module)
            written = tuple(p for p, _ in params)
            anchor = Anchor(module, expr, {p.name: n for p, n in params}, "<lambda>", written)
            return Target(Signature(tuple(p for p, _ in params)), anchor)
        if isinstance(expr, ast.Call):
            return self.call_target(module, expr, depth)
        if isinstance(expr, ast.Name):
            bindings = module.assignments(expr)
            if len(bindings) == 1:
                found = self.binding_target(module, bindings[0], depth)
                if found is not None:
                    return found
            elif len(bindings) > 1:
                return Skip("name assigned more than once")
        if isinstance(expr, ast.Attribute):
            owner = self.instance_class(module, expr.value, depth)
            if owner is not None:
                owner_module, cls, is_instance = owner
                member = _class_member(cls, expr.attr)
                if isinstance(member, _FUNCTIONS):
                    kind = _method_kind(owner_module, member)
                    bound = (is_instance and kind != "static") or kind == "class"
                    found = self.def_target(owner_module, member, bound=bound, depth=depth + 1)
                    if isinstance(found, Target):
                        found = replace(found, phoenix_name=f"{cls.name}.{member.name}")
                    return found
                return Skip("attribute of a class that is not a method")
        if isinstance(expr, (ast.Name, ast.Attribute)):
            for q in sorted(module.qualified(expr)):
                if q.startswith("builtins."):
                    return Skip("builtin callable")
                found_node = self.lookup(q, depth)
                if found_node is not None:
                    return self.node_target(found_node[0], found_node[1], depth + 1)
            return Skip("defined outside the checked files")
        return Skip(f"unsupported expression ({type(expr).__name__})")

    def binding_target(self, module: Module, binding: Binding, depth: int) -> Target | Skip | None:
        if binding.kind == "def":
            return self.node_target(module, binding.node, depth + 1)
        if binding.kind == "import":
            return None  # resolved by qualified name
        if binding.kind == "assign":
            return self.target(module, binding.node, depth + 1)
        return Skip("parameter or loop variable")

    def node_target(self, module: Module, node: ast.AST, depth: int) -> Target | Skip:
        if isinstance(node, _FUNCTIONS):
            return self.def_target(module, node, bound=False, depth=depth)
        if isinstance(node, ast.ClassDef):
            init = _class_member(node, "__init__")
            if isinstance(init, _FUNCTIONS):
                found = self.def_target(module, init, bound=True, depth=depth)
                if isinstance(found, Target):
                    returns = self.class_type(module, node, depth)
                    found = replace(
                        found, signature=replace(found.signature, returns=returns, is_async=False)
                    )
                return found
            return Skip("class without __init__")
        if isinstance(node, ast.expr):
            return self.target(module, node, depth + 1)
        return Skip("unsupported definition")

    def call_target(self, module: Module, call: ast.Call, depth: int) -> Target | Skip:
        names = module.qualified(call.func)
        if names & _PARTIAL:
            unpacked = any(isinstance(a, ast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords
            )
            if not call.args or unpacked:
                return Skip("partial with unpacked arguments")
            inner = self.target(module, call.args[0], depth + 1)
            if isinstance(inner, Skip):
                return inner
            keywords = tuple(k.arg for k in call.keywords if k.arg is not None)
            signature = apply_partial(inner.signature, len(call.args) - 1, keywords)
            if signature is None:
                return Skip("partial that inspect.signature rejects")
            return replace(inner, signature=signature)
        if isinstance(call.func, ast.Call) and _is_create_evaluator(module, call.func.func):
            return Skip("create_evaluator object (checked where it is created)")
        if spec.EVALS_CREATE_EVALUATOR in names:
            return Skip("phoenix.evals evaluator")
        cls = self.resolve_class(module, call.func, depth)
        if cls is not None:
            cls_module, cls_node = cls
            member = _class_member(cls_node, "__call__")
            if isinstance(member, _FUNCTIONS):
                found = self.def_target(cls_module, member, bound=True, depth=depth + 1)
                # Phoenix names an instance str(obj): unique per object, never a duplicate
                return replace(found, phoenix_name=None) if isinstance(found, Target) else found
            return Skip("instance of a class without __call__")
        factory = self.target(module, call.func, depth + 1)
        if isinstance(factory, Target) and isinstance(factory.anchor.node, _FUNCTIONS):
            returned = _returned_callable(factory.anchor.node)
            if returned is not None:
                return self.target(factory.anchor.module, returned, depth + 1)
            return Skip("factory whose result is not an inner def")
        return factory if isinstance(factory, Skip) else Skip("call result")

    def resolve_class(
        self, module: Module, expr: ast.AST, depth: int
    ) -> tuple[Module, ast.ClassDef] | None:
        if isinstance(expr, ast.Name):
            bindings = module.assignments(expr)
            if len(bindings) == 1 and isinstance(bindings[0].node, ast.ClassDef):
                return module, bindings[0].node
        if isinstance(expr, (ast.Name, ast.Attribute)):
            for q in module.qualified(expr):
                found = self.lookup(q, depth)
                if found is not None and isinstance(found[1], ast.ClassDef):
                    return found[0], found[1]
        return None

    def instance_class(
        self, module: Module, expr: ast.AST, depth: int
    ) -> tuple[Module, ast.ClassDef, bool] | None:
        """The class of `expr` when it is a class (False) or an instance of one (True)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            found = self.resolve_class(module, expr.func, depth + 1)
            return (found[0], found[1], True) if found else None
        found = self.resolve_class(module, expr, depth + 1)
        if found is not None:
            return found[0], found[1], False
        if isinstance(expr, ast.Name):
            bindings = module.assignments(expr)
            if len(bindings) == 1 and isinstance(bindings[0].node, ast.Call):
                return self.instance_class(module, bindings[0].node, depth + 1)
        return None

    def params(self, args: ast.arguments, module: Module) -> list[tuple[Param, ast.arg]]:
        out: list[tuple[Param, ast.arg]] = []
        positional = [*args.posonlyargs, *args.args]
        first_default = len(positional) - len(args.defaults)

        def add(arg: ast.arg, kind: Kind, has_default: bool) -> None:
            annotation = self.annotation(module, arg.annotation) if arg.annotation else None
            out.append((Param(arg.arg, kind, has_default, annotation), arg))

        for i, arg in enumerate(positional):
            kind = Kind.POSITIONAL_ONLY if i < len(args.posonlyargs) else Kind.POSITIONAL_OR_KEYWORD
            add(arg, kind, i >= first_default)
        if args.vararg is not None:
            add(args.vararg, Kind.VAR_POSITIONAL, False)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            add(arg, Kind.KEYWORD_ONLY, default is not None)
        if args.kwarg is not None:
            add(args.kwarg, Kind.VAR_KEYWORD, False)
        return out

    def def_target(
        self, module: Module, node: FunctionNode, *, bound: bool, depth: int
    ) -> Target | Skip:
        """What handing over `node` hands over. An undecorated def's answer is remembered for
        the analysis of one file (a def handed to several runners is asked for again and
        again); `depth` matters to decorated ones only."""
        if node.decorator_list:
            return self._def_target(module, node, bound=bound, depth=depth)
        key = (node, bound)  # the node, not its id: the memo keeps it alive, so no id is reused
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = self._def_target(module, node, bound=bound, depth=0)
        return found

    def _def_target(
        self, module: Module, node: FunctionNode, *, bound: bool, depth: int
    ) -> Target | Skip:
        params = self.params(node.args, module)
        returns = self.annotation(module, node.returns) if node.returns is not None else None
        is_async = isinstance(node, ast.AsyncFunctionDef)
        if returns is None and _is_generator(node):
            returns = TypeExpr.named(
                "typing.AsyncGenerator" if is_async else "typing.Generator", UNKNOWN
            )
            is_async = False
        signature = Signature(tuple(p for p, _ in params), returns, is_async)
        anchor = Anchor(module, node, {p.name: n for p, n in params}, node.name, signature.params)
        for expr in reversed(node.decorator_list):
            call_func = expr.func if isinstance(expr, ast.Call) else expr
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
                anchor = replace(anchor, params={}, written=())
        if bound:
            dropped = drop_first(signature)
            if dropped is None:
                return Skip("method without a self parameter")
            signature = dropped
        return Target(signature, anchor, phoenix_name=node.name)

    def decorator_signature(
        self, module: Module, expr: ast.expr, depth: int
    ) -> Signature | Skip | None:
        """The wrapper's signature when a project decorator hides the function, else None."""
        if depth > _MAX_DEPTH:
            return Skip("decorator chain too deep")
        func_expr = expr.func if isinstance(expr, ast.Call) else expr
        decorator = self.target(module, func_expr, depth + 1)
        if isinstance(decorator, Skip) or not isinstance(decorator.anchor.node, _FUNCTIONS):
            return None  # unknown decorator: assumed to preserve the signature
        deco_def: FunctionNode | None = decorator.anchor.node
        deco_module = decorator.anchor.module
        if isinstance(expr, ast.Call) and deco_def is not None:  # a factory returns the decorator
            deco_def = _local_def(deco_def, _returned_callable(deco_def))
        if deco_def is None:
            return None
        wrapper = _local_def(deco_def, _returned_callable(deco_def))
        if wrapper is None:
            return None
        for d in wrapper.decorator_list:
            inner = d.func if isinstance(d, ast.Call) else d
            if deco_module.qualified(inner) & _WRAPS:
                return None
        found = self.def_target(deco_module, wrapper, bound=False, depth=depth + 1)
        return found.signature if isinstance(found, Target) else found

    # ---------------------------------------------------------------- types

    def annotation(self, module: Module, node: ast.expr, depth: int = 0) -> TypeExpr:
        def resolve(n: ast.expr) -> str | None:
            names = module.qualified(n) if n in module.parents else set()
            if not names:  # a name from a string annotation: resolve it from the top level
                names = module.qualified_in_module(ast.unparse(n))
            return sorted(names)[0] if len(names) == 1 else None

        def local(name: str, depth: int) -> TypeExpr | None:
            if depth > 20:
                return UNKNOWN
            found = self.lookup(name, depth)
            if found is None:
                return None
            found_module, node = found
            if isinstance(node, ast.ClassDef):
                return self.class_type(found_module, node, depth + 1)
            if isinstance(node, ast.Call):  # NewType("X", base)
                if found_module.qualified(node.func) & _NEWTYPE and len(node.args) == 2:
                    return self.annotation(found_module, node.args[1], depth + 1)
                return UNKNOWN
            if isinstance(node, ast.expr):  # a type alias, perhaps a recursive one
                return self.annotation(found_module, node, depth + 1)
            return UNKNOWN

        return typeexpr.translate(node, resolve, local, depth)

    def class_type(self, module: Module, node: ast.ClassDef, depth: int) -> TypeExpr:
        bases = {q for b in node.bases for q in module.qualified(b)}
        qualified = f"{module.name}.{node.name}"
        fields = tuple(name for name, _ in _class_fields(node))
        if bases & _TYPEDDICT_BASES:
            return TypeExpr.typeddict(
                qualified,
                *(self.annotation(module, ann, depth + 1) for _, ann in _class_fields(node)),
            )
        if bases & _ENUM_BASES:
            return TypeExpr.named("enum.Enum")
        if bases & _NAMEDTUPLE_BASES:
            return TypeExpr.named(
                "builtins.tuple",
                *(self.annotation(module, ann, depth + 1) for _, ann in _class_fields(node)),
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
            for d in node.decorator_list
            for q in module.qualified(d.func if isinstance(d, ast.Call) else d)
        }
        if decorators & _DATACLASS or bases & _PYDANTIC:
            return TypeExpr.cls(qualified, fields)
        if bases - {"builtins.object"}:
            return UNKNOWN  # a base we cannot see might make it anything
        return TypeExpr.cls(qualified, None)


# -------------------------------------------------------------------- AST helpers


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
    a notebook stands between the signature Phoenix sees and the source text."""
    if anchor.module.source.kind != "python":
        return False  # --fix rewrites .py files only
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


def _is_marker(module: Module, expr: ast.AST) -> bool:
    return f"pytest.mark.{spec.PYTEST_MARKER}" in module.qualified(expr)


def _is_create_evaluator(module: Module, expr: ast.AST) -> bool:
    return bool(module.qualified(expr) & set(spec.CREATE_EVALUATOR))


def _is_method(module: Module, node: FunctionNode) -> bool:
    return isinstance(module.parent(node), ast.ClassDef) and _method_kind(module, node) != "static"


def _method_kind(module: Module, node: FunctionNode) -> str:
    for d in node.decorator_list:
        names = module.qualified(d)
        if _STATICMETHOD in names:
            return "static"
        if _CLASSMETHOD in names:
            return "class"
    return "instance"


def _argument(call: ast.Call, keyword: str, position: int | None) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None:
        if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return None
        if len(call.args) > position:
            return call.args[position]
    return None


def _enclosing_class(module: Module, node: ast.AST) -> ast.ClassDef | None:
    current = module.parent(node)
    while current is not None:
        if isinstance(current, ast.ClassDef):
            return current
        current = module.parent(current)
    return None


def _self_attribute_values(cls: ast.ClassDef, attr: str) -> list[tuple[ast.AST, bool]]:
    """Values assigned to `self.<attr>` in the class, and its class-level annotation."""
    values: list[tuple[ast.AST, bool]] = []
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign):
            if any(_is_self_attr(t, attr) for t in node.targets):
                values.append((node.value, False))
        elif isinstance(node, ast.AnnAssign):
            named = isinstance(node.target, ast.Name) and node.target.id == attr
            if _is_self_attr(node.target, attr) or named:
                if node.value is not None:
                    values.append((node.value, False))
                else:
                    values.append((node.annotation, True))
    return values


def _is_self_attr(node: ast.AST, attr: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and node.attr == attr
    )


def _class_member(cls: ast.ClassDef, name: str) -> ast.AST | None:
    found: ast.AST | None = None
    for stmt in cls.body:
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)) and stmt.name == name:
            found = stmt
    return found


def _class_fields(cls: ast.ClassDef) -> list[tuple[str, ast.expr]]:
    return [
        (stmt.target.id, stmt.annotation)
        for stmt in cls.body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    ]


def _own_nodes(fn: FunctionNode) -> list[ast.AST]:
    """Nodes of a function's body, not descending into nested scopes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (*_FUNCTIONS, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _returned_callable(fn: FunctionNode) -> ast.expr | None:
    """The expression a function returns, when it has exactly one `return <expr>`."""
    returns = [n.value for n in _own_nodes(fn) if isinstance(n, ast.Return) and n.value]
    return returns[0] if len(returns) == 1 else None


def _local_def(fn: FunctionNode, expr: ast.expr | None) -> FunctionNode | None:
    if not isinstance(expr, ast.Name):
        return None
    found = None
    for stmt in fn.body:
        if isinstance(stmt, _FUNCTIONS) and stmt.name == expr.id:
            found = stmt
    return found


def _is_generator(fn: FunctionNode) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(fn))
