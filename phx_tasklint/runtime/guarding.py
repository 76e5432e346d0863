"""The opt-in guard: Phoenix's experiment entry points, judged before they run anything.

`guard()` wraps every entry point of `spec.GUARDED`: those of modules already imported at
once, the others right after their module is executed (a `sys.meta_path` finder that never
imports anything itself). A wrapped call judges its task and each evaluator with
`check_callable`, for the runner's sync/async kind and the installed client's profile, before
Phoenix does anything: findings Phoenix cannot run with (`Rule.phoenix_refuses`: it fails
before the run or on every example, what `run` refuses to start on) raise a `GuardError` listing
every finding; the others (warnings, and PHX201 / PHX203, which Phoenix runs with: a pydantic
model or a datetime a task returns is stored converted, as its author may well mean) are warned
about once per callable and code; then the original is called with the same arguments, its
result and exceptions untouched.

Nothing here runs at import: importing phx_tasklint patches nothing and imports no Phoenix.
The module is not called `guard`, as `phx_tasklint.guard` is the function (importing a
submodule of that name would replace it).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.abc
import importlib.machinery
import importlib.metadata
import inspect
import re
import sys
import textwrap
import threading
import types
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from phx_tasklint.core import judge, spec
from phx_tasklint.core.model import CallSite, Context, Diagnostic, Role, RunnerKind
from phx_tasklint.runtime import client_evaluators, evals_object
from phx_tasklint.runtime.binder import BindingError, check_callable

if TYPE_CHECKING:
    from phx_tasklint.runtime.localrun import PreflightFinding

__all__ = [
    "GuardError",
    "GuardHandle",
    "GuardWarning",
    "active_guard",
    "guard",
    "guarded",
    "installed_profile",
]


class GuardWarning(UserWarning):
    """A finding the guard lets the experiment run with (Phoenix runs it regardless)."""


class GuardError(BindingError):
    """The guard stopped an experiment call: `.findings` holds every finding on every callable
    handed over (who, role, diagnostic), `.diagnostics` their diagnostics, `.callee` the entry
    point that was not called."""

    def __init__(self, callee: str, findings: Sequence[PreflightFinding]) -> None:
        lines = [f"{stop_reason(findings)}: phx-tasklint did not call `{callee}`, nothing was run"]
        lines += [f"  {f.line()}" for f in findings]
        super().__init__("\n".join(lines), tuple(f.diagnostic for f in findings))
        self.callee = callee
        self.findings = tuple(findings)

    def __reduce__(self) -> tuple[type[GuardError], tuple[str, tuple[PreflightFinding, ...]]]:
        return (GuardError, (self.callee, self.findings))  # pickles (to a worker and back)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for it in place of the traceback: the findings as a table."""
        return [findings_table(self)]


_WIDTH = 100  # where a message wraps in the table


def stops(finding: PreflightFinding) -> bool:
    """Whether the guard stops the call for this finding: Phoenix would not run the
    experiment, or would fail every example (never for a run Phoenix completes)."""
    return finding.refused


def stop_reason(findings: Sequence[PreflightFinding]) -> str:
    """Why the guard stopped: the codes Phoenix would fail on."""
    failing = sorted({f.diagnostic.code for f in findings if stops(f)})
    return f"Phoenix would fail this experiment ({', '.join(failing)})"


def findings_table(error: GuardError) -> str:
    """The error as a table: a header line, then one row per finding."""
    rows = [(f.diagnostic.code, f.who, f.diagnostic.message) for f in error.findings]
    code_width = max(len("code"), *(len(code) for code, _, _ in rows))
    who_width = max(len("callable"), *(len(who) for _, who, _ in rows))
    indent = code_width + who_width + 4
    lines = [
        f"phx-tasklint: {stop_reason(error.findings)}; "
        f"`{error.callee}` was not called, nothing was run.",
        "",
        f"{'code':<{code_width}}  {'callable':<{who_width}}  message",
    ]
    for code, who, message in rows:
        wrapped = textwrap.wrap(message, max(40, _WIDTH - indent)) or [""]
        lines.append(f"{code:<{code_width}}  {who:<{who_width}}  {wrapped[0]}")
        lines += [" " * indent + rest for rest in wrapped[1:]]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the installed client's profile


