"""The runtime adapter and binder: real callables -> the neutral model, and Phoenix's binding.

`check_callable` translates `inspect.signature` + `typing.get_type_hints` into a `Signature` and
asks the judge. `bind_task` / `bind_evaluator` bind exactly as Phoenix does, but copy only the
values a callable declares, keep a binding plan per callable (only while the callable lives and
only while what its signature is read from is unchanged), and hand out an example proxy that a
task cannot mutate for the next one.
"""

from __future__ import annotations

import ast
import collections.abc
import copy
import dataclasses
import enum
import functools
import inspect
import operator
import pickle
import textwrap
import types
import typing
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from phx_tasklint.core import evals_judge, judge, spec
from phx_tasklint.core.attributes import DYNAMIC_MEMBERS, instance_attributes
from phx_tasklint.core.model import (
    UNKNOWN,
    Context,
    Diagnostic,
    EvalsSignature,
    Kind,
    Param,
    Role,
    RunnerKind,
    Signature,
    TypeExpr,
    Wrapper,
)
from phx_tasklint.runtime import client_evaluators, evals_object, values

__all__ = [
    "BindingError",
    "ExampleProxy",
    "OutputError",
    "acall_evaluator",
    "acall_task",
    "arun_evaluator",
    "arun_task",
    "bind_evaluator",
    "bind_task",
    "call_evaluator",
    "call_task",
    "check_callable",
    "run_evaluator",
    "run_task",
    "signature_of",
]


class BindingError(ValueError):
    """Phoenix would reject or fail to bind this callable; `.diagnostics` says why."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class OutputError(ValueError):
    """A task output or evaluator result Phoenix would convert, reject or silently drop."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


# --------------------------------------------------------------------------------------------
# typing objects -> TypeExpr

_TYPEDDICT_CHECK = getattr(typing, "is_typeddict", None)


def _qualified(cls: type) -> str:
    module = cls.__module__
    if module == "builtins" and cls is type(None):
        return "builtins.None"
    return f"{module}.{cls.__qualname__}"


def _is_typeddict(tp: object) -> bool:
    if _TYPEDDICT_CHECK is not None and _TYPEDDICT_CHECK(tp):
        return True
    import typing_extensions

    return bool(typing_extensions.is_typeddict(tp))


def type_expr(tp: object, _depth: int = 0) -> TypeExpr:
    """Translate a runtime annotation; whatever cannot be read is UNKNOWN."""
    try:
        return _type_expr(tp, _depth)
    except Exception:
        return UNKNOWN


def _type_expr(tp: object, depth: int) -> TypeExpr:
    if depth > 40:
        return UNKNOWN  # a recursive alias: stop, and never report on it
    if tp is None or tp is type(None):
        return TypeExpr.named("builtins.None")
    if tp is Any:
        return TypeExpr.named("typing.Any")
    if isinstance(tp, (str, typing.ForwardRef, typing.TypeVar)):
        return UNKNOWN
    value = getattr(tp, "__value__", None)  # PEP 695 `type X = ...`
    if value is not None and type(tp).__name__ == "TypeAliasType":
        return _type_expr(value, depth + 1)
    supertype = getattr(tp, "__supertype__", None)  # NewType
    if supertype is not None:
        return _type_expr(supertype, depth + 1)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_expr(args[0], depth + 1)
    if origin is typing.Union or (origin is not None and origin is getattr(types, "UnionType", ())):
        return TypeExpr.union(*(_type_expr(a, depth + 1) for a in args))
    if origin is typing.Literal:
        return TypeExpr.literal(*args)
    if origin is collections.abc.Callable:
        return TypeExpr.named("collections.abc.Callable")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return TypeExpr.named("builtins.tuple", _type_expr(args[0], depth + 1), variadic=True)
        if args == ((),):
            return TypeExpr.named("builtins.tuple")
        return TypeExpr.named("builtins.tuple", *(_type_expr(a, depth + 1) for a in args))
    if isinstance(origin, type):
        return TypeExpr.named(_qualified(origin), *(_type_expr(a, depth + 1) for a in args))
    if not isinstance(tp, type):
        return UNKNOWN
    return _class_expr(tp, depth)


