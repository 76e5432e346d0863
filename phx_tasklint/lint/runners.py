"""Which calls and decorators hand callables to Phoenix, and which expressions they hand over.

A runner is recognised by the qualified name it resolves to (or, for `client.experiments.*`, by
what `client` was built from), never by spelling; the names themselves come from `spec`. Names
resolve to the bindings that reach the call (`Module.reaching`); where those disagree (a legacy
import on one path, the client's on another) the call is not taken for a runner.

The client and its `experiments` are followed through names and objects: `exps =
client.experiments; exps.run_experiment(...)`, `run = client.experiments.run_experiment;
run(...)`, a client kept on `self` (in `__init__` or as a class attribute) and reached through
`self` or through an instance (`Runner().client`), for classes of the same module.

A page or notebook often uses a client it never builds (`px_client.experiments.run_experiment`
on a name bound nowhere in the document): when the document imports from `phoenix` (and has no
`import *` that could bind the name), that name is taken for a Phoenix client. Which kind is
read from the call: an awaited call is an `AsyncClient`'s; a call whose result is dropped or
assigned is the sync `Client`'s, since an `AsyncClient` call that is not awaited returns a
coroutine that never runs, and the code is meant to work. A call in any other place (handed to
`asyncio.run`, returned) is not judged. A name that is bound, to anything we cannot follow (an
unannotated parameter, the result of an unknown call), is never guessed at. Likewise a
`Client()` or `AsyncClient()` whose class is bound nowhere in such a document is Phoenix's (its
import is on another page). A client returned by a def of the module (`self._client =
self._connect()`) is known by the def's return annotation, a string one included.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from phx_tasklint.core import spec
from phx_tasklint.core.model import RunnerKind
from phx_tasklint.lint import LintConfig
from phx_tasklint.lint.definitions import MAX_DEPTH, class_member
from phx_tasklint.lint.modules import Binding, Module


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
    kind: RunnerKind | None = None  # None: a configured wrapper, which may do anything


def find_runner(module: Module, call: ast.Call, config: LintConfig) -> RunnerCall | None:
    """The experiment runner `call` calls, if it calls one."""
    return _runner(module, call.func, call, config, 0)


def _runner(
    module: Module, func: ast.expr, call: ast.Call, config: LintConfig, depth: int
) -> RunnerCall | None:
    if depth > MAX_DEPTH:
        return None
    names = module.qualified(func)
    if names:
        by_name = {_runner_by_name(q, config) for q in names}
        if len(by_name) == 1 and None not in by_name:
            return by_name.pop()
        if any(r is not None for r in by_name):
            return None  # a runner on one path, something else on another
    if isinstance(func, ast.Attribute):
        return _client_runner(module, func, call)
    if isinstance(func, ast.Name):  # `run = client.experiments.run_experiment; run(...)`
        scoped = module.lookup(func.id, func)
        if scoped is None or all(b.kind != "assign" for b in scoped[1]):
            return None  # a def, an import, a parameter: nothing to follow
        bindings = module.assignments(func)
        values = [b.node for b in bindings if b.kind == "assign" and isinstance(b.node, ast.expr)]
        if values and len(values) == len(bindings):
            runners = {_runner(module, value, call, config, depth + 1) for value in values}
            return runners.pop() if len(runners) == 1 else None
    return None


def _runner_by_name(q: str, config: LintConfig) -> RunnerCall | None:
    module, _, method = q.rpartition(".")
    if module == spec.CLIENT_MODULE:
        base = method.removeprefix(spec.ASYNC_PREFIX)
        for r in spec.CLIENT_RUNNERS:
            if r.method == base:
                is_async = method != base
                return RunnerCall(
                    method, r.takes_task, True, is_async, not is_async, None, kind=r.kind
                )
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
                    kind=r.kind,
                )
    if q in config.task_runners:
        return RunnerCall(method, True, False, False, None, None, 0, None)
    if q in config.evaluator_runners:
        return RunnerCall(method, False, False, False, None, None, None, 0)
    return None


def _client_runner(module: Module, func: ast.Attribute, call: ast.Call) -> RunnerCall | None:
    """`<client>.experiments.<runner>(...)` on a Phoenix Client or AsyncClient."""
    found = next((r for r in spec.CLIENT_RUNNERS if r.method == func.attr), None)
    if found is None:
        return None
    sync = experiments_kind(module, func.value, 0)
    if sync is None:
        sync = _unbound_client_kind(module, func.value, call)
    if sync is None:
        return None
    kind = "Client" if sync else "AsyncClient"
    return RunnerCall(
        f"{kind}().experiments.{func.attr}",
        found.takes_task,
        True,
        not sync,
        sync,
        None,
        kind=found.kind,
    )


def experiments_kind(module: Module, expr: ast.AST, depth: int) -> bool | None:
    """True: `expr` is a sync Client's `experiments`; False: an AsyncClient's; None: unknown."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, ast.Attribute) and expr.attr == spec.CLIENT_EXPERIMENTS:
        return client_kind(module, expr.value, depth + 1)
    if isinstance(expr, ast.Name):  # `exps = client.experiments`
        bindings = module.assignments(expr)
        kinds = {
            experiments_kind(module, b.node, depth + 1) if b.kind == "assign" else None
            for b in bindings
        }
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _unbound_client_kind(module: Module, expr: ast.AST, call: ast.Call) -> bool | None:
    """`<name>.experiments`, `<name>` bound nowhere in a document that imports from phoenix:
    the kind of client the call only works with (see the module docstring)."""
    if not (
        isinstance(expr, ast.Attribute)
        and expr.attr == spec.CLIENT_EXPERIMENTS
        and isinstance(expr.value, ast.Name)
        and _bound_nowhere(module, expr.value)
        and _imports_phoenix(module)
    ):
        return None
    parent = module.parent(call)
    if isinstance(parent, ast.Await):
        return False
    if isinstance(parent, ast.Expr) or (
        isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is call
    ):
        return True
    return None


