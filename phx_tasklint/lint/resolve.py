"""Which definition an expression handed to Phoenix stands for, and the signature Phoenix sees.

Follows what `inspect.signature` would see at run time: assignments, imports between the checked
files, `functools.partial`, bound methods, instances with `__call__`, classes, factories that
return an inner def, and decorators that replace the function. Whatever cannot be followed is a
`Skip` with its reason, never a guess.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from phx_tasklint.core import spec
from phx_tasklint.core.model import UNKNOWN, Kind, Param, Signature, TypeExpr
from phx_tasklint.lint.callables import apply_partial, drop_first
from phx_tasklint.lint.definitions import (
    FUNCTIONS,
    MAX_DEPTH,
    OUTSIDE_REASON,
    Definitions,
    FunctionNode,
    class_member,
)
from phx_tasklint.lint.modules import Binding, Module, Reach
from phx_tasklint.lint.returns import inferred_returns
from phx_tasklint.lint.runners import argument, cast_value, is_create_evaluator
from phx_tasklint.lint.typeexpr import annotation, class_type

_PARTIAL = frozenset({"functools.partial"})
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
# Decorators after which calling the function still returns what its body returns (a return
# type read from the body holds only through these).
_KEEP_RESULT = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "functools.wraps",
        "functools.cache",
        "functools.lru_cache",
        "typing.override",
        "typing_extensions.override",
    }
)
# Called on a function, these return a wrapper that inspect.signature sees through.
_CACHES = frozenset({"functools.cache", "functools.lru_cache"})
_LRU_CACHE = "functools.lru_cache"


_PROPERTIES = frozenset({"builtins.property", "functools.cached_property"})
_PROPERTY_PARTS = frozenset({"setter", "getter", "deleter"})


def _is_property(module: Module, node: FunctionNode) -> bool:
    """A def a class body turns into a property (`@property`, `@cached_property`, or
    `@name.setter` and its kin, which give the class a property too)."""
    for decorator in node.decorator_list:
        if not _PROPERTIES.isdisjoint(module.qualified(decorator)):
            return True
        if isinstance(decorator, ast.Attribute) and decorator.attr in _PROPERTY_PARTS:
            return True
    return False


# Why a hand-off of a name no code in its file binds is skipped (`--statistics`).
UNBOUND_REASON = "name bound nowhere in the file"


def _root_name(expr: ast.expr) -> ast.Name | None:
    """`a` of `a`, `a.b`, `a.b.c`."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr if isinstance(expr, ast.Name) else None


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
class NotCallable:
    """A value that cannot be called at all (`None`, a number, a string): Phoenix's
    `inspect.signature` raises TypeError on it."""

    type: TypeExpr  # the value's type, as the judge names it


@dataclass(frozen=True)
class EvalsEvaluator:
    """An object phoenix.evals made (an evaluator class's instance, `bind_evaluator(...)`, a
    prebuilt metric, a function its `create_evaluator` decorated): the client hands it every
    value by keyword, so there is no signature to judge where it is handed over. Its template
    and input mapping are still to be judged here."""

    qualified: str  # what made it, or the name it was imported as


@dataclass(frozen=True)
class Wrapping:
    """What stands between the anchor's def and what Phoenix inspects, for messages: a
    `functools.partial(...)` call, or a decorator that hides the def (no `functools.wraps`)."""

    kind: Literal["partial", "decorator"]
    module: Module  # where `node` is written
    node: ast.expr  # the partial's call, or the decorator expression


@dataclass(frozen=True)
class Target:
    signature: Signature
    anchor: Anchor
    evaluator_method: bool = False
    phoenix_name: str | None = None  # the name Phoenix records an evaluator under
    # Phoenix takes the name from the object itself, whatever dict key it is given under
    # (a `create_evaluator` object)
    own_name: bool = False
    # what is handed over when it is no callable whose signature Phoenix reads; then
    # `signature` is empty and the judge is asked about this instead
    opaque: NotCallable | EvalsEvaluator | None = None
    # findings about no single parameter belong where it is handed over, not to a definition
    # (a class handed over whose instances Phoenix cannot score: `Grader()` was meant there)
    at_hand_off: bool = False
    # why `signature` is not the anchor's def as written (None: it is, bound methods aside)
    wrapper: Wrapping | None = None