def _class_expr(cls: type, depth: int) -> TypeExpr:
    if _is_typeddict(cls):
        hints = typing.get_type_hints(cls)
        return TypeExpr.typeddict(
            _qualified(cls), *(_type_expr(h, depth + 1) for h in hints.values())
        )
    if issubclass(cls, enum.Enum):
        return TypeExpr.named("enum.Enum")
    if cls.__module__ in ("builtins", "typing", "collections.abc", "collections") or (
        cls.__module__.split(".")[0] in ("datetime", "decimal", "uuid", "pathlib", "fractions")
    ):
        return TypeExpr.named(_qualified(cls))
    if getattr(cls, "_is_protocol", False):
        return UNKNOWN
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):  # NamedTuple
        hints = typing.get_type_hints(cls)
        return TypeExpr.named("builtins.tuple", *(_type_expr(h, depth + 1) for h in hints.values()))
    for base in (bool, str, int, float, dict, list, tuple):
        if issubclass(cls, base):
            return TypeExpr.named(_qualified(base))
    return TypeExpr.cls(_qualified(cls), _class_fields(cls))


def _class_fields(cls: type) -> tuple[str, ...] | None:
    """The attributes an instance has: a dataclass's or a model's fields, with what its class
    defines (a property such as phoenix.evals `Score.source` counts: Phoenix asks the instance),
    or a plain class's, read from its source."""
    if dataclasses.is_dataclass(cls):
        declared: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(cls))
    elif isinstance(model_fields := getattr(cls, "model_fields", None), dict):
        declared = tuple(model_fields)
    else:
        return _plain_class_attributes(cls)
    defined = (n for n in dir(cls) if not n.startswith("__") and n not in declared)
    return (*declared, *defined)


# A class's source does not change while it lives: read it once (weakly, so that classes made
# on the fly can go).
_ATTRIBUTES: weakref.WeakKeyDictionary[type, tuple[str, ...] | None] = weakref.WeakKeyDictionary()


def _plain_class_attributes(cls: type) -> tuple[str, ...] | None:
    """The attributes an instance of a plain class can have: what each class of its MRO below
    `object` sets, read from its source as the other front ends read it, and what was set on
    it after it was made (None when any of them is not a plain class whose source is at
    hand)."""
    if cls.__mro__[-1] is not object:
        return None
    found: set[str] = set()
    for klass in cls.__mro__[:-1]:
        attributes = _own_attributes(klass)
        if attributes is None:
            return None
        found.update(attributes)
    return tuple(sorted(found))


def _own_attributes(cls: type) -> tuple[str, ...] | None:
    if type(cls) is not type:
        return None
    try:
        return _ATTRIBUTES[cls]
    except KeyError:
        pass
    except TypeError:
        return None
    found: tuple[str, ...] | None = None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError, ValueError):
        tree = None
    node = tree.body[0] if tree is not None and tree.body else None
    if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
        found = instance_attributes(node)
    # what was set on the class after it was made counts too
    members = set(vars(cls))
    if found is not None and not members & DYNAMIC_MEMBERS:
        found = tuple(sorted({*found, *(m for m in members if not _dunder(m))}))
    else:
        found = None
    _ATTRIBUTES[cls] = found
    return found


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


# --------------------------------------------------------------------------------------------
# callables -> Signature

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: Kind.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: Kind.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.VAR_POSITIONAL: Kind.VAR_POSITIONAL,
    inspect.Parameter.KEYWORD_ONLY: Kind.KEYWORD_ONLY,
    inspect.Parameter.VAR_KEYWORD: Kind.VAR_KEYWORD,
}


def _describe(obj: object) -> str:
    """A name for messages; never raises, since it describes objects whose attributes may."""
    for attr in ("__qualname__", "__name__"):
        try:
            name = getattr(obj, attr, None)
        except Exception:
            name = None
        if isinstance(name, str) and name:
            return f"`{name}`"
    return f"a {type(obj).__name__} object"


def _inspect_signature(obj: object) -> inspect.Signature:
    if not callable(obj):
        raise TypeError(f"{_describe(obj)} is not callable: Phoenix needs a function or callable")
    try:
        return inspect.signature(obj)  # follows __wrapped__, as Phoenix does
    except (ValueError, TypeError) as exc:
        raise BindingError(
            f"cannot read the signature of {_describe(obj)} ({exc}): Phoenix cannot bind it "
            "either; wrap it in a `def`"
        ) from exc
    except Exception as exc:
        raise BindingError(
            f"reading the signature of {_describe(obj)} raised {type(exc).__name__}: {exc}"
        ) from exc


def _call_method(obj: object) -> object | None:
    """`__call__` as defined by an instance's class (not the metaclass's), or None."""
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, type)):
        return None
    for klass in type(obj).__mro__[:-1]:
        if "__call__" in vars(klass):
            call: object = vars(klass)["__call__"]
            return call
    return None