def _imports_phoenix(module: Module) -> bool:
    """Does the document import from phoenix, with no `import *` that could bind any name?"""
    phoenix = False
    for node in module.imports:
        if isinstance(node, ast.ImportFrom):
            if any(alias.name == "*" for alias in node.names):
                return False
            phoenix = phoenix or (not node.level and _is_phoenix(node.module or ""))
        else:
            phoenix = phoenix or any(_is_phoenix(alias.name) for alias in node.names)
    return phoenix


def _is_phoenix(module_name: str) -> bool:
    return module_name.partition(".")[0] == spec.PACKAGE


def client_kind(module: Module, expr: ast.AST, depth: int) -> bool | None:
    """True: a sync Client; False: an AsyncClient; None: not known to be a Phoenix client."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, ast.Call):
        for q in module.qualified(expr.func):
            if q in spec.CLIENT_CLASSES:
                return spec.CLIENT_CLASSES[q]
        unimported = _unimported_client_class(module, expr.func)
        if unimported is not None:
            return unimported
        return _returned_client(module, expr.func)
    if isinstance(expr, ast.Name):
        kinds = {_binding_client(module, b, depth) for b in module.assignments(expr)}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(expr, ast.Attribute):  # `self.client`, `runner.client`, `Runner().client`
        cls = _owner_class(module, expr.value, depth)
        if cls is None:
            return None
        kinds = set()
        for value, is_annotation in _self_attribute_values(cls, expr.attr):
            kinds.add(_value_client(module, value, is_annotation, depth))
        return kinds.pop() if len(kinds) == 1 else None
    return None


# The class names a page may use without importing them (`client = Client()`).
_CLIENT_CLASS_NAMES = {q.rpartition(".")[2]: sync for q, sync in spec.CLIENT_CLASSES.items()}


def _unimported_client_class(module: Module, func: ast.expr) -> bool | None:
    """`Client()` / `AsyncClient()` with the class bound nowhere in a document that imports
    from phoenix: a snippet whose import is on another page, taken for Phoenix's class (the
    same rule as a client used but never built, see the module docstring)."""
    if (
        isinstance(func, ast.Name)
        and func.id in _CLIENT_CLASS_NAMES
        and _bound_nowhere(module, func)
        and _imports_phoenix(module)
    ):
        return _CLIENT_CLASS_NAMES[func.id]
    return None


def _bound_nowhere(module: Module, name: ast.Name) -> bool:
    """Is `name` bound nowhere in the document: not in its scopes, not a builtin, not through
    `global` in a function?"""
    return (
        module.lookup(name.id, name) is None
        and not module.qualified(name)
        and not any(name.id in scope.globals for scope in module.scopes.values())
    )


def _returned_client(module: Module, func: ast.expr) -> bool | None:
    """A call of a def of this module (a function, or a method through `self`) whose return
    annotation names a Phoenix client: `self.client = self._connect()` with `def _connect(self)
    -> "Client"` (a string: the class is often imported under TYPE_CHECKING)."""
    found: ast.AST | None = None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = module.method_owner(func.value)
        if owner is not None:
            found = class_member(owner[0], func.attr)
    elif isinstance(func, ast.Name):
        nodes = {b.node for b in module.assignments(func) if b.kind == "def"}
        found = nodes.pop() if len(nodes) == 1 else None
    if not isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) or found.returns is None:
        return None
    returns = found.returns
    if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
        names = module.qualified_in_module(returns.value.strip())
    else:
        names = module.qualified(returns)
    kinds = {spec.CLIENT_CLASSES[q] for q in names if q in spec.CLIENT_CLASSES}
    return kinds.pop() if len(kinds) == 1 else None


def _owner_class(module: Module, expr: ast.AST, depth: int) -> ast.ClassDef | None:
    """The class of this module that `expr` is an instance of, or is."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, ast.Call):
        return _module_class(module, expr.func)
    if not isinstance(expr, ast.Name):
        return None
    owner = module.method_owner(expr)
    if owner is not None:
        return owner[0]
    found = _module_class(module, expr)
    if found is not None:
        return found
    bindings = module.assignments(expr)
    if bindings and all(b.kind == "assign" for b in bindings):
        classes = {_owner_class(module, b.node, depth + 1) for b in bindings}
        return classes.pop() if len(classes) == 1 else None
    if expr.id == "self":  # `self` in a nested function of a method
        return _enclosing_class(module, expr)
    return None