@functools.cache
def installed_profile() -> str:
    """The profile of the installed arize-phoenix-client (the default when none is installed or
    its version cannot be read)."""
    try:
        version = importlib.metadata.version(spec.CLIENT_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return spec.DEFAULT_PROFILE
    return profile_of_version(version)


def profile_of_version(version: str) -> str:
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        return spec.DEFAULT_PROFILE
    release = (int(match[1]), int(match[2]))
    return next(p for since, p in spec.CLIENT_PROFILE_SINCE if release >= since)


# --------------------------------------------------------------------------------------------
# verdicts, one check_callable per callable

# role, sync runner, runner kind, profile, the keywords a phoenix.evals evaluator is handed
_Context = tuple[Role, bool | None, RunnerKind, str, tuple[str, ...] | None]


@dataclass
class _Entry:
    """What the guard knows of one live callable; it holds the callable only weakly."""

    ref: weakref.ref[object]
    # by context, and whether it was handed as a bound method (judged without `self`)
    verdicts: dict[tuple[_Context, bool], tuple[tuple[object, ...], tuple[Diagnostic, ...]]]
    warned: set[str]


# By id of the callable (of `__func__` for a bound method, which is a new object on every
# access and judged as its function is): never by `==` / hash, which user objects may define as
# they like. An entry leaves with its callable (tests/test_guard.py checks it keeps none alive);
# the limit only matters if a callable's defaults refer back to it, a cycle through this dict.
_ENTRIES: dict[int, _Entry] = {}
_LIMIT = 4096
_LOCK = threading.Lock()


def _anchor(obj: object) -> object:
    return obj.__func__ if type(obj) is types.MethodType else obj


def _stamp(anchor: object, depth: int = 0) -> tuple[object, ...] | None:
    """What a verdict was read from that can change under the same object (compared by
    identity; a dict by its items): a function's code, defaults, `__signature__` and
    `__wrapped__`, a partial's function and arguments. None for any other object, or a chain
    through one, whose verdict is not kept: what it is read from (a `__call__`, a phoenix.evals
    object's mapping, which `.bind(...)` changes in place) can change unseen."""
    if depth > 8:
        return None  # a long (or circular) chain of `__wrapped__`: not kept
    if type(anchor) is types.FunctionType:
        parts = [anchor.__code__, anchor.__defaults__, *_items(anchor.__kwdefaults__)]
        signature = vars(anchor).get("__signature__")
        wrapped = vars(anchor).get("__wrapped__")  # what inspect.signature reads instead
        parts += [signature, wrapped]
        if wrapped is not None:
            inner = _stamp(wrapped, depth + 1)
            if inner is None:
                return None
            parts += inner
        return tuple(parts)
    if type(anchor) is functools.partial:
        inner = _stamp(anchor.func, depth + 1)
        if inner is None:
            return None
        return (anchor.func, anchor.args, *_items(anchor.keywords), *inner)
    return None


def _items(mapping: dict[str, Any] | None) -> tuple[object, ...]:
    """A dict's keys and values in order (it can change in place: its identity says nothing),
    after a marker, so two shapes never line up."""
    if mapping is None:
        return (None,)
    return (_DICT, *(x for pair in mapping.items() for x in pair))


_DICT = object()


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _entry(anchor: object) -> _Entry | None:
    key = id(anchor)
    entry = _ENTRIES.get(key)
    if entry is not None and entry.ref() is anchor:
        return entry

    def forget(ref: weakref.ref[object]) -> None:
        with _LOCK:
            if (found := _ENTRIES.get(key)) is not None and found.ref is ref:
                del _ENTRIES[key]

    try:
        entry = _Entry(weakref.ref(anchor, forget), {}, set())
    except TypeError:  # not weakly referenceable: judged afresh on every call
        return None
    with _LOCK:
        if len(_ENTRIES) >= _LIMIT:
            _ENTRIES.clear()
        _ENTRIES[key] = entry
    return entry


def _verdict(obj: object, context: _Context) -> tuple[Diagnostic, ...]:
    anchor = _anchor(obj)
    entry = _entry(anchor)
    stamp = _stamp(anchor)
    if entry is not None and stamp is not None:
        known = entry.verdicts.get((context, anchor is not obj))
        if known is not None and _same(known[0], stamp):
            return known[1]
    role, sync, kind, profile, keywords = context
    found = tuple(
        check_callable(
            obj, role, sync_client=sync, profile=profile, runner=kind, evals_keywords=keywords
        )
    )
    if entry is not None and stamp is not None:
        entry.verdicts[(context, anchor is not obj)] = (stamp, found)
    return found


def _first_warning(obj: object, code: str) -> bool:
    """Whether `code` was not yet warned about for this callable (and now is)."""
    entry = _entry(_anchor(obj))
    if entry is None:
        return True
    if code in entry.warned:
        return False
    entry.warned.add(code)
    return True


# --------------------------------------------------------------------------------------------
# what a call hands over


@dataclass(frozen=True)
class _Handed:
    who: str  # "task", or the name Phoenix records the evaluator under
    role: Role
    obj: object
    key: object = None  # the mapping key it was given under, if any


def _safe_name(obj: object) -> str | None:
    try:
        name = getattr(obj, "name", None)
    except Exception:  # a property of the user's raised
        return None
    return name if isinstance(name, str) and name else None


def _evaluator_who(obj: object, key: object = None) -> str:
    from phx_tasklint.runtime.localrun import evaluator_name

    if isinstance(key, str) and key:
        return key
    if not isinstance(obj, (types.FunctionType, functools.partial, types.MethodType)):
        name = _safe_name(obj)  # an Evaluator or phoenix.evals object names itself
        if name is not None:
            return name
    try:
        named = any(hasattr(obj, a) for a in ("__qualname__", "__name__", "func"))
        if named:
            return evaluator_name(obj)
    except Exception:  # an attribute of the user's raised
        pass
    return f"a {type(obj).__name__} object"


def _evaluators(value: object) -> list[_Handed]:
    """Phoenix's shapes (ENTRYPOINTS.md): a mapping's values, a sequence's items, or any other
    value as one evaluator (a set or generator too, which is never iterated here)."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [_Handed(_evaluator_who(v, k), "evaluator", v, k) for k, v in value.items()]
    if isinstance(value, Sequence):
        return [_Handed(_evaluator_who(v), "evaluator", v) for v in value]
    return [_Handed(_evaluator_who(value), "evaluator", value)]


def _arguments(
    entry: spec.GuardedEntry, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> Iterator[tuple[Role, Any]]:
    """(role, value) of each callable argument a call of `entry` is given (`args` without
    `self`)."""
    for role, keyword, position in entry.arguments:
        if keyword in kwargs:
            yield role, kwargs[keyword]
        elif position is not None and position < len(args):
            yield role, args[position]


def handed_over(
    entry: spec.GuardedEntry, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> list[_Handed]:
    """The callables a call of `entry` hands Phoenix (`args` without `self`)."""
    found: list[_Handed] = []
    for role, value in _arguments(entry, args, kwargs):
        if role == "task":
            found.append(_Handed("task", "task", value))
        else:
            found += _evaluators(value)
    return found


def empty_evaluators(
    entry: spec.GuardedEntry, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> str | None:
    """The type's name (`list`, `tuple`, `dict`...) when the call's evaluators are an empty
    sequence or mapping, as Phoenix tells them apart from None; else None."""
    for role, value in _arguments(entry, args, kwargs):
        if role != "evaluator" or isinstance(value, str):
            continue
        if isinstance(value, (Sequence, Mapping)):
            try:
                empty = len(value) == 0
            except Exception:  # a collection of the user's whose len raised: Phoenix's to say
                return None
            return type(value).__name__ if empty else None
    return None


def judge_call(
    entry: spec.GuardedEntry,
    handed: Sequence[_Handed],
    stacklevel: int = 2,
    empty: str | None = None,
) -> None:
    """Raise GuardError on what Phoenix cannot run with; warn once about the rest. `empty`:
    the evaluators are that empty collection (`empty_evaluators`). `stacklevel` as for
    `warnings.warn`, counted from here (2: the caller)."""
    from phx_tasklint.runtime.localrun import PreflightFinding

    profile = entry.profile or installed_profile()
    findings: list[tuple[PreflightFinding, object]] = []
    if empty is not None:
        context = Context(profile=profile, runner=entry.kind)
        for d in judge.check_no_evaluators(entry.attribute, empty, context):
            findings.append((PreflightFinding("evaluators", "evaluator", d), None))
    judged: set[int] = set()
    for item in handed:
        if id(item.obj) in judged:
            continue
        judged.add(id(item.obj))
        try:
            found = _verdict(item.obj, (item.role, entry.sync, entry.kind, profile, None))
        except Exception as exc:  # unreadable: Phoenix says so itself, as it always did
            warnings.warn(
                f"phx-tasklint could not check {item.who}: {exc}",
                GuardWarning,
                stacklevel=stacklevel,
            )
            continue
        findings += [(PreflightFinding(item.who, item.role, d), item.obj) for d in found]
    if any(stops(f) for f, _ in findings):
        raise GuardError(entry.attribute, [f for f, _ in findings])
    findings += _shared_names(entry, [h for h in handed if h.role == "evaluator"])
    for f, obj in findings:
        if _first_warning(obj, f.diagnostic.code):
            warnings.warn(f.line(), GuardWarning, stacklevel=stacklevel)


def _shared_names(
    entry: spec.GuardedEntry, evaluators: Sequence[_Handed]
) -> list[tuple[PreflightFinding, object]]:
    """Evaluators Phoenix records under one name (it keeps the last of them: PHX404), each
    finding with the evaluator it is reported on."""
    from phx_tasklint.runtime.localrun import PreflightFinding, evaluator_name

    names: list[str | None] = []
    renamable: list[bool] = []
    for item in evaluators:
        obj = item.obj
        own = evals_object.is_evals_evaluator(obj) or client_evaluators.is_client_evaluator(obj)
        if own:  # its own name, whatever key it is given under
            names.append(_safe_name(obj))
        elif isinstance(item.key, str) and item.key:
            names.append(item.key)
        else:
            try:
                names.append(evaluator_name(obj))
            except Exception:  # an attribute of the user's raised: no name to compare
                names.append(None)
        renamable.append(not own)
    site = CallSite(entry.attribute, evaluator_names=tuple(names), renamable=tuple(renamable))
    found = []
    for d in judge.check_call(site):
        item = evaluators[d.item or 0]
        found.append((PreflightFinding(item.who, "evaluator", d), item.obj))
    return found


def marker_findings(
    evaluators: object, params: Iterable[str] | None = None
) -> list[PreflightFinding]:
    """The findings on the evaluators of a `pytest.mark.phoenix(evaluators=...)`: a list or tuple
    is one evaluator per item, any other value (a dict too) is one evaluator, as the client's
    plugin reads it (ENTRYPOINTS.md §4). `params`: the names of the test's parametrized
    arguments (its `callspec.params`), which the client hands a phoenix.evals evaluator beside
    `output`, `input` and `trace_id`; None when not known."""
    from phx_tasklint.runtime.localrun import PreflightFinding

    if evaluators is None:
        return []
    items = list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]
    profile = installed_profile()
    keywords = None
    if params is not None:
        given = [p for p in params if p != spec.PYTEST_REPETITION_PARAM]
        keywords = tuple(dict.fromkeys([*given, *spec.PYTEST_EVAL_KEYWORDS]))
    found: list[PreflightFinding] = []
    for item in items:
        who = _evaluator_who(item)
        try:
            verdict = _verdict(item, ("evaluator", None, "pytest", profile, keywords))
        except Exception as exc:  # unreadable: Phoenix says so itself, as it always did
            warnings.warn(f"phx-tasklint could not check {who}: {exc}", GuardWarning, stacklevel=2)
            continue
        found += [PreflightFinding(who, "evaluator", d) for d in verdict]
    return found


# --------------------------------------------------------------------------------------------
# wrapping

# The callables an enclosing guarded call already judged (by id, alive while it runs): the
# module functions and `run_experiment` reach other guarded methods with the same callables,
# which are judged once, at the outermost call.
_HANDED: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "phx_tasklint_guard_handed", default=frozenset()
)
# The wrappers the guard made, by id: (the wrapper, weakly; the handle that made it; what it
# wraps). Known by identity, never by an attribute: `functools.wraps` copies a function's
# attributes into whoever wraps it next, so a mark would be found on another library's wrapper.
_WRAPPERS: dict[int, tuple[weakref.ref[Any], GuardHandle, Any]] = {}


def _ours(obj: object) -> tuple[GuardHandle, Any] | None:
    """The handle that made `obj` and what it wraps, when `obj` is one of the guard's wrappers."""
    found = _WRAPPERS.get(id(obj))
    if found is None or found[0]() is not obj:
        return None
    return found[1], found[2]


def _enter(
    handle: GuardHandle, entry: spec.GuardedEntry, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> contextvars.Token[frozenset[int]] | None:
    if not handle.active:
        return None
    offset = 1 if "." in entry.attribute else 0  # a method: `self` comes first
    handed = handed_over(entry, args[offset:], kwargs)
    empty = empty_evaluators(entry, args[offset:], kwargs)
    seen = _HANDED.get()
    fresh = [h for h in handed if id(h.obj) not in seen]
    if fresh or empty is not None:
        judge_call(entry, fresh, stacklevel=4, empty=empty)
    return _HANDED.set(seen | {id(h.obj) for h in handed})


def _wrap(original: Callable[..., Any], entry: spec.GuardedEntry, handle: GuardHandle) -> Any:
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def guarded_async(*args: Any, **kwargs: Any) -> Any:
            token = _enter(handle, entry, args, kwargs)
            try:
                return await original(*args, **kwargs)
            finally:
                if token is not None:
                    _HANDED.reset(token)

        wrapper: Any = guarded_async
    else:

        @functools.wraps(original)
        def guarded_sync(*args: Any, **kwargs: Any) -> Any:
            token = _enter(handle, entry, args, kwargs)
            try:
                return original(*args, **kwargs)
            finally:
                if token is not None:
                    _HANDED.reset(token)

        wrapper = guarded_sync
    key = id(wrapper)

    def forget(ref: weakref.ref[Any]) -> None:
        if (found := _WRAPPERS.get(key)) is not None and found[0] is ref:
            del _WRAPPERS[key]

    _WRAPPERS[key] = (weakref.ref(wrapper, forget), handle, original)
    return wrapper


@dataclass(frozen=True)
class _Patch:
    owner: object  # the module or class the attribute is set on
    name: str
    original: object
    wrapper: object


class GuardHandle:
    """The live guard: `.remove()` restores Phoenix's entry points and stops patching modules
    imported later. Not a context manager: `guard()` returns the guard already in force (one a
    notebook's `%load_ext` set, say), which the end of a `with` block must not remove;
    `guarded()` is the block form."""

    def __init__(self) -> None:
        self.active = True
        self.standing = False  # set by `guard()`: only `.remove()` ends it
        self.blocks = 0  # `guarded()` blocks running with it
        self._patches: list[_Patch] = []
        self._finder = _Finder(self)

    def __repr__(self) -> str:
        state = "active" if self.active else "removed"
        return f"<phx_tasklint guard, {state}, {len(self.patched())} entry points wrapped>"

    def patched(self) -> list[str]:
        """The entry points this handle wrapped and still holds (`module:Class.method`)."""
        return [f"{_owner_name(p.owner)}.{p.name}" for p in self._patches if _holds(p)]

    def patch_module(self, module: types.ModuleType) -> None:
        """Wrap the entry points `module` defines (once; a live wrapper is left as it is)."""
        with _PATCH_LOCK:
            if not self.active:
                return
            for entry in spec.GUARDED:
                if entry.module == module.__name__:
                    self._patch(module, entry)

    def _patch(self, module: types.ModuleType, entry: spec.GuardedEntry) -> None:
        *path, name = entry.attribute.split(".")
        owner: object = module
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None:
            return  # another client version: not there
        current = _attribute(owner, name)
        if not callable(current):
            return
        while (ours := _ours(current)) is not None:
            maker, inner = ours
            if maker.active:
                return  # already guarded
            current = inner  # a removed guard's wrapper, still in place: wrap what it wrapped
        wrapper = _wrap(current, entry, self)
        setattr(owner, name, wrapper)
        self._patches.append(_Patch(owner, name, current, wrapper))

    def remove(self) -> None:
        """Restore every entry point this handle wrapped (one another patch wrapped again is
        left to it: the guard's wrapper inside it only passes calls on from now on)."""
        global _CURRENT
        with _PATCH_LOCK:
            if not self.active:
                return
            self.active = False
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self._finder)
            for patch in reversed(self._patches):
                if _holds(patch):
                    setattr(patch.owner, patch.name, patch.original)
            self._patches.clear()
            if _CURRENT is self:
                _CURRENT = None


def _attribute(owner: object, name: str) -> object:
    """The attribute as set on `owner` (a class's own, never one it inherits)."""
    if isinstance(owner, type):
        return vars(owner).get(name)
    return getattr(owner, name, None)


def _holds(patch: _Patch) -> bool:
    return _attribute(patch.owner, patch.name) is patch.wrapper


def _owner_name(owner: object) -> str:
    if isinstance(owner, types.ModuleType):
        return owner.__name__
    return f"{getattr(owner, '__module__', '?')}.{getattr(owner, '__qualname__', '?')}"


class _Finder(importlib.abc.MetaPathFinder):
    """Patches a listed module right after it is executed, whoever imports it. It finds no
    module itself: the other finders do, and their loader is wrapped for that one import."""

    def __init__(self, handle: GuardHandle) -> None:
        self.handle = handle
        self.modules = frozenset(entry.module for entry in spec.GUARDED)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.modules or not self.handle.active:
            return None
        for finder in sys.meta_path:
            if finder is self or isinstance(finder, _Finder):
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            found: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if found is not None:
                break
        else:
            return None
        loader = found.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return found
        found.loader = _PatchingLoader(loader, self.handle)
        return found


class _PatchingLoader(importlib.abc.Loader):
    """The real loader, and the guard's patch once the module's code has run."""

    def __init__(self, loader: Any, handle: GuardHandle) -> None:
        self._loader = loader
        self._handle = handle

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        created: types.ModuleType | None = self._loader.create_module(spec)
        return created

    def exec_module(self, module: types.ModuleType) -> None:
        # the module and its spec keep the real loader: nothing after this import sees ours
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        self._handle.patch_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


_CURRENT: GuardHandle | None = None
_PATCH_LOCK = threading.RLock()


def active_guard() -> GuardHandle | None:
    """The guard in force, if any."""
    with _PATCH_LOCK:
        return _CURRENT if _CURRENT is not None and _CURRENT.active else None


def guard() -> GuardHandle:
    """Guard Phoenix's experiment entry points (see the module's doc); idempotent: while a
    guard is active, it is returned as it is. It stays until `.remove()`, whatever blocks of
    `guarded()` begin and end meanwhile."""
    with _PATCH_LOCK:
        handle = _install()
        handle.standing = True
        return handle


def _install() -> GuardHandle:
    global _CURRENT
    with _PATCH_LOCK:
        if _CURRENT is not None and _CURRENT.active:
            return _CURRENT
        handle = GuardHandle()
        _CURRENT = handle
        sys.meta_path.insert(0, handle._finder)
        for name in sorted({entry.module for entry in spec.GUARDED}):
            module = sys.modules.get(name)
            if module is not None:
                handle.patch_module(module)
        return handle


@contextlib.contextmanager
def guarded() -> Iterator[GuardHandle]:
    """The guard for a block. Blocks that overlap (in threads, in asyncio tasks) share one
    guard, removed when the last of them ends; a guard set with `guard()` stays after them."""
    with _PATCH_LOCK:
        handle = _install()
        handle.blocks += 1
    try:
        yield handle
    finally:
        with _PATCH_LOCK:
            handle.blocks -= 1
            if handle.blocks == 0 and not handle.standing:
                handle.remove()
