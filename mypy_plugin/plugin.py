"""The mypy plugin: checks every callable handed to a Phoenix experiment runner.

Enable it with `plugins = ["phx_tasklint.mypy"]` (or `["mypy_plugin"]`). Hooks on the runners
(`phoenix.client.experiments.*`, `Client().experiments.*`, `AsyncClient().experiments.*`, the
legacy `phoenix.experiments` functions, configured `task-runners` / `evaluator-runners`) and on
`create_evaluator(...)` translate the handed-over callables to the neutral model and report what
`judge.check` finds, one mypy error code per rule (`phx-<rule name>`), message unchanged.

The hooks only check: they return mypy's type unchanged. Signature hooks relax the `task` and
`evaluators` parameter types of the runners, and the parameter of the decorator that
`create_evaluator(...)` returns (callables may take and return anything), so that Phoenix's own
`Callable[..., JSONSerializable]` unions neither reject a TypedDict-returning task nor report a
mistake a second time in a 400-character `[arg-type]` message. The containers' items must be
relaxed to `Any` (a union of callables in a list display collapses to `function`), which also
hides mypy's own error on `evaluators=[1, None]`: the plugin reports each value that surely
cannot be called as PHX007 instead (`task=None` keeps mypy's `arg-type` error beside it, as in
plain mypy, since the relaxed `task` type still rejects what is not callable).

Decisions: an overloaded callable is judged by its implementation (what `inspect.signature`
sees) when the source has one, else only if every overload agrees on the parameters; a union of
callables, `Any`, `Callable[..., X]`, a protocol, a type variable and a partial of a partial are
skipped (not seen as Phoenix will see them); annotations are judged as written, never inferred
types (a lambda's or an unannotated def's); functools' cache wrappers and classes whose
`__init__` calls `functools.update_wrapper` are judged by the function they wrap, as
`inspect.signature` follows `__wrapped__`. Hooks never raise: an unexpected shape is skipped.
"""

from __future__ import annotations