def _module_class(module: Module, expr: ast.AST) -> ast.ClassDef | None:
    """The class of this module a name stands for, when every binding reaching it agrees."""
    if not isinstance(expr, ast.Name):
        return None
    nodes = {b.node for b in module.assignments(expr)}
    found = nodes.pop() if len(nodes) == 1 else None
    return found if isinstance(found, ast.ClassDef) else None


def _binding_client(module: Module, binding: Binding, depth: int) -> bool | None:
    if binding.kind == "param":
        annotation = getattr(binding.node, "annotation", None)
        return _value_client(module, annotation, True, depth) if annotation else None
    if binding.kind == "assign":
        is_annotation = not isinstance(binding.node, ast.Call)
        return _value_client(module, binding.node, is_annotation, depth)
    return None


def _value_client(module: Module, value: ast.AST, is_annotation: bool, depth: int) -> bool | None:
    if is_annotation:
        for q in module.qualified(value):
            if q in spec.CLIENT_CLASSES:
                return spec.CLIENT_CLASSES[q]
        return None
    return client_kind(module, value, depth + 1)


def _enclosing_class(module: Module, node: ast.AST) -> ast.ClassDef | None:
    current = module.parent(node)
    while current is not None:
        if isinstance(current, ast.ClassDef):
            return current
        current = module.parent(current)
    return None


def _self_attribute_values(cls: ast.ClassDef, attr: str) -> list[tuple[ast.AST, bool]]:
    """Values assigned to `self.<attr>` in the class, and its class-level value or annotation."""
    values: list[tuple[ast.AST, bool]] = []
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == attr for t in stmt.targets
        ):
            values.append((stmt.value, False))
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


def argument(call: ast.Call, keyword: str, position: int | None) -> ast.expr | None:
    """The argument passed as `keyword`, or at `position` when there is one."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None:
        if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return None
        if len(call.args) > position:
            return call.args[position]
    return None


def evaluator_items(
    module: Module,
    expr: ast.expr,
    skip: Callable[[str], None],
    *,
    sequence_only: bool,
    depth: int = 0,
) -> list[tuple[str | None, ast.expr]]:
    """The evaluators an `evaluators=` argument hands over, each with the name a dict gives it;
    `skip` hears of each part that cannot be followed."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(expr, (ast.List, ast.Tuple)):
        out: list[tuple[str | None, ast.expr]] = []
        for element in expr.elts:
            if isinstance(element, ast.Starred):
                skip("starred evaluator list")
                continue
            out.append((None, element))
        return out
    if isinstance(expr, ast.Dict) and not sequence_only:
        out = []
        for key, value in zip(expr.keys, expr.values, strict=True):
            if key is None:
                skip("dict unpacking in evaluators")
                continue
            name = key.value if isinstance(key, ast.Constant) else None
            out.append((name if isinstance(name, str) and name else None, value))
        return out
    if isinstance(expr, ast.Name):
        reach = module.reaching(expr)
        literals = [
            b.node
            for b in reach.bindings
            if b.kind == "assign" and isinstance(b.node, (ast.List, ast.Tuple, ast.Dict))
        ]
        if literals and len(literals) == len(reach.bindings):
            if len(literals) == 1:
                return evaluator_items(
                    module, literals[0], skip, sequence_only=sequence_only, depth=depth + 1
                )
            skip(reach.conflict)  # different lists on different paths
            return []
    cast = cast_value(module, expr)
    if cast is not None:  # `cast(Any, evaluators)` is `evaluators` at run time
        return evaluator_items(module, cast, skip, sequence_only=sequence_only, depth=depth + 1)
    if (
        isinstance(expr, ast.BoolOp)
        and isinstance(expr.op, ast.Or)
        and len(expr.values) == 2
        and _empty_literal(expr.values[1])
    ):  # `evaluators or []`: the evaluators, when there are any
        return evaluator_items(
            module, expr.values[0], skip, sequence_only=sequence_only, depth=depth + 1
        )
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):  # `base + [extra]`
        parts = [
            evaluator_items(module, side, skip, sequence_only=True, depth=depth + 1)
            for side in (expr.left, expr.right)
        ]
        if any(
            item is side
            for part, side in zip(parts, (expr.left, expr.right), strict=True)
            for _key, item in part
        ):
            skip("evaluators added from a list that cannot be followed")
            return []
        return [*parts[0], *parts[1]]
    if isinstance(expr, (ast.GeneratorExp, ast.ListComp, ast.Set, ast.SetComp, ast.DictComp)):
        skip("evaluators built by a comprehension or set")
        return []
    return [(None, expr)]