def _annotation_source(obj: object) -> object:
    """The function whose annotations describe what inspect.signature shows.

    Same order as inspect: bound methods, then the `__wrapped__` chain, then partials,
    classes and callable instances.
    """
    target = obj
    for _ in range(20):
        if isinstance(target, types.MethodType):
            target = target.__func__
        elif getattr(target, "__wrapped__", None) is not None:
            try:
                target = inspect.unwrap(target)  # type: ignore[arg-type]
            except ValueError:
                return target
        elif isinstance(target, functools.partial):
            target = target.func
        elif isinstance(target, type):
            return target.__init__  # type: ignore[misc]
        elif (call := _call_method(target)) is not None:
            target = call
        else:
            break
    return target


def _hints(obj: object) -> dict[str, Any]:
    try:
        return typing.get_type_hints(_annotation_source(obj))
    except Exception:
        return {}


def _returns_awaitable(obj: object) -> bool:
    """A sync callable whose call surely produces a coroutine (S12): Phoenix treats it as sync.

    Only a callable instance with `async def __call__` is certain; a sync wrapper around an
    async function may await it itself, so it is unknown and never reported.
    """
    if inspect.iscoroutinefunction(obj):
        return False
    if isinstance(obj, functools.partial):
        return _returns_awaitable(obj.func)
    call = _call_method(obj)
    if call is not None and not isinstance(obj, types.MethodType):
        return inspect.iscoroutinefunction(call)
    return False


def _generator_type(obj: object) -> TypeExpr | None:
    """An unannotated generator function returns a generator, whatever it yields."""
    target = _annotation_source(obj)
    if inspect.isasyncgenfunction(target):
        return TypeExpr.named("typing.AsyncGenerator", UNKNOWN)
    if inspect.isgeneratorfunction(target):
        return TypeExpr.named("typing.Generator", UNKNOWN)
    return None


def _plain_name(obj: object) -> str:
    name = getattr(obj, "__name__", None)
    return name if isinstance(name, str) and name else type(obj).__name__


def wrapper_of(obj: object) -> Wrapper | None:
    """What stands between a def and what Phoenix inspects, in words for messages: a
    `functools.partial`, or a decorator's wrapper that does not copy `__wrapped__` (a nested
    def taking only `*args` / `**kwargs` that closes over a function)."""
    try:
        return _wrapper_of(obj)
    except Exception:  # an attribute of the user's object raised: no words, same verdict
        return None


def _wrapper_of(obj: object) -> Wrapper | None:
    if isinstance(obj, functools.partial):
        name = _plain_name(obj.func)
        rest = ", …" if obj.args or obj.keywords else ""
        return Wrapper("partial", f"functools.partial({name}{rest})", name)
    if not isinstance(obj, types.FunctionType) or hasattr(obj, "__wrapped__"):
        return None
    code = obj.__code__
    if code.co_argcount or code.co_kwonlyargcount or code.co_posonlyargcount:
        return None
    if not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    scopes = obj.__qualname__.split(".<locals>.")  # `deco.<locals>.wrapper`
    wrapped = None
    for cell in obj.__closure__ or ():
        try:
            content = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        if isinstance(content, (types.FunctionType, functools.partial)):
            wrapped = content
            break
    if len(scopes) < 2 or wrapped is None:
        return None
    # `@retry(3)` makes `retry.<locals>.deco.<locals>.wrapper`
    decorator = f"@{scopes[-3]}(…)" if len(scopes) > 2 else f"@{scopes[-2]}"
    return Wrapper("decorator", decorator, _plain_name(wrapped))


def signature_of(obj: object) -> tuple[inspect.Signature, Signature]:
    """Phoenix's view of a callable, and its neutral translation."""
    sig = _inspect_signature(obj)
    try:
        return sig, _translate(obj, sig)
    except Exception as exc:  # an attribute lookup on the object itself failed
        raise BindingError(
            f"reading the signature of {_describe(obj)} raised {type(exc).__name__}: {exc}"
        ) from exc


def _translate(obj: object, sig: inspect.Signature) -> Signature:
    hints = _hints(obj)
    params = []
    for p in sig.parameters.values():
        annotation: TypeExpr | None = None
        if p.name in hints:
            annotation = type_expr(hints[p.name])
        elif p.annotation is not inspect.Parameter.empty:
            annotation = type_expr(p.annotation)
        params.append(
            Param(p.name, _KINDS[p.kind], p.default is not inspect.Parameter.empty, annotation)
        )
    returns: TypeExpr | None = None
    if isinstance(obj, type):
        returns = type_expr(obj)
    elif "return" in hints:
        returns = type_expr(hints["return"])
    elif sig.return_annotation is not inspect.Signature.empty:
        returns = type_expr(sig.return_annotation)
    else:
        returns = _generator_type(obj)
    if _returns_awaitable(obj):
        returns = TypeExpr.named("typing.Coroutine", returns or UNKNOWN)
    is_async = inspect.iscoroutinefunction(obj)
    return Signature(tuple(params), returns, is_async)