@dataclass(frozen=True)
class Skip:
    reason: str


class Resolver:
    """Resolves callables for the analysis of one file: an undecorated def's target is
    remembered until the next file (looking it up records that file's dependencies)."""

    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self._targets: dict[tuple[ast.AST, bool], Target | Skip] = {}

    def target(self, module: Module, expr: ast.AST, depth: int) -> Target | Skip:
        """What handing over `expr`, written in `module`, hands over."""
        if depth > MAX_DEPTH:
            return Skip("resolution too deep")
        if isinstance(expr, (ast.Constant, ast.JoinedStr)):
            return _literal_target(module, expr)
        if isinstance(expr, (ast.Name, ast.Attribute)) and _imported(module, expr):
            made = _evals_name(module, module.qualified(expr))
            if made is not None:
                return _opaque_target(module, expr, EvalsEvaluator(made))
        if isinstance(expr, ast.Lambda):
            return self._lambda_target(module, expr)
        if isinstance(expr, ast.Call):
            return self._call_target(module, expr, depth)
        if isinstance(expr, ast.Name):
            reach = module.reaching(expr)
            if reach.bindings:
                return _agreed(
                    [self._binding_target(module, b, depth) for b in reach.bindings],
                    reach.conflict,
                )
        if isinstance(expr, ast.Attribute):
            owner = self._instance_class(module, expr.value, depth)
            if owner is not None:
                return self._member_target(*owner, expr.attr, depth)
        if isinstance(expr, (ast.Name, ast.Attribute)):
            return self._qualified_target(module, expr, depth)
        return Skip(f"unsupported expression ({type(expr).__name__})")

    def collection(self, module: Module, expr: ast.expr) -> tuple[Module, ast.expr] | None:
        """The list, tuple or dict literal an imported name stands for (`evaluators=EVALUATORS`
        with `EVALUATORS = [...]` in another module of the project), and that module."""
        root = _root_name(expr)
        if root is None:
            return None
        bindings = module.assignments(root)
        if not bindings or any(b.kind != "import" for b in bindings):
            return None  # bound here: `evaluator_items` follows what this module binds
        lookup = self.definitions.lookup_from(module)
        found = {lookup(q) for q in module.qualified(expr)}
        if len(found) != 1:
            return None
        (looked,) = found
        if looked is None or not isinstance(looked[1], (ast.List, ast.Tuple, ast.Dict)):
            return None
        return looked[0], looked[1]

    def _lambda_target(self, module: Module, expr: ast.Lambda) -> Target:
        params = self.params(expr.args, module)
        written = tuple(p for p, _ in params)
        anchor = Anchor(module, expr, {p.name: n for p, n in params}, "<lambda>", written)
        return Target(Signature(tuple(p for p, _ in params)), anchor)

    def _member_target(
        self, module: Module, cls: ast.ClassDef, is_instance: bool, attr: str, depth: int
    ) -> Target | Skip:
        """`<class or instance>.<attr>`: a method, bound the way Python binds it."""
        member = class_member(cls, attr)
        if isinstance(member, FUNCTIONS) and _is_property(module, member):
            # read from an instance, a property is what its getter returns, not the getter
            return Skip("property: what it holds is not read")
        if isinstance(member, FUNCTIONS):
            kind = module.method_kind(member)
            bound = (is_instance and kind != "static") or kind == "class"
            found = self.def_target(module, member, bound=bound, depth=depth + 1)
            if isinstance(found, Target):
                found = replace(found, phoenix_name=f"{cls.name}.{member.name}")
            return found
        return Skip("attribute of a class that is not a method")

    def _qualified_target(
        self, module: Module, expr: ast.Name | ast.Attribute, depth: int
    ) -> Target | Skip:
        names = module.qualified(expr)
        if not names:
            root = _root_name(expr)
            if root is not None and module.lookup(root.id, root) is None:
                # a snippet whose definition is on another page, or nowhere
                return Skip(UNBOUND_REASON)
            return Skip(OUTSIDE_REASON)
        found = [self._named_target(module, q, depth) for q in names]
        return _agreed(found, _root_reach(module, expr).conflict)

    def _named_target(self, module: Module, qualified: str, depth: int) -> Target | Skip:
        """What `qualified`, a name `module` imports or defines, stands for."""
        if qualified.startswith("builtins."):
            return Skip("builtin callable")
        found_node = self.definitions.lookup_from(module)(qualified)
        if found_node is not None:
            return self._node_target(found_node[0], found_node[1], depth + 1)
        return Skip(self.definitions.why_not([qualified], module))

    def _binding_target(self, module: Module, binding: Binding, depth: int) -> Target | Skip:
        if binding.kind == "def":
            return self._node_target(module, binding.node, depth + 1)
        if binding.kind == "import" and binding.qualified:
            return self._named_target(module, binding.qualified, depth)
        if binding.kind == "assign":
            return self.target(module, binding.node, depth + 1)
        return Skip("parameter or loop variable")

    def _node_target(self, module: Module, node: ast.AST, depth: int) -> Target | Skip:
        if isinstance(node, FUNCTIONS):
            return self.def_target(module, node, bound=False, depth=depth)
        if isinstance(node, ast.ClassDef):
            return self._class_target(module, node, depth)
        if isinstance(node, ast.expr):
            return self.target(module, node, depth + 1)
        return Skip("unsupported definition")

    def _class_target(self, module: Module, node: ast.ClassDef, depth: int) -> Target | Skip:
        """A class handed over: calling it runs `__init__` and returns an instance (which, as
        an evaluator's result, the scorer must accept: `evaluators=[Grader]` for `Grader()`)."""
        found = self._constructor(module, node, depth)
        if isinstance(found, Target):
            returns = class_type(module, node, self.definitions.lookup_from(module), depth)
            signature = replace(
                found.signature, returns=returns, is_async=False, returns_inferred=None
            )
            # Phoenix names it by the class's __qualname__, not by `__init__`
            found = replace(found, signature=signature, phoenix_name=node.name, at_hand_off=True)
        return found

    def _constructor(self, module: Module, node: ast.ClassDef, depth: int) -> Target | Skip:
        """The `__init__` inspect.signature reads for a class: its own, else the one it
        inherits along visible bases, else `object`'s, which takes nothing."""
        for _ in range(MAX_DEPTH):
            # inspect prefers a class's own __new__ to its __init__; what __new__ returns is
            # anyone's guess
            if class_member(node, "__new__") is not None or node.keywords:
                return Skip("class with __new__ or a metaclass")
            init = class_member(node, "__init__")
            if isinstance(init, FUNCTIONS):
                return self.def_target(module, init, bound=True, depth=depth)
            if node.decorator_list:  # a dataclass, say: its __init__ is made, not written
                return Skip("decorated class without __init__")
            bases = [b for b in node.bases if "builtins.object" not in module.qualified(b)]
            if not bases:
                anchor = Anchor(module, node, {}, node.name, ())
                return Target(Signature(()), anchor)
            if len(bases) > 1:
                return Skip("class with several bases")
            base = self._resolve_class(module, bases[0], depth + 1)
            if base is None:
                return Skip("class whose __init__ is defined outside the checked files")
            module, node = base
        return Skip("resolution too deep")

    def _call_target(self, module: Module, call: ast.Call, depth: int) -> Target | Skip:
        cast = cast_value(module, call)
        if cast is not None:
            return self.target(module, cast, depth + 1)
        names = module.qualified(call.func)
        if not _PARTIAL.isdisjoint(names):
            return self._partial_target(module, call, depth)
        if isinstance(call.func, ast.Call):  # `decorator(...)(fn)`
            applied = module.qualified(call.func.func)
            if is_create_evaluator(module, call.func.func):
                return Skip("create_evaluator object (checked where it is created)")
            made = _evals_name(module, applied)
            if made is not None:
                return _opaque_target(module, call, EvalsEvaluator(made))
            if _LRU_CACHE in applied:
                return self._cached_target(module, call, depth)
        made = _evals_name(module, names)
        if made is not None:
            return _opaque_target(module, call, EvalsEvaluator(made))
        if not _CACHES.isdisjoint(names):
            return self._cached_target(module, call, depth)
        cls = self._resolve_class(module, call.func, depth)
        if cls is not None:
            evals_base = self.evals_base(*cls)
            if evals_base is not None:  # an instance of the user's phoenix.evals evaluator class
                return _opaque_target(module, call, EvalsEvaluator(evals_base))
            wrapped = _wrapped_argument(*cls, call)
            if isinstance(wrapped, ast.expr):  # the instance copies the function's __wrapped__
                return self.target(module, wrapped, depth + 1)
            return wrapped or self._instance_target(*cls, depth)
        return self._factory_target(module, call, depth)

    def _cached_target(self, module: Module, call: ast.Call, depth: int) -> Target | Skip:
        """`functools.cache(fn)`: inspect.signature follows `__wrapped__` to `fn`."""
        if not call.args or isinstance(call.args[0], ast.Starred):
            return Skip("cache wrapper of an unknown function")
        return self.target(module, call.args[0], depth + 1)

    def _partial_target(self, module: Module, call: ast.Call, depth: int) -> Target | Skip:
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
        wrapper = inner.wrapper
        if wrapper is None or wrapper.kind != "decorator":  # a hiding decorator is the cause
            wrapper = Wrapping("partial", module, call)
        return replace(inner, signature=signature, wrapper=wrapper)

    def _instance_target(self, module: Module, cls: ast.ClassDef, depth: int) -> Target | Skip:
        """An instance handed over: calling it runs `__call__`."""
        member = class_member(cls, "__call__")
        if isinstance(member, FUNCTIONS):
            found = self.def_target(module, member, bound=True, depth=depth + 1)
            # Phoenix names an instance str(obj): unique per object, never a duplicate
            return replace(found, phoenix_name=None) if isinstance(found, Target) else found
        plain = not (cls.bases or cls.keywords or cls.decorator_list)
        bound = module.scopes[cls].bindings if cls in module.scopes else {}
        if plain and not any(m in bound for m in ("__call__", *spec.EVALUATOR_METHODS)):
            # nothing gives it a __call__ (no base, and its body binds none: not even
            # `__call__ = staticmethod(f)`), and it is no Evaluator Phoenix uses as it is
            value = TypeExpr.cls(f"{module.name}.{cls.name}")
            return _opaque_target(module, cls, NotCallable(value))
        return Skip("instance of a class without __call__")

    def _factory_target(self, module: Module, call: ast.Call, depth: int) -> Target | Skip:
        """The result of calling a function: followed when it returns one inner callable."""
        factory = self.target(module, call.func, depth + 1)
        if isinstance(factory, Target) and isinstance(factory.anchor.node, FUNCTIONS):
            returned = _returned_callable(factory.anchor.node)
            if returned is not None:
                return self.target(factory.anchor.module, returned, depth + 1)
            return Skip("factory whose result is not an inner def")
        return factory if isinstance(factory, Skip) else Skip("call result")

    def _resolve_class(
        self, module: Module, expr: ast.AST, depth: int
    ) -> tuple[Module, ast.ClassDef] | None:
        """The class `expr` names, when every binding that reaches it names the same one."""
        if isinstance(expr, ast.Name):
            bindings = module.assignments(expr)
            if any(b.kind != "import" for b in bindings):
                # bound here: the module's final state (`qualified`) is not the one at `expr`
                nodes = {b.node for b in bindings}
                found = nodes.pop() if len(nodes) == 1 else None
                return (module, found) if isinstance(found, ast.ClassDef) else None
        if isinstance(expr, (ast.Name, ast.Attribute)):
            classes = set()
            for q in module.qualified(expr):
                looked = self.definitions.lookup_from(module)(q)
                if looked is None or not isinstance(looked[1], ast.ClassDef):
                    return None
                classes.add((looked[0], looked[1]))
            return classes.pop() if len(classes) == 1 else None
        return None

    def evals_class(self, module: Module, expr: ast.AST) -> tuple[Module, ast.ClassDef] | None:
        """The class of the checked files `expr` names, when it derives from phoenix.evals."""
        found = self._resolve_class(module, expr, 0)
        return found if found is not None and self.evals_base(*found) is not None else None

    def evals_base(self, module: Module, node: ast.ClassDef) -> str | None:
        """The phoenix.evals class a class of the checked files derives from (through other
        classes of the checked files), if any."""
        for _ in range(MAX_DEPTH):
            local: list[tuple[Module, ast.ClassDef]] = []
            for base in node.bases:
                made = _evals_name(module, module.qualified(base))
                if made is not None:
                    return made
                found = self._resolve_class(module, base, 0)
                if found is not None:
                    local.append(found)
            if len(local) != 1:
                return None
            module, node = local[0]
        return None

    def _instance_class(
        self, module: Module, expr: ast.AST, depth: int
    ) -> tuple[Module, ast.ClassDef, bool] | None:
        """The class of `expr` when it is a class (False) or an instance of one (True)."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            found = self._resolve_class(module, expr.func, depth + 1)
            return (found[0], found[1], True) if found else None
        found = self._resolve_class(module, expr, depth + 1)
        if found is not None:
            return found[0], found[1], False
        if isinstance(expr, ast.Name):
            owner = module.method_owner(expr)  # `self` / `cls` in a method
            if owner is not None:
                return module, owner[0], owner[1]
            bindings = module.assignments(expr)
            if bindings and all(isinstance(b.node, ast.Call) for b in bindings):
                classes = {self._instance_class(module, b.node, depth + 1) for b in bindings}
                return classes.pop() if len(classes) == 1 else None
        return None

    def params(self, args: ast.arguments, module: Module) -> list[tuple[Param, ast.arg]]:
        out: list[tuple[Param, ast.arg]] = []
        positional = [*args.posonlyargs, *args.args]
        first_default = len(positional) - len(args.defaults)

        def add(arg: ast.arg, kind: Kind, has_default: bool) -> None:
            written = arg.annotation
            typed = (
                annotation(module, written, self.definitions.lookup_from(module))
                if written
                else None
            )
            out.append((Param(arg.arg, kind, has_default, typed), arg))

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
        signature = self._written_signature(module, node, tuple(p for p, _ in params))
        anchor = Anchor(module, node, {p.name: n for p, n in params}, node.name, signature.params)
        name: str | None = node.name
        own_name = False
        wrapper: Wrapping | None = None
        for expr in reversed(node.decorator_list):
            call_func = expr.func if isinstance(expr, ast.Call) else expr
            names = module.qualified(call_func)
            made = _evals_name(module, names)
            if made is not None:
                return Target(Signature(()), anchor, opaque=EvalsEvaluator(made))
            if is_create_evaluator(module, call_func):
                own_name = True
                if isinstance(expr, ast.Call):
                    name = _evaluator_name(expr, node.name)
                    if argument(expr, *spec.CREATE_EVALUATOR_SCORER) is not None:
                        signature = _uninferred(signature)  # its own scorer takes the result
                continue
            if not _PRESERVING.isdisjoint(names):
                if _KEEP_RESULT.isdisjoint(names):
                    signature = _uninferred(signature)
                continue
            replaced = self._decorator_signature(module, expr, depth)
            if isinstance(replaced, Skip):
                return replaced
            if replaced is not None:  # the wrapper's: what it returns is what Phoenix gets
                signature = replaced
                anchor = replace(anchor, params={}, written=())
                wrapper = Wrapping("decorator", module, expr)
            else:  # a wrapper that keeps the signature may still return something else
                signature = _uninferred(signature)
        if bound:
            dropped = drop_first(signature)
            if dropped is None:
                return Skip("method without a self parameter")
            signature = dropped
        return Target(signature, anchor, phoenix_name=name, own_name=own_name, wrapper=wrapper)

    def _written_signature(
        self, module: Module, node: FunctionNode, params: tuple[Param, ...]
    ) -> Signature:
        """The signature of a def as written: a generator without a return annotation returns
        a (sync) generator; another def without one returns what its body shows."""
        lookup = self.definitions.lookup_from(module)
        is_async = isinstance(node, ast.AsyncFunctionDef)
        if node.returns is not None:
            return Signature(params, annotation(module, node.returns, lookup), is_async)
        if _is_generator(node):
            kind = "typing.AsyncGenerator" if is_async else "typing.Generator"
            return Signature(params, TypeExpr.named(kind, UNKNOWN), False)
        inferred = inferred_returns(module, node, lookup, lambda line: _shown(module, line))
        if inferred is None:
            return Signature(params, None, is_async)
        return Signature(params, inferred[0], is_async, inferred[1])

    def _decorator_signature(
        self, module: Module, expr: ast.expr, depth: int
    ) -> Signature | Skip | None:
        """The wrapper's signature when a project decorator hides the function, else None."""
        if depth > MAX_DEPTH:
            return Skip("decorator chain too deep")
        func_expr = expr.func if isinstance(expr, ast.Call) else expr
        cls = self._resolve_class(module, func_expr, depth + 1)
        if cls is not None:
            return self._class_decorator_signature(
                *cls, called=isinstance(expr, ast.Call), depth=depth
            )
        decorator = self.target(module, func_expr, depth + 1)
        if isinstance(decorator, Skip) or not isinstance(decorator.anchor.node, FUNCTIONS):
            return None  # unknown decorator: assumed to preserve the signature
        deco_def: FunctionNode | None = decorator.anchor.node
        if isinstance(expr, ast.Call) and deco_def is not None:  # a factory returns the decorator
            deco_def = _local_def(deco_def, _returned_callable(deco_def))
        if deco_def is None:
            return None
        return self._wrapper_signature(decorator.anchor.module, deco_def, depth)

    def _class_decorator_signature(
        self, module: Module, cls: ast.ClassDef, *, called: bool, depth: int
    ) -> Signature | Skip | None:
        """`@Wrap` makes the function a `Wrap` instance: Phoenix sees its `__call__`, unless
        `__init__` copies the function's `__wrapped__`. `@Wrap(...)` is a `Wrap` instance
        applied to the function: its `__call__` is the decorator."""
        if called:
            call = class_member(cls, "__call__")
            if not isinstance(call, FUNCTIONS):
                return None  # inherited or missing: not followed
            return self._wrapper_signature(module, call, depth)
        init = class_member(cls, "__init__")
        if isinstance(init, FUNCTIONS) and _copies_wrapped(module, init) is not None:
            return None
        found = self._instance_target(module, cls, depth + 1)
        if isinstance(found, Skip) or found.opaque is not None:
            return Skip("class decorator whose instances are not callable as written")
        return found.signature

    def _wrapper_signature(
        self, module: Module, decorator: FunctionNode, depth: int
    ) -> Signature | Skip | None:
        """What a decorator function returns in place of the function: its inner def (None when
        it returns something else, or copies `__wrapped__` with functools.wraps)."""
        wrapper = _local_def(decorator, _returned_callable(decorator))
        if wrapper is None:
            return None
        for d in wrapper.decorator_list:
            inner = d.func if isinstance(d, ast.Call) else d
            if not _WRAPS.isdisjoint(module.qualified(inner)):
                return None
        found = self.def_target(module, wrapper, bound=False, depth=depth + 1)
        return found.signature if isinstance(found, Target) else found


