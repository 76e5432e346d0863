"""`phx-tasklint explain`: import a user's callable and show how Phoenix will bind each parameter.

The binding lines are read off the callable's signature (`binder.signature_of`) and the binding
names in `spec`; the findings are `binder.check_callable`'s. Nothing here decides whether a
signature is right: a line only says what Phoenix passes, and carries the codes of the findings
that name its parameter.

`load_callable` is shared with `phx-tasklint run`: a target is `MODULE:NAME`, where MODULE is a
dotted module importable from the current directory (`pkg.experiment`, as `python -m` would find
it) or a path to a Python file (`path/to/experiment.py`, the `.py` optional), and NAME an
attribute of it (`task`, or `Grader.score` for a nested one).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import os
import re
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phx_tasklint.core import evals_judge, spec
from phx_tasklint.core.model import Context, Diagnostic, EvalsSignature, Kind, Param, Role
from phx_tasklint.runtime import client_evaluators

__all__ = [
    "Binding",
    "Explanation",
    "LoadError",
    "Loaded",
    "explain",
    "load_callable",
    "load_target",
    "render",
    "unbound_method_note",
    "unwrap_phoenix_evaluator",
]


_TYPING_PREFIX = re.compile(r"\btyping(?:_extensions)?\.")


class LoadError(Exception):
    """The target cannot be imported or found; the message is one line for the terminal."""


# --------------------------------------------------------------------------------------------
# loading


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_path(module: str) -> bool:
    return module.endswith(".py") or "/" in module or os.sep in module


def _import_path(module: str) -> types.ModuleType:
    path = Path(module)
    if path.suffix != ".py":
        path = path.with_name(path.name + ".py")
    if not path.is_file():
        raise LoadError(f"cannot import {module!r}: no such file {str(path)!r}")
    path = path.resolve()
    # As `python path/to/file.py` does: the file's directory first on sys.path, so that the
    # file's own sibling imports work.
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = path.stem
    existing = sys.modules.get(name)
    if existing is not None:
        if getattr(existing, "__file__", None) and Path(existing.__file__ or "").resolve() == path:
            return existing
        name = f"_phx_tasklint_target_{abs(hash(str(path)))}"
    spec_ = importlib.util.spec_from_file_location(name, path)
    if spec_ is None or spec_.loader is None:
        raise LoadError(f"cannot import {module!r}: not a Python file")
    loaded = importlib.util.module_from_spec(spec_)
    sys.modules[name] = loaded  # dataclasses, pickle and typing look the module up by name
    try:
        spec_.loader.exec_module(loaded)
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise LoadError(f"importing {str(path)!r} failed: {_one_line(exc)}") from exc
    return loaded


def _import_dotted(module: str) -> types.ModuleType:
    # `python -m` puts the current directory first on sys.path.
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(exc.name + ".")):
            raise LoadError(
                f"cannot import {module!r}: no module named {exc.name!r} in the current "
                "directory or on sys.path (a file path such as path/to/file.py:NAME works too)"
            ) from exc
        raise LoadError(f"importing {module!r} failed: {_one_line(exc)}") from exc
    except (Exception, SystemExit) as exc:
        raise LoadError(f"importing {module!r} failed: {_one_line(exc)}") from exc


@dataclass(frozen=True)
class Loaded:
    """What a `MODULE:NAME` target names, and the object its last part was read from (the
    module, or the class of `Class.method`)."""

    target: str
    obj: Any
    owner: Any
    attribute: str  # NAME's last part


def load_target(target: str) -> Loaded:
    """Import `MODULE:NAME` and find what NAME names (raises LoadError)."""
    module, sep, attribute = target.rpartition(":")
    if not sep or not module or not attribute or (len(module) == 1 and module.isalpha()):
        raise LoadError(
            f"{target!r} is not MODULE:NAME (e.g. `experiment:task` or `path/to/file.py:task`)"
        )
    loaded = _import_path(module) if _is_path(module) else _import_dotted(module)
    obj: Any = loaded
    owner: Any = loaded
    for part in attribute.split("."):
        owner = obj
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise LoadError(f"{module!r} has no attribute {attribute!r}") from None
    return Loaded(target, obj, owner, attribute.rsplit(".", 1)[-1])


def load_callable(target: str) -> Any:
    """Import `MODULE:NAME` and return the object NAME names (raises LoadError)."""
    return load_target(target).obj


def unbound_method_note(loaded: Loaded) -> str | None:
    """For `Class.method` naming a function defined in a class body (not a static or class
    method): what Phoenix makes of it, and what to hand it instead.

    Read from the class, such a method is the plain function, `self` included: Phoenix binds
    `self` like any other parameter, and so does the judgement printed with this note.
    """
    owner = loaded.owner
    if not isinstance(owner, type):
        return None
    try:
        defined = inspect.getattr_static(owner, loaded.attribute)
    except AttributeError:
        return None
    if not isinstance(defined, types.FunctionType):
        return None  # staticmethod, classmethod, a callable object: bound as Python binds them
    params = list(inspect.signature(defined).parameters)
    if not params:
        return None  # nothing for an instance to fill; Phoenix rejects it either way (PHX001)
    first = f"`{params[0]}`"
    cls = owner.__qualname__
    try:
        arguments = "..." if _needs_arguments(owner) else ""
    except (TypeError, ValueError):
        arguments = "..."
    return (
        f"note: `{cls}.{loaded.attribute}` read from the class is the plain function, {first} "
        "included: that is what Phoenix would be handed, and what is judged above. Hand "
        f"Phoenix a bound method instead, `{cls}({arguments}).{loaded.attribute}`, so that "
        f"Python fills {first}"
    )


def _needs_arguments(cls: type) -> bool:
    """Whether `cls()` needs arguments (the suggestion then shows `Class(...)`)."""
    return any(
        p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        for p in inspect.signature(cls).parameters.values()
    )


def unwrap_phoenix_evaluator(obj: Any) -> tuple[Any, str | None]:
    """A `create_evaluator(...)`-made evaluator -> (the function it wraps, the name Phoenix
    records); any other object -> (itself, None). The default scorer judges the function's
    result (a custom `scorer=` is not applied). Raises LoadError for an evaluator class with its
    own `evaluate`, which Phoenix calls as-is and phx-tasklint does not run."""
    if not client_evaluators.is_client_evaluator(obj):
        return obj, None
    wrapped = client_evaluators.wrapped_function(obj)
    name = getattr(obj, "name", None)
    if wrapped is None:
        raise LoadError(
            f"{type(obj).__qualname__} is an evaluator class with its own `evaluate`: Phoenix "
            "calls it as-is; phx-tasklint checks and runs evaluator functions"
        )
    return wrapped, name if isinstance(name, str) else None


# --------------------------------------------------------------------------------------------
# explaining


@dataclass(frozen=True)
class Binding:
    """One parameter and what Phoenix passes to it."""

    param: str
    display: str  # `input`, `*args`, `**kwargs`
    source: str  # the text after the arrow
    codes: tuple[str, ...]  # findings that name this parameter


@dataclass(frozen=True)
class Explanation:
    role: Role
    header: str
    bindings: tuple[Binding, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


def _value(name: str) -> str:
    """What binding name `name` holds: `example.output — the example's expected output`."""
    described = spec.VALUE_DESCRIPTION[name]
    if name in spec.VALUE_SOURCE:
        return f"example.{spec.VALUE_SOURCE[name]} — {described}"
    return described


def _short(name: str) -> str:
    if name in spec.VALUE_SOURCE:
        return f"example.{spec.VALUE_SOURCE[name]}"
    return f"<{spec.VALUE_DESCRIPTION[name]}>"


def _display(param: Param) -> str:
    if param.kind is Kind.VAR_POSITIONAL:
        return f"*{param.name}"
    if param.kind is Kind.VAR_KEYWORD:
        return f"**{param.name}"
    return param.name


def _default(sig: inspect.Signature, name: str) -> str:
    text = repr(sig.parameters[name].default)
    return text if len(text) <= 40 else text[:37] + "..."


def _single(param: Param, role: Role, valid: Sequence[str]) -> str:
    # One parameter: Phoenix calls `sig.bind(value)`, one positional argument.
    name = param.name if param.name in valid else spec.SINGLE_PARAMETER_FALLBACK[role]
    why = "" if param.name in valid else f"; a lone parameter receives `{name}` whatever its name"
    if param.kind in (Kind.KEYWORD_ONLY, Kind.VAR_KEYWORD):
        return f"nothing — Phoenix passes {_short(name)} positionally"
    if param.kind is Kind.VAR_POSITIONAL:
        return f"({_short(name)},) — {spec.VALUE_DESCRIPTION[name]}{why}"
    return _value(name) + why


def _multi(
    param: Param, sig: inspect.Signature, params: Sequence[Param], valid: Sequence[str]
) -> str:
    # Two or more: every binding name the signature declares is passed by keyword.
    if param.kind is Kind.VAR_POSITIONAL:
        return "() — never filled: Phoenix passes values by keyword"
    if param.kind is Kind.VAR_KEYWORD:
        named = {p.name for p in params if p.kind not in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD)}
        landing = [p.name for p in params if p.name in valid and p.name not in named]
        if not landing:
            return "{} — never filled"
        return "{" + ", ".join(f"{n!r}: {_short(n)}" for n in landing) + "}"
    if param.name in valid:
        return _value(param.name)
    if param.has_default:
        return f"default {_default(sig, param.name)} — not a binding name, never filled"
    return "nothing — not a binding name and no default"


def _location(obj: object) -> str | None:
    target: Any = obj
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, types.MethodType):
        target = target.__func__
    if not isinstance(target, (types.FunctionType, type)):
        target = type(target)
    with contextlib.suppress(Exception):
        target = inspect.unwrap(target)
    try:
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return None
    if file is None:
        return None
    try:
        shown = os.path.relpath(file)
    except ValueError:  # another drive on Windows
        shown = file
    if shown.startswith(".." + os.sep):
        shown = file
    return f"{shown}:{line}"


def _name(obj: object) -> str:
    target = obj.func if isinstance(obj, functools.partial) else obj
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    return name if isinstance(name, str) else type(obj).__name__


def explain(
    obj: object,
    role: Role = "task",
    *,
    profile: str = spec.DEFAULT_PROFILE,
    sync_client: bool | None = None,
) -> Explanation:
    """How Phoenix binds `obj`'s parameters, and the findings on it.

    Raises TypeError when `obj` is not callable and `binder.BindingError` when its signature
    cannot be read.
    """
    from phx_tasklint.runtime import binder

    diagnostics = tuple(binder.check_callable(obj, role, sync_client=sync_client, profile=profile))
    evals = binder.evals_signature(obj) if role == "evaluator" else None
    if evals is not None:
        return _explain_evals(obj, evals, diagnostics, profile)
    sig, signature = binder.signature_of(obj)
    valid = spec.PROFILES[profile].names(role)
    params = signature.params
    bindings = []
    for param in params:
        if len(params) == 1:
            source = _single(param, role, valid)
        else:
            source = _multi(param, sig, params, valid)
        codes = tuple(
            dict.fromkeys(
                d.code for d in diagnostics if d.param == param.name or param.name in d.params
            )
        )
        bindings.append(Binding(param.name, _display(param), source, codes))
    prefix = "async " if signature.is_async else ""
    # `typing.Any` reads as `Any` in the source the user wrote
    header = f"{prefix}{role} {_name(obj)}{_TYPING_PREFIX.sub('', str(sig))}"
    location = _location(obj)
    if location is not None:
        header += f"  [{location}]"
    return Explanation(role, header, tuple(bindings), diagnostics)


def _explain_evals(
    obj: object, evals: EvalsSignature, diagnostics: tuple[Diagnostic, ...], profile: str
) -> Explanation:
    """A phoenix.evals evaluator: the client hands it every keyword, and each field is looked
    up by name or through the input mapping."""
    bindings = []
    for field, source in evals_judge.field_sources(evals, Context(profile=profile)):
        codes = tuple(
            dict.fromkeys(
                d.code for d in diagnostics if d.param == field.name or field.name in d.params
            )
        )
        shown = _display(Param(field.name, field.kind))
        bindings.append(Binding(field.name, shown, source, codes))
    prefix = "async " if evals.is_async else ""
    name = evals.name or _name(obj)
    fields = "unknown fields" if evals.fields is None else f"{evals.source} fields"
    header = f"{prefix}evaluator {name} (phoenix.evals, {fields}; every keyword by name)"
    return Explanation("evaluator", header, tuple(bindings), diagnostics)


def render(explanation: Explanation) -> str:
    lines = [explanation.header]
    if not explanation.bindings:
        lines.append("  (no parameters)")
    width = max((len(b.display) for b in explanation.bindings), default=0)
    for binding in explanation.bindings:
        codes = f"  [{', '.join(binding.codes)}]" if binding.codes else ""
        lines.append(f"  {binding.display:<{width}}  ← {binding.source}{codes}")
    if not explanation.diagnostics:
        lines.append("no findings")
    for d in explanation.diagnostics:
        lines.append(f"{d.code} {d.message} [{d.name}]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# the command


def command(target: str, role: Role, profile: str, client: str | None) -> int:
    """`phx-tasklint explain`: print the explanation; the exit status (0, 1 or 2).

    `profile` is the Phoenix release line, already resolved by the caller (`--phoenix-version`,
    else the project's configuration): reading configuration is the command line's job.
    """
    import click

    from phx_tasklint.runtime.binder import BindingError

    try:
        loaded = load_target(target)
        obj, _ = unwrap_phoenix_evaluator(loaded.obj)
    except LoadError as exc:
        click.echo(f"phx-tasklint: error: {exc}", err=True)
        return 2
    note = unbound_method_note(loaded)
    sync_client = None if client is None else client == "sync"
    try:
        explanation = explain(obj, role, profile=profile, sync_client=sync_client)
    except TypeError as exc:
        click.echo(f"phx-tasklint: error: {target}: {exc}", err=True)
        return 2
    except BindingError as exc:
        click.echo(f"{role} {target}: {exc}")
        return 1
    click.echo(render(explanation), nl=False)
    if note is not None:
        click.echo(note)
    return 1 if explanation.has_errors else 0