# --------------------------------------------------------------------------------------------
# binding plans

_CHAIN_LIMIT = 16  # links followed through __wrapped__ / partial.func before giving up on caching

# Function attributes that redirect what inspect.signature or inspect.iscoroutinefunction read.
# `__signature__` and `__wrapped__` are tracked; the rest make a callable uncached.
_REDIRECTS = frozenset(
    {
        "__signature__",
        "__wrapped__",
        "__text_signature__",
        "_partialmethod",
        "__partialmethod__",
        "_is_coroutine_marker",
    }
)
_UNTRACKED = _REDIRECTS - {"__signature__", "__wrapped__"}
# Markers between the parts of a state, so that two different shapes can never line up.
_SIGNATURE_LINK = object()
_WRAPPED_LINK = object()
_PARTIAL_LINK = object()


@dataclasses.dataclass(frozen=True)
class _Plan:
    sig: inspect.Signature
    signature: Signature
    diagnostics: tuple[Diagnostic, ...]
    single: str | None  # the binding value a lone parameter receives
    keywords: tuple[str, ...]  # binding names passed by keyword, in signature order
    exact: bool  # False: a *args/**kwargs shape, bound by inspect itself
    errors: tuple[Diagnostic, ...] = dataclasses.field(init=False)  # what stops binding
    lone: inspect.Parameter | None = dataclasses.field(init=False)  # the parameter `single` fills

    def __post_init__(self) -> None:
        errors = tuple(d for d in self.diagnostics if d.code in spec.BINDING_RULES)
        object.__setattr__(self, "errors", errors)
        lone = next(iter(self.sig.parameters.values())) if self.single is not None else None
        object.__setattr__(self, "lone", lone)


_State = tuple[tuple[object, ...], tuple[object, ...]]


def _state(obj: object) -> _State | None:
    """Everything inspect.signature and iscoroutinefunction read from `obj`, or None: not cached.

    Returns (pinned, linked): `pinned` are the objects the signature is built from (code,
    defaults, keyword defaults flattened so that an in-place edit shows, a partial's arguments,
    an explicit `__signature__`); `linked` are the callables reached through `__wrapped__` or
    `partial.func`, which a cache entry holds only weakly. Two states are the same when every
    part is the *same object*, never by `==`, which user objects may define as they like.

    Only plain functions and `functools.partial` objects over them are tracked: a callable
    instance or a class reads attributes through its type and metaclass, where any lookup may
    change without anything we could watch, so those are planned afresh on every call.
    """
    # the usual task: a plain function with nothing attached
    if type(obj) is types.FunctionType and obj.__kwdefaults__ is None and not obj.__dict__:
        return (obj.__code__, obj.__defaults__), ()
    pinned: list[object] = []
    linked: list[object] = []
    target = obj
    for _ in range(_CHAIN_LIMIT):
        kind = type(target)
        if kind is types.FunctionType:
            function = typing.cast(types.FunctionType, target)
            kwdefaults = function.__kwdefaults__
            pinned += (function.__code__, function.__defaults__, kwdefaults)
            if kwdefaults:
                pinned += (*kwdefaults.keys(), *kwdefaults.values())
            attrs = function.__dict__
            if not attrs or attrs.keys().isdisjoint(_REDIRECTS):
                return tuple(pinned), tuple(linked)
            if not attrs.keys().isdisjoint(_UNTRACKED):
                return None
            if "__signature__" in attrs:  # inspect.unwrap stops at the first one that has it
                pinned += (_SIGNATURE_LINK, attrs["__signature__"])
                return tuple(pinned), tuple(linked)
            target = attrs["__wrapped__"]
            pinned.append(_WRAPPED_LINK)
        elif kind is functools.partial:
            partial = typing.cast(functools.partial[Any], target)
            if partial.__dict__:  # may carry __wrapped__ or __signature__: not worth tracking
                return None
            keywords = partial.keywords
            pinned += (_PARTIAL_LINK, partial.args, keywords, *keywords.keys(), *keywords.values())
            target = partial.func
        else:
            return None
        linked.append(target)
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class _Entry:
    anchor: weakref.ref[object]
    pinned: tuple[object, ...]
    linked: tuple[weakref.ref[object], ...]
    plan: _Plan

    def holds(self, anchor: object, state: _State) -> bool:
        pinned, linked = state
        if self.anchor() is not anchor or len(pinned) != len(self.pinned):
            return False
        if not all(map(operator.is_, pinned, self.pinned)):
            return False
        if len(linked) != len(self.linked):
            return False
        return not linked or all(ref() is obj for ref, obj in zip(self.linked, linked, strict=True))