def is_method(module: Module, node: FunctionNode) -> bool:
    """Is `node` defined in a class body and bound when looked up on an instance?"""
    return isinstance(module.parent(node), ast.ClassDef) and module.method_kind(node) != "static"


def _agreed(found: list[Target | Skip], conflict: str) -> Target | Skip:
    """The one answer when every binding that may reach a use gives it, else a Skip saying
    why the bindings are not known apart."""
    first = found[0]
    return first if all(f == first for f in found[1:]) else Skip(conflict)


def _root_reach(module: Module, expr: ast.expr) -> Reach:
    """What reaches the name a dotted expression starts from."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return module.reaching(expr) if isinstance(expr, ast.Name) else Reach(())


def _own_nodes(fn: FunctionNode) -> list[ast.AST]:
    """Nodes of a function's body, not descending into nested scopes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (*FUNCTIONS, ast.Lambda, ast.ClassDef)):
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
        if isinstance(stmt, FUNCTIONS) and stmt.name == expr.id:
            found = stmt
    return found


def _uninferred(signature: Signature) -> Signature:
    """Without the return type read from the body (a decorator may change the result)."""
    if signature.returns_inferred is None:
        return signature
    return replace(signature, returns=None, returns_inferred=None)


def _shown(module: Module, line: int) -> int:
    """A line of the module as the user sees it (inside a notebook cell or a Markdown fence)."""
    return module.source.locate(line, 1)[1]


