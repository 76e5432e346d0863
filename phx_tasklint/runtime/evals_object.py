"""A live phoenix.evals evaluator, read into the neutral `EvalsSignature`.

The client does not inspect these objects' signatures: it hands them every binding keyword
through `.evaluate(kwargs)` / `.async_evaluate(kwargs)`, and the object resolves its fields from
its pydantic input schema and its bound input mapping. So that is what is read here: the schema
(or, for a `create_evaluator` function, the function's own parameters, whose kinds the schema
drops), the mapping, and whether only `async_evaluate` works. phoenix.evals is never imported
here: an object whose class comes from it means the package is loaded already.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any

from phx_tasklint.core import spec
from phx_tasklint.core.model import (
    EvalsField,
    EvalsSignature,
    EvalsSource,
    MappingEntry,
    Param,
    Signature,
    TypeExpr,
)

ReadSignature = Callable[[object], Signature]
ReadAnnotation = Callable[[object], TypeExpr]


def _evaluator_class() -> type | None:
    module_name, _, class_name = spec.EVALS_EVALUATOR_CLASS.rpartition(".")
    module = sys.modules.get(module_name)
    found = getattr(module, class_name, None) if module is not None else None
    return found if isinstance(found, type) else None


def is_evals_evaluator(obj: object) -> bool:
    """Whether the client treats `obj` as a phoenix.evals evaluator (it is an instance of
    phoenix.evals' `Evaluator`, user subclasses included)."""
    cls = _evaluator_class()
    return cls is not None and isinstance(obj, cls)


def is_bare_evals_decorator(obj: object) -> bool:
    """What `@phoenix.evals.create_evaluator` without parentheses leaves in a def's place: the
    decorator's inner `deco(fn)`."""
    module, qualname = spec.EVALS_BARE_DECORATOR
    return (
        inspect.isfunction(obj)
        and getattr(obj, "__module__", None) == module
        and getattr(obj, "__qualname__", None) == qualname
    )


def read_evals(
    obj: object, read_signature: ReadSignature, read_annotation: ReadAnnotation
) -> EvalsSignature:
    """The neutral model of a phoenix.evals evaluator. `read_signature` / `read_annotation`
    are the binder's translations of a callable and of an annotation."""
    name = _safe_getattr(obj, spec.EVALS_NAME_ARGUMENT[0])
    fields, source, is_async, has_schema = _fields(obj, read_signature, read_annotation)
    mapping = _mapping(obj, read_signature)
    if has_schema is False:
        # no schema: phoenix.evals requires the mapping's keys, and validates nothing
        fields = tuple(EvalsField(e.field) for e in mapping or ())
    return EvalsSignature(
        fields=fields,
        mapping=mapping,
        mapping_complete=True,
        is_async=is_async,
        source=source,
        name=name if isinstance(name, str) else None,
        has_schema=has_schema,
    )


def _safe_getattr(obj: object, attribute: str) -> Any:
    try:
        return getattr(obj, attribute, None)
    except Exception:  # a property of the user's raised: not known
        return None


def _fields(
    obj: object, read_signature: ReadSignature, read_annotation: ReadAnnotation
) -> tuple[tuple[EvalsField, ...] | None, EvalsSource, bool | None, bool | None]:
    """(fields, where they come from, async, whether there is an input schema: None when a
    user's class resolves its fields its own way)."""
    function = _safe_getattr(obj, spec.EVALS_FUNCTION_ATTRIBUTE)
    made_by_decorator = type(obj).__qualname__.startswith(spec.EVALS_FUNCTION_CLASS_PREFIX)
    if made_by_decorator and callable(function):
        try:
            signature = read_signature(function)
        except Exception:
            return None, "function", None, True
        fields = tuple(
            EvalsField(
                p.name,
                required=not p.has_default,
                annotation=p.annotation,
                kind=p.kind,
            )
            for p in signature.params
        )
        # a def of phoenix.evals itself is a prebuilt metric: its annotations are Phoenix's,
        # not the user's to change (judged as a schema, as the linter and mypy judge it)
        module = _safe_getattr(function, "__module__")
        prebuilt = isinstance(module, str) and module.startswith(spec.EVALS_MODULE + ".")
        return fields, "schema" if prebuilt else "function", signature.is_async, True
    source: EvalsSource = (
        "template" if _safe_getattr(obj, spec.EVALS_TEMPLATE_ATTRIBUTE) is not None else "schema"
    )
    if _resolves_its_own_way(type(obj)):
        return None, source, None, None
    schema = _safe_getattr(obj, spec.EVALS_SCHEMA_ATTRIBUTE)
    if schema is None:
        return None, source, False, False  # the caller reads the mapping's keys
    model_fields = getattr(schema, "model_fields", None)
    if not isinstance(model_fields, Mapping):
        return None, source, False, True  # a schema this reader does not know: not reported
    fields = tuple(_schema_field(n, f, read_annotation) for n, f in model_fields.items())
    return fields, source, False, True


def _resolves_its_own_way(cls: type) -> bool:
    """Whether a class of the user's (not phoenix.evals') overrides how fields are resolved."""
    for klass in cls.__mro__:
        module = getattr(klass, "__module__", "") or ""
        if module == spec.EVALS_MODULE or module.startswith(spec.EVALS_MODULE + "."):
            return False  # phoenix.evals' own classes on: the base resolution
        if any(m in vars(klass) for m in spec.EVALS_RESOLVING_METHODS):
            return True
    return False


def _schema_field(name: str, info: Any, read_annotation: ReadAnnotation) -> EvalsField:
    try:
        required = bool(info.is_required())
    except Exception:
        required = True
    # A validator in the field's metadata (phoenix.evals coerces template variables to str
    # with one) decides what is accepted: the annotation alone no longer says it.
    metadata = getattr(info, "metadata", None) or ()
    coerced = any(type(m).__name__.endswith("Validator") for m in metadata)
    raw = getattr(info, "annotation", None)
    annotation = None if coerced or raw is None else read_annotation(raw)
    return EvalsField(name, required=required, annotation=annotation)


def _mapping(obj: object, read_signature: ReadSignature) -> tuple[MappingEntry, ...] | None:
    mapping = _safe_getattr(obj, spec.EVALS_MAPPING_ATTRIBUTE)
    if not isinstance(mapping, Mapping):
        return None
    entries = []
    for key, extractor in mapping.items():
        field = str(key)
        if isinstance(extractor, str):
            entries.append(MappingEntry(field, path=extractor))
        elif callable(extractor):
            entries.append(
                MappingEntry(field, lambda_params=_function_params(extractor, read_signature))
            )
        else:
            entries.append(MappingEntry(field))
    return tuple(entries)


def _function_params(function: object, read_signature: ReadSignature) -> tuple[Param, ...] | None:
    try:
        inspect.signature(function)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None  # phoenix.evals then calls it with the whole dict: nothing to judge
    try:
        return read_signature(function).params
    except Exception:
        return None


def bare_decorator_function(obj: object) -> str:
    """The name of the def a bare `@create_evaluator` swallowed (it is the decorator's
    `name`), for the message's fix."""
    code = getattr(obj, "__code__", None)
    closure = getattr(obj, "__closure__", None) or ()
    names = getattr(code, "co_freevars", ())
    for variable, cell in zip(names, closure, strict=False):
        if variable == spec.EVALS_NAME_ARGUMENT[0]:  # the decorator's closure keeps `name`
            try:
                return str(getattr(cell.cell_contents, "__name__", "f"))
            except ValueError:  # an empty cell
                break
    return "f"


def first_score(scores: Any) -> Any:
    """The client records the first score an evals evaluator returns."""
    if isinstance(scores, list | tuple):
        return scores[0]
    return scores