# Plans by (id of the anchor, bound method?, role, profile). An entry holds its callable only
# weakly and leaves with it; the limit only matters if some default or annotation refers back to
# its own callable, a cycle through this dict that the weak reference cannot break.
_PLANS: dict[tuple[int, bool, str, str], _Entry] = {}
_PLAN_LIMIT = 4096


def _remember(key: tuple[int, bool, str, str], anchor: object, state: _State, plan: _Plan) -> None:
    def forget(ref: weakref.ref[object]) -> None:
        entry = _PLANS.get(key)
        if entry is not None and entry.anchor is ref:
            _PLANS.pop(key, None)

    pinned, linked = state
    try:
        entry = _Entry(
            weakref.ref(anchor, forget),
            pinned,
            tuple(weakref.ref(obj) for obj in linked),
            plan,
        )
    except TypeError:  # not weakly referenceable: planned afresh every time
        return
    if len(_PLANS) >= _PLAN_LIMIT:
        _PLANS.clear()
    _PLANS[key] = entry


def _check_profile(profile: str) -> None:
    if profile not in spec.PROFILES:
        raise ValueError(
            f"unknown Phoenix profile {profile!r}: use one of {', '.join(spec.PROFILES)}"
        )


class NotCallableError(BindingError, TypeError):
    """The object is not callable at all (PHX007): a TypeError, as Phoenix raises, carrying the
    diagnostic as every BindingError does."""


def _is_evaluator_object(obj: object) -> bool:
    """An object the client uses as it is (its Evaluator protocol) or wraps (phoenix.evals),
    without reading a signature."""
    for protocol in (spec.EVALUATOR_PROTOCOL, spec.EVALS_EVALUATOR_PROTOCOL):
        try:
            if all(hasattr(obj, attribute) for attribute in protocol):
                return True
        except Exception:  # a property of the user's raised: not an object Phoenix can use
            return False
    return False


def _not_callable(obj: object, role: Role, context: Context) -> list[Diagnostic]:
    """What Phoenix says about a value that is not callable (none for an Evaluator object, which
    Phoenix uses without calling it)."""
    if role == "evaluator" and _is_evaluator_object(obj):
        return []
    return judge.check_not_callable(type_expr(type(obj)), role, context)


def _new_plan(obj: object, role: Role, profile: str) -> _Plan:
    _check_profile(profile)
    if role == "evaluator" and evals_object.is_evals_evaluator(obj):
        raise TypeError(
            f"{_describe(obj)} is a phoenix.evals evaluator: Phoenix hands it every value in one "
            "dict and it resolves its own fields, there are no parameters to bind (use "
            "call_evaluator / run_evaluator, or check_callable)"
        )
    if not callable(obj):
        found = tuple(_not_callable(obj, role, Context(profile=profile)))
        if not found:
            raise TypeError(
                f"{_describe(obj)} is an Evaluator object: Phoenix calls its evaluate method "
                "with every value, there are no parameters to bind"
            )
        raise NotCallableError("; ".join(f"{d.code} {d.message}" for d in found), found)
    sig, signature = signature_of(obj)
    context = Context(profile=profile, wrapper=wrapper_of(obj))
    diagnostics = tuple(judge.check(signature, role, context))
    valid = spec.PROFILES[profile].names(role)
    names = signature.names()
    if len(names) == 1:
        single = names[0] if names[0] in valid else spec.SINGLE_PARAMETER_FALLBACK[role]
        return _Plan(sig, signature, diagnostics, single, (), True)
    keywords = tuple(n for n in names if n in valid)
    exact = all(p.kind not in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD) for p in signature.params)
    return _Plan(sig, signature, diagnostics, None, keywords, exact)


def _plan(obj: object, role: Role, profile: str) -> _Plan:
    """The binding plan, cached while the callable is alive and unchanged.

    A bound method is a new object on every attribute access, and its signature is its
    function's minus the first parameter, whatever it is bound to: it is cached on `__func__`.
    """
    anchor = obj.__func__ if type(obj) is types.MethodType else obj
    state = _state(anchor)
    if state is None:
        return _new_plan(obj, role, profile)
    key = (id(anchor), anchor is not obj, role, profile)
    entry = _PLANS.get(key)
    if entry is not None and entry.holds(anchor, state):
        return entry.plan
    plan = _new_plan(obj, role, profile)
    _remember(key, anchor, state, plan)
    return plan