_CASTS = frozenset({"typing.cast", "typing_extensions.cast"})


def cast_value(module: Module, expr: ast.expr) -> ast.expr | None:
    """`x` of `typing.cast(T, x)`, which returns `x` itself."""
    if (
        isinstance(expr, ast.Call)
        and len(expr.args) == 2
        and not expr.keywords
        and not any(isinstance(a, ast.Starred) for a in expr.args)
        and not _CASTS.isdisjoint(module.qualified(expr.func))
    ):
        return expr.args[1]
    return None


def _empty_literal(expr: ast.expr) -> bool:
    return (isinstance(expr, (ast.List, ast.Tuple)) and not expr.elts) or (
        isinstance(expr, ast.Dict) and not expr.keys
    )


def is_create_evaluator(module: Module, expr: ast.AST) -> bool:
    return any(q in spec.CREATE_EVALUATOR for q in module.qualified(expr))


def is_marker(module: Module, expr: ast.AST) -> bool:
    return f"pytest.mark.{spec.PYTEST_MARKER}" in module.qualified(expr)


def is_parametrize(module: Module, expr: ast.AST) -> bool:
    return f"pytest.mark.{spec.PYTEST_PARAMETRIZE}" in module.qualified(expr)


def marker_keywords(module: Module, marker: ast.Call) -> tuple[str, ...] | None:
    """The keywords the client's pytest plugin hands the evaluators of a `pytest.mark.phoenix`
    marker: the test's parametrized arguments by name, then `output`, `input`, `trace_id`. None
    when they are not known: the marker is not on a def (a class's, a module's `pytestmark`),
    or a decorator may parametrize it in a way not read here (argument names that are no
    literal, a mark stored in a name)."""
    node = module.parent(marker)
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    # Every parametrized argument is one pytest finds in the test's fixture closure, so the
    # def's own parameters cover those a fixture (`params=`) or `pytest_generate_tests`
    # parametrizes; a fixture's own fixtures' are not seen.
    names = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and is_parametrize(module, decorator.func):
            found = _parametrize_names(argument(decorator, "argnames", 0))
            if found is None:
                return None
            names += found
        elif isinstance(decorator, ast.Call) and is_usefixtures(module, decorator.func):
            # a fixture it uses may be parametrized: its name is handed over too
            used = _literal_names(decorator.args)
            if used is None or decorator.keywords:
                return None
            names += used
        elif not any(q.startswith("pytest.mark.") for q in module.qualified(_callee(decorator))):
            return None  # `@cases`: maybe a parametrize mark kept in a name
    names += spec.PYTEST_EVAL_KEYWORDS
    return tuple(dict.fromkeys(names))


def is_usefixtures(module: Module, expr: ast.AST) -> bool:
    return f"pytest.mark.{spec.PYTEST_USEFIXTURES}" in module.qualified(expr)


def _callee(decorator: ast.expr) -> ast.expr:
    return decorator.func if isinstance(decorator, ast.Call) else decorator


def _parametrize_names(argnames: ast.expr | None) -> list[str] | None:
    """`"a,b"`, `"a, b"`, `["a", "b"]`, `("a", "b")`; None for any other form."""
    if isinstance(argnames, ast.Constant) and isinstance(argnames.value, str):
        return [n.strip() for n in argnames.value.split(",") if n.strip()]
    if isinstance(argnames, (ast.List, ast.Tuple)):
        return _literal_names(argnames.elts)
    return None


def _literal_names(exprs: list[ast.expr]) -> list[str] | None:
    """The strings, when every one is a str literal; None otherwise."""
    names = [e.value for e in exprs if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return names if len(names) == len(exprs) else None