def _is_generator(fn: FunctionNode) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(fn))


def _opaque_target(module: Module, node: ast.AST, opaque: NotCallable | EvalsEvaluator) -> Target:
    anchor = Anchor(module, node, {}, None, ())
    return Target(Signature(()), anchor, opaque=opaque, at_hand_off=True)


def _literal_target(module: Module, expr: ast.Constant | ast.JoinedStr) -> Target | Skip:
    """A literal handed over: nothing Phoenix can call. `...` is pseudo-code in documentation
    (`evaluators=[...]`), not a user's bug."""
    if isinstance(expr, ast.JoinedStr):
        kind = "builtins.str"
    elif expr.value is Ellipsis:
        return Skip("placeholder (...)")
    elif expr.value is None:
        kind = "builtins.None"
    else:
        kind = f"builtins.{type(expr.value).__name__}"
    return _opaque_target(module, expr, NotCallable(TypeExpr.named(kind)))


def _imported(module: Module, expr: ast.Name | ast.Attribute) -> bool:
    """Could `expr` stand for something imported (its root name has an import binding)?"""
    root = _root_name(expr)
    if root is None:
        return False
    found = module.lookup(root.id, root)
    return found is not None and any(b.kind == "import" for b in found[1])


def _evals_name(module: Module, names: Iterable[str]) -> str | None:
    """The first of `names` under phoenix.evals, if any (not one `module` defines itself, as
    phoenix.evals's own modules do)."""
    prefix = spec.EVALS_MODULE + "."
    own = module.name + "."
    found = [
        q
        for q in names
        if (q == spec.EVALS_MODULE or q.startswith(prefix)) and not q.startswith(own)
    ]
    return min(found) if found else None