def _read_signature(obj: object) -> Signature:
    return signature_of(obj)[1]


def evals_signature(obj: object) -> EvalsSignature | None:
    """The neutral model of a phoenix.evals evaluator object; None for any other object."""
    if not evals_object.is_evals_evaluator(obj):
        return None
    return evals_object.read_evals(obj, _read_signature, type_expr)


def check_evals_object(obj: object, context: Context) -> list[Diagnostic] | None:
    """The findings on a phoenix.evals evaluator (judged by how it resolves its fields, not by
    its `__call__`), or on what a bare phoenix.evals `@create_evaluator` left; None for any
    other object."""
    _check_profile(context.profile)
    if evals_object.is_bare_evals_decorator(obj):
        function = evals_object.bare_decorator_function(obj)
        return judge.check_evaluator_decorator(bare=True, evals=True, function=function)
    signature = evals_signature(obj)
    if signature is None:
        return None
    return evals_judge.check_evals(signature, context)


def _check_client_evaluator(obj: object, context: Context) -> list[Diagnostic]:
    """An evaluator object of Phoenix's client, which it calls as it is: judged by the function
    `create_evaluator` wrapped, or by the subclass's own `evaluate` (called with every value by
    keyword, like the linter's class check); nothing to judge when Phoenix's classes define it
    all (a prebuilt one)."""
    wrapped = client_evaluators.wrapped_function(obj)
    if wrapped is not None:
        return check_callable(
            wrapped,
            "evaluator",
            sync_client=context.sync_runner,
            profile=context.profile,
            runner=context.runner,
        )
    method = client_evaluators.own_method(obj)
    if method is None:
        return []
    plan = _new_plan(method, "evaluator", context.profile)
    context = dataclasses.replace(context, evaluator_method=True)
    return judge.check(plan.signature, "evaluator", context)


def check_callable(
    obj: object,
    role: Role = "task",
    *,
    sync_client: bool | None = None,
    profile: str = spec.DEFAULT_PROFILE,
    runner: RunnerKind | None = None,
    evals_keywords: tuple[str, ...] | None = None,
) -> list[Diagnostic]:
    """The linter's diagnostics for this callable's definition, from the live object.
    `runner`: the kind of entry point it goes to (`"run"` for `run_experiment`, `"evaluate"`
    for `evaluate_experiment`, ...), which decides when Phoenix checks an evaluator and so
    what the messages say that costs; None when not known. `evals_keywords`: the keywords a
    phoenix.evals evaluator is handed when they are the entry point's own (the pytest
    marker's); None for the runner's standard ones, or not known."""
    if role not in ("task", "evaluator"):
        raise ValueError(f"role must be 'task' or 'evaluator', not {role!r}")
    context = Context(
        profile=profile, sync_runner=sync_client, runner=runner, evals_keywords=evals_keywords
    )
    if role == "evaluator":
        found = check_evals_object(obj, context)
        if found is not None:
            return found
        if client_evaluators.is_client_evaluator(obj):
            return _check_client_evaluator(obj, context)
    if not callable(obj):
        _check_profile(profile)
        return _not_callable(obj, role, context)
    # Never from the plan cache: the findings also depend on annotations and on the names they
    # resolve to in the module, which the cache does not watch (binding does not read them).
    plan = _new_plan(obj, role, profile)
    if sync_client is None and runner is None:
        return list(plan.diagnostics)
    context = dataclasses.replace(context, wrapper=wrapper_of(obj))
    return judge.check(plan.signature, role, context)


# --------------------------------------------------------------------------------------------
# values


def _copy(value: object) -> Any:
    """A deep copy. A pickle round trip is faster than copy.deepcopy on JSON
    data and keeps types, shared references and cycles; what cannot be pickled is deep-copied."""
    try:
        return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        return copy.deepcopy(value)


class ExampleProxy(Mapping[str, Any]):
    """Read-only view of a dataset example: `ex.input` or `ex["input"]`.

    Unlike Phoenix's proxy it never exposes the live example: each field is copied on first
    access, so a task that mutates what it reads cannot change what the next task sees.
    """

    __slots__ = ("_cache", "_example")
    _cache: dict[str, Any]
    _example: Mapping[str, Any]

    def __init__(self, example: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_example", example)
        object.__setattr__(self, "_cache", {})

    def __getitem__(self, key: str) -> Any:
        cache: dict[str, Any] = self._cache
        if key not in cache:
            value = self._example[key]
            cache[key] = value if isinstance(value, (str, int, float, type(None))) else _copy(value)
        return cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._example)

    def __len__(self) -> int:
        return len(self._example)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ExampleProxy is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ExampleProxy is read-only")

    def __repr__(self) -> str:
        return f"ExampleProxy(id={self._example.get('id')!r})"

    @property
    def id(self) -> Any:
        return self["id"]

    @property
    def input(self) -> Any:
        return self["input"]

    @property
    def output(self) -> Any:
        return self["output"]

    @property
    def metadata(self) -> Any:
        return self["metadata"]

    @property
    def updated_at(self) -> datetime | None:
        stamp = self._example.get("updated_at")
        if stamp is None or isinstance(stamp, datetime):
            return stamp
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