import hashlib
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    Context,
    DictExpr,
    Expression,
    ListExpr,
    TupleExpr,
)
from mypy.options import Options
from mypy.plugin import (
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    Type,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

import phx_tasklint
from mypy_plugin import evals, handoffs
from phx_tasklint.core import evals_judge, judge, spec
from phx_tasklint.core.model import Context as JudgeContext
from phx_tasklint.core.model import Diagnostic, Role, RunnerKind
from phx_tasklint.project import config

# --------------------------------------------------------------------------------------------
# Version: the package version and a digest of the sources the verdicts depend on, so that
# `dmypy` and mypy's cache notice a changed rule table or judge, not only a new release.


def _digest() -> str:
    # the rule core and this adapter; a path that is not there fails loudly in the test of
    # this digest rather than silently hashing nothing
    core = Path(phx_tasklint.__file__).parent / "core"
    sources = [*sorted(core.glob("*.py")), *sorted(Path(__file__).parent.glob("*.py"))]
    h = hashlib.sha256()
    for path in sources:
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(path.name.encode())
    return h.hexdigest()[:12]


__version__ = f"{phx_tasklint.__version__}+{_digest()}"

_DEBUG = bool(os.environ.get("PHX_TASKLINT_MYPY_DEBUG"))

# --------------------------------------------------------------------------------------------
# Error codes: one per rule, generated from the rule table

ERROR_CODES: dict[str, ErrorCode] = {
    rule.code: ErrorCode(f"phx-{rule.name}", rule.summary, "phx-tasklint") for rule in spec.RULES
}

# --------------------------------------------------------------------------------------------
# Configuration (shared with the CLI)


@dataclass(frozen=True)
class Settings:
    profile: str = spec.DEFAULT_PROFILE
    enabled: Callable[[str, str], bool] = lambda code, path: True
    fingerprint: str = "defaults"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()
    # `mypy-warnings-as = "note"`: warning-level rules as notes, which leave mypy's exit status
    # alone (mypy has errors and notes only); part of `fingerprint`, so the cache follows it
    warnings_as_notes: bool = False
    evals_profile: str = spec.DEFAULT_EVALS_PROFILE


def load_settings(options: Options) -> Settings:
    start = Path(options.config_file).parent if options.config_file else None
    try:
        loaded = config.load_config(start=start)
    except config.ConfigError as exc:
        # mypy offers a plugin no way to report this; say it once and check with the defaults
        sys.stderr.write(f"phx-tasklint: {exc}; the mypy plugin uses the default settings\n")
        return Settings(fingerprint=f"error:{exc}")
    for warning in loaded.warnings:  # once: mypy makes one plugin per run
        sys.stderr.write(f"phx-tasklint: warning: {warning}\n")
    return Settings(
        profile=loaded.phoenix_version,
        enabled=loaded.enabled,
        fingerprint=loaded.fingerprint(),
        task_runners=tuple(loaded.task_runners),
        evaluator_runners=tuple(loaded.evaluator_runners),
        warnings_as_notes=loaded.mypy_warnings_as == "note",
        evals_profile=loaded.phoenix_evals_version,
    )


# --------------------------------------------------------------------------------------------
# The runners, by mypy full name


@dataclass(frozen=True)
class Runner:
    takes_task: bool
    takes_evaluators: bool = True
    sync_runner: bool | None = None
    kind: RunnerKind | None = None  # when Phoenix validates (None: a configured wrapper)
    profile: str | None = None  # forced (legacy); None: the configured one
    # the formal parameter holding the callables: by name, else by position
    task_position: int | None = None
    evaluators_position: int | None = None
    label: str = ""  # what the user called, for messages (as the linter names it)


def _runners(settings: Settings) -> dict[str, Runner]:
    out: dict[str, Runner] = {}
    for r in spec.CLIENT_RUNNERS:
        out[f"{spec.CLIENT_MODULE}.{r.method}"] = Runner(
            r.takes_task, sync_runner=True, kind=r.kind, label=r.method
        )
        async_method = f"{spec.ASYNC_PREFIX}{r.method}"
        out[f"{spec.CLIENT_MODULE}.{async_method}"] = Runner(
            r.takes_task, sync_runner=False, kind=r.kind, label=async_method
        )
        for cls, sync in spec.EXPERIMENTS_CLASSES.items():
            label = f"{'Client' if sync else 'AsyncClient'}().experiments.{r.method}"
            out[f"{cls}.{r.method}"] = Runner(
                r.takes_task, sync_runner=sync, kind=r.kind, label=label
            )
    # arize-phoenix < 14 defines them in phoenix.experiments.functions and re-exports them
    for module in spec.LEGACY_RUNNER_MODULES:
        for r in spec.LEGACY_RUNNERS:
            out[f"{module}.{r.method}"] = Runner(
                r.takes_task,
                profile="legacy",
                task_position=r.task_position,
                evaluators_position=r.evaluators_position,
                kind=r.kind,
                label=r.method,
            )
    for name in settings.task_runners:
        out.setdefault(name, Runner(True, takes_evaluators=False, task_position=0))
    for name in settings.evaluator_runners:
        out.setdefault(name, Runner(False, evaluators_position=0))
    return out


_LEGACY_PREFIX = spec.LEGACY_MODULE + "."

# --------------------------------------------------------------------------------------------
# Relaxing Phoenix's callable types: any return type, the rest as Phoenix wrote it


def _has_callable(t: Type) -> bool:
    p = get_proper_type(t)
    if isinstance(p, UnionType):
        return any(_has_callable(item) for item in p.items)
    return isinstance(p, CallableType)


def _relax(t: Type, function: Instance) -> Type:
    """Phoenix's callable unions, relaxed: a callable becomes `Callable[..., Any] | function`
    (any signature, any return type: the plugin judges those; `function` is mypy's join of
    unlike callables), and a container of callables `Sequence[Any]` / `Mapping[str, Any]` (a
    union of callables in a list display's context collapses to `function`, which rejects
    partials and callable objects)."""
    p = get_proper_type(t)
    if isinstance(p, CallableType):
        relaxed = p.copy_modified(
            arg_types=[AnyType(TypeOfAny.special_form)] * 2,
            arg_kinds=[ARG_STAR, ARG_STAR2],
            arg_names=[None, None],
            ret_type=AnyType(TypeOfAny.special_form),
            is_ellipsis_args=True,
            variables=[],
        )
        return UnionType.make_union([relaxed, function], p.line)
    if isinstance(p, UnionType):
        return UnionType.make_union([_relax(item, function) for item in p.items], p.line)
    if isinstance(p, Instance) and p.args:
        any_type = AnyType(TypeOfAny.special_form)
        return p.copy_modified(args=[any_type if _has_callable(a) else a for a in p.args])
    return t


def _function(ctx: FunctionSigContext | MethodSigContext) -> Instance:
    return ctx.api.named_generic_type("builtins.function", [])


def _relax_signature(ctx: FunctionSigContext | MethodSigContext) -> FunctionLike:
    try:
        sig = ctx.default_signature
        if not {"task", "evaluators"}.intersection(n for n in sig.arg_names if n):
            return sig
        function = _function(ctx)
        return sig.copy_modified(
            arg_types=[
                _relax(t, function) if name in ("task", "evaluators") else t
                for name, t in zip(sig.arg_names, sig.arg_types, strict=True)
            ]
        )
    except Exception:
        _debug()
        return ctx.default_signature


def _relax_decorator(ctx: FunctionSigContext) -> FunctionLike:
    """`create_evaluator(...)` returns `Callable[[ExperimentEvaluator], Evaluator]`: relax the
    parameter of the decorator it returns, as for the runners' `evaluators`."""
    try:
        sig = ctx.default_signature
        decorator = get_proper_type(sig.ret_type)
        if isinstance(decorator, CallableType):
            function = _function(ctx)
            relaxed = decorator.copy_modified(
                arg_types=[_relax(t, function) for t in decorator.arg_types]
            )
            return sig.copy_modified(ret_type=relaxed)
    except Exception:
        _debug()
    return ctx.default_signature


# --------------------------------------------------------------------------------------------
# The plugin


# Exceptions the hooks swallowed (the newest few), for tests and `PHX_TASKLINT_MYPY_DEBUG=1`.
FAILURES: list[str] = []
_INSTALLED = frozenset({"site-packages", "dist-packages", "typeshed"})


def _debug() -> None:
    """Record the exception being handled; the hooks never let one reach mypy."""
    text = traceback.format_exc()
    del FAILURES[:-19]
    FAILURES.append(text)
    if _DEBUG:
        sys.stderr.write(text)


class PhxTaskLintPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self.settings = load_settings(options)
        self.runners = _runners(self.settings)
        self.create_evaluator = frozenset(spec.CREATE_EVALUATOR)

    # ---------------------------------------------------------------- hook lookup

    def _runner(self, fullname: str) -> Runner | None:
        return self.runners.get(fullname)

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        if fullname in self.create_evaluator:
            return _relax_decorator
        return _relax_signature if self._runner(fullname) else None

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        return _relax_signature if self._runner(fullname) else None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname in self.create_evaluator:
            profile = "legacy" if fullname.startswith(_LEGACY_PREFIX) else None
            return lambda ctx: self._on_create_evaluator(ctx, profile)
        if evals.is_bind_evaluator(fullname):
            return self._on_bind_evaluator
        runner = self._runner(fullname)
        if runner is None:
            return None
        return lambda ctx: self._on_runner(ctx, runner)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        runner = self._runner(fullname)
        if runner is None:
            return None
        return lambda ctx: self._on_runner(ctx, runner)

    def report_config_data(self, ctx: ReportConfigContext) -> str:
        # Errors in installed packages are never shown: keep their cache when only the
        # configuration changed.
        if any(part in _INSTALLED for part in Path(ctx.path).parts):
            return __version__
        return f"{__version__}:{self.settings.fingerprint}"

    # ---------------------------------------------------------------- checks

    def _on_runner(self, ctx: FunctionContext | MethodContext, runner: Runner) -> Type:
        try:
            if isinstance(ctx.api, TypeChecker):
                self._check_runner(ctx.api, ctx, runner)
        except Exception:
            _debug()  # a plugin crash in the editor is worse than a missed finding
        return ctx.default_return_type

    def _check_runner(
        self, api: TypeChecker, ctx: FunctionContext | MethodContext, runner: Runner
    ) -> None:
        judged = JudgeContext(
            profile=runner.profile or self.settings.profile,
            sync_runner=runner.sync_runner,
            runner=runner.kind,
            evals_profile=self.settings.evals_profile,
        )
        if runner.takes_task:
            for expr, t in _actuals(ctx, "task", runner.task_position):
                self._report(api, handoffs.handed(api, expr, t), "task", judged, expr)
        if runner.takes_evaluators:
            index: handoffs.ModuleIndex | None = None
            for expr, t in _actuals(ctx, "evaluators", runner.evaluators_position):
                shape = _empty_literal(expr)  # written empty (a name may be filled later)
                if shape is not None:
                    found = judge.check_no_evaluators(runner.label, shape, judged)
                    self._emit(api, found, ctx.context)
                if index is None:
                    index = handoffs.module_index(api)
                for item, sig in handoffs.evaluator_items(api, expr, t, index):
                    read = evals.read(api, item, index)
                    if read is not None:  # a phoenix.evals object resolves its own fields
                        self._emit(api, evals_judge.check_evals(read, judged), item)
                    else:
                        self._report(api, sig, "evaluator", judged, item)

    def _on_bind_evaluator(self, ctx: FunctionContext) -> Type:
        """`bind_evaluator(f, {...})`: positional arguments are deprecated."""
        try:
            if isinstance(ctx.api, TypeChecker) and isinstance(ctx.context, CallExpr):
                call = ctx.context
                callee = evals.callee_text(call)
                given = evals.positional_bind_arguments(call)
                self._emit(ctx.api, evals_judge.check_bind_evaluator_call(callee, given), call)
        except Exception:
            _debug()
        return ctx.default_return_type

    def _on_create_evaluator(self, ctx: FunctionContext, profile: str | None) -> Type:
        try:
            if isinstance(ctx.api, TypeChecker) and isinstance(ctx.context, CallExpr):
                self._check_create_evaluator(ctx.api, ctx.context, profile)
        except Exception:
            _debug()
        return ctx.default_return_type

    def _check_create_evaluator(
        self, api: TypeChecker, call: CallExpr, profile: str | None
    ) -> None:
        judged = JudgeContext(profile=profile or self.settings.profile, runner="decorator")
        index = handoffs.module_index(api)
        decorated = index.decorated.get(id(call))
        if decorated is not None:
            func, innermost = decorated
            if innermost:  # an outer decorator receives what the inner ones returned
                self._report(api, handoffs.def_signature(api, func), "evaluator", judged, func)
            return
        outer = index.applied.get(id(call))
        if outer is not None and len(outer.args) == 1 and outer.arg_kinds[0] == ARG_POS:
            expr = outer.args[0]
            given = handoffs.handed(api, expr, handoffs.expression_type(api, expr))
            self._report(api, given, "evaluator", judged, expr)

    def _report(
        self,
        api: TypeChecker,
        given: handoffs.Handed,
        role: Role,
        judged: JudgeContext,
        where: Context,
    ) -> None:
        if given is None:
            return
        if isinstance(given, handoffs.NotCallable):
            found = judge.check_not_callable(given.value, role, judged)
        else:
            if isinstance(where, Expression):
                judged = replace(judged, wrapper=handoffs.wrapper_of(api, where))
            found = judge.check(given, role, judged)
        self._emit(api, found, where)

    def _emit(self, api: TypeChecker, found: list[Diagnostic], where: Context) -> None:
        path = api.path
        for d in found:
            if not self.settings.enabled(d.code, path):
                continue
            code = ERROR_CODES[d.code]
            if d.severity == "warning" and self.settings.warnings_as_notes:
                # mypy shows no code on a note: it is written out, as on an error, so that the
                # `# type: ignore[...]` / `disable_error_code` that silence it can be found
                api.note(f"{d.message}  [{code.code}]", where, code=code)
            else:
                api.fail(d.message, where, code=code)


def _actuals(
    ctx: FunctionContext | MethodContext, name: str, position: int | None
) -> list[tuple[Expression, Type]]:
    """The expression and type given for the formal parameter `name` (else at `position`)."""
    names = ctx.callee_arg_names
    if name in names:
        formal = names.index(name)
    elif position is not None and position < len(names):
        formal = position
    else:
        return []
    return [
        (expr, t)
        for expr, t, kind in zip(
            ctx.args[formal], ctx.arg_types[formal], ctx.arg_kinds[formal], strict=False
        )
        if kind in (ARG_POS, ARG_NAMED)
    ]


def _empty_literal(expr: Expression) -> str | None:
    """The literal's kind (`list`, `tuple`, `dict`) when `expr` is an empty one; else None."""
    if isinstance(expr, (ListExpr, TupleExpr)) and not expr.items:
        return "list" if isinstance(expr, ListExpr) else "tuple"
    if isinstance(expr, DictExpr) and not expr.items:
        return "dict"
    return None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return PhxTaskLintPlugin