def _evaluator_name(decorator: ast.Call, default: str) -> str | None:
    """The name `@create_evaluator(name=...)` records: a constant one, the function's own when
    none is given (or an empty one), unknown (None: never a duplicate) when computed."""
    given = argument(decorator, *spec.CREATE_EVALUATOR_NAME)
    if given is None or (isinstance(given, ast.Constant) and not given.value):
        return default
    if isinstance(given, ast.Constant) and isinstance(given.value, str):
        return given.value
    return None


def _copies_wrapped(module: Module, init: FunctionNode) -> ast.expr | None:
    """What `__init__` hands functools.update_wrapper / wraps as the wrapped function (or
    assigns to `self.__wrapped__`): inspect.signature then follows it. The call itself when
    the argument is not written out (`update_wrapper(self, *args)`)."""
    for node in _own_nodes(init):
        if isinstance(node, ast.Call):
            if "functools.update_wrapper" in module.qualified(node.func):
                return argument(node, "wrapped", 1) or node
            if isinstance(node.func, ast.Call) and not _WRAPS.isdisjoint(
                module.qualified(node.func.func)
            ):
                return argument(node.func, "wrapped", 0) or node
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "__wrapped__":
                    return node.value
    return None


def _wrapped_argument(module: Module, cls: ast.ClassDef, call: ast.Call) -> ast.expr | Skip | None:
    """`Wrap(fn)` where `Wrap.__init__` copies `fn`'s `__wrapped__`: the argument `fn`. None
    when the class wraps nothing; a Skip when it wraps something this call does not show."""
    init = class_member(cls, "__init__")
    if not isinstance(init, FUNCTIONS):
        return None
    wrapped = _copies_wrapped(module, init)
    if wrapped is None:
        return None
    positional = [*init.args.posonlyargs, *init.args.args][1:]
    if isinstance(wrapped, ast.Name):
        given = call.args
        for i, p in enumerate(positional):
            unpacked = any(isinstance(a, ast.Starred) for a in given[: i + 1])
            if p.arg == wrapped.id and i < len(given) and not unpacked:
                return given[i]
        for kw in call.keywords:
            if kw.arg == wrapped.id:
                return kw.value
    return Skip("wrapper class whose wrapped function is not an argument")