def _as_mapping(example: object) -> Mapping[str, Any]:
    if isinstance(example, ExampleProxy):
        return example._example
    if isinstance(example, Mapping):
        return example
    fields = ("id", "input", "output", "metadata", "updated_at")
    if all(hasattr(example, f) for f in ("input", "output")):
        return {f: getattr(example, f, None) for f in fields}
    raise TypeError(
        f"an example must be a mapping with 'input', 'output' and 'metadata', not "
        f"{type(example).__name__}"
    )


# The example fields Phoenix's client reads before it binds anything, in its order: the task's
# `_bind_task_signature` copies all three, and the evaluator runner passes them as keywords
# (`expected=example["output"]` first). A missing one fails every callable with KeyError,
# whatever the callable declares.
_FIELDS_READ: dict[Role, tuple[str, ...]] = {
    "task": ("input", "output", "metadata"),
    "evaluator": ("output", "input", "metadata"),
}


def _value(name: str, example: Mapping[str, Any], extra: Mapping[str, Any]) -> Any:
    if name in extra:
        value = extra[name]
        return value if name == "trace_id" else _copy(value)
    if name == "example":
        return ExampleProxy(example)
    return _copy(example[spec.VALUE_SOURCE[name]])


def _bind(
    plan: _Plan, role: Role, example: object, extra: Mapping[str, Any]
) -> inspect.BoundArguments:
    if plan.errors:
        raise BindingError("; ".join(f"{d.code} {d.message}" for d in plan.errors), plan.errors)
    data = _as_mapping(example)
    for field in _FIELDS_READ[role]:
        data[field]  # raises what Phoenix's own lookup raises
    single, param = plan.single, plan.lone
    if single is not None and param is not None:
        value = _value(single, data, extra)
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return inspect.BoundArguments(plan.sig, {param.name: (value,)})
        return inspect.BoundArguments(plan.sig, {param.name: value})
    values = {name: _value(name, data, extra) for name in plan.keywords}
    if plan.exact:
        return inspect.BoundArguments(plan.sig, values)
    return plan.sig.bind_partial(**values)


def bind_task(
    task: Callable[..., Any], example: object, *, profile: str = spec.DEFAULT_PROFILE
) -> inspect.BoundArguments:
    """Bind a task to a dataset example exactly as Phoenix does (raises BindingError)."""
    return _bind(_plan(task, "task", profile), "task", example, {})


def bind_evaluator(
    evaluator: Callable[..., Any],
    *,
    output: Any,
    example: object,
    trace_id: str | None = None,
    profile: str = spec.DEFAULT_PROFILE,
) -> inspect.BoundArguments:
    """Bind an evaluator to a task output and its example exactly as Phoenix does."""
    extra = {"output": output, "trace_id": trace_id}
    return _bind(_plan(evaluator, "evaluator", profile), "evaluator", example, extra)


# --------------------------------------------------------------------------------------------
# running


def _async_error(plan: _Plan, role: Role, profile: str) -> BindingError:
    awaiting = dataclasses.replace(
        plan.signature, returns=TypeExpr.named("typing.Coroutine", UNKNOWN)
    )
    found = tuple(
        d
        for d in judge.check(awaiting, role, Context(profile=profile, sync_runner=True))
        if d.code in ("PHX006", "PHX202")
    )
    return BindingError("; ".join(f"{d.code} {d.message}" for d in found), found)


def _checked_output(output: Any) -> Any:
    problem = values.json_value_problem(output)
    if problem is not None:
        raise OutputError(
            f"task output is not JSON: {problem} (Phoenix would silently convert it)",
            problem.split(":", 1)[0],
        )
    return output


def _checked_result(result: Any, profile: str) -> list[dict[str, object]]:
    evaluations, problem = values.score_value(result, spec.PROFILES[profile].scorer)
    if problem is not None:
        raise OutputError(f"evaluator result {result!r:.80}: {problem}")
    return evaluations


def call_task(
    task: Callable[..., Any], example: object, *, profile: str = spec.DEFAULT_PROFILE
) -> Any:
    """Bind and call a sync task the way Phoenix's sync Client would: its output as returned,
    before Phoenix's `jsonify` (`run` shows what that makes of it)."""
    plan = _plan(task, "task", profile)
    bound = _bind(plan, "task", example, {})
    result = task(*bound.args, **bound.kwargs)
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise _async_error(plan, "task", profile)
    return result


def run_task(
    task: Callable[..., Any], example: object, *, profile: str = spec.DEFAULT_PROFILE
) -> Any:
    """Bind, call and check a sync task the way Phoenix's sync Client would."""
    return _checked_output(call_task(task, example, profile=profile))


async def acall_task(
    task: Callable[..., Any], example: object, *, profile: str = spec.DEFAULT_PROFILE
) -> Any:
    """Bind and call (awaiting if needed) a task the way the AsyncClient would; its output as
    returned."""
    bound = _bind(_plan(task, "task", profile), "task", example, {})
    result = task(*bound.args, **bound.kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def arun_task(
    task: Callable[..., Any], example: object, *, profile: str = spec.DEFAULT_PROFILE
) -> Any:
    """Bind, call (awaiting if needed) and check a task the way the AsyncClient would."""
    return _checked_output(await acall_task(task, example, profile=profile))


def _evals_keywords(
    example: object, output: Any, trace_id: str | None, profile: str
) -> dict[str, Any]:
    """The one dict the client's wrapper hands a phoenix.evals evaluator: every keyword."""
    _check_profile(profile)
    data = _as_mapping(example)
    for field in _FIELDS_READ["evaluator"]:
        data[field]  # raises what Phoenix's own lookup raises
    extra = {"output": output, "trace_id": trace_id}
    return {name: _value(name, data, extra) for name in spec.PROFILES[profile].evaluator_names}


def call_evaluator(
    evaluator: Callable[..., Any],
    *,
    output: Any,
    example: object,
    trace_id: str | None = None,
    profile: str = spec.DEFAULT_PROFILE,
) -> Any:
    """Bind and call a sync evaluator as Phoenix would: its result, before the scorer."""
    if evals_object.is_evals_evaluator(evaluator):
        keywords = _evals_keywords(example, output, trace_id, profile)
        return evals_object.first_score(getattr(evaluator, spec.EVALUATOR_METHODS[0])(keywords))
    plan = _plan(evaluator, "evaluator", profile)
    if plan.signature.is_async:
        raise _async_error(plan, "evaluator", profile)
    bound = _bind(plan, "evaluator", example, {"output": output, "trace_id": trace_id})
    result = evaluator(*bound.args, **bound.kwargs)
    if inspect.iscoroutine(result):
        result.close()
        raise _async_error(plan, "evaluator", profile)
    return result


def run_evaluator(
    evaluator: Callable[..., Any],
    *,
    output: Any,
    example: object,
    trace_id: str | None = None,
    profile: str = spec.DEFAULT_PROFILE,
) -> list[dict[str, object]]:
    """Bind, call and score a sync evaluator; returns the evaluations Phoenix would record."""
    result = call_evaluator(
        evaluator, output=output, example=example, trace_id=trace_id, profile=profile
    )
    return _checked_result(result, profile)


async def acall_evaluator(
    evaluator: Callable[..., Any],
    *,
    output: Any,
    example: object,
    trace_id: str | None = None,
    profile: str = spec.DEFAULT_PROFILE,
) -> Any:
    """The AsyncClient's evaluation call: awaits a coroutine function, never a sync one's
    result; the result, before the scorer."""
    if evals_object.is_evals_evaluator(evaluator):
        keywords = _evals_keywords(example, output, trace_id, profile)
        return evals_object.first_score(
            await getattr(evaluator, spec.EVALUATOR_METHODS[1])(keywords)
        )
    plan = _plan(evaluator, "evaluator", profile)
    bound = _bind(plan, "evaluator", example, {"output": output, "trace_id": trace_id})
    result = evaluator(*bound.args, **bound.kwargs)
    if plan.signature.is_async and isinstance(result, Awaitable):
        result = await result
    elif inspect.iscoroutine(result):
        result.close()
        raise _async_error(plan, "evaluator", profile)
    return result


async def arun_evaluator(
    evaluator: Callable[..., Any],
    *,
    output: Any,
    example: object,
    trace_id: str | None = None,
    profile: str = spec.DEFAULT_PROFILE,
) -> list[dict[str, object]]:
    """The AsyncClient's evaluation, scored: the evaluations Phoenix would record."""
    result = await acall_evaluator(
        evaluator, output=output, example=example, trace_id=trace_id, profile=profile
    )
    return _checked_result(result, profile)
