"""Write `phx_tasklint/core/evals_metrics.py` from the installed arize-phoenix-evals.

The linter cannot import `phoenix.evals` (it may not be installed where the linter runs, and
importing it is slow), yet a prebuilt metric's fields are stated only by the package: its input
schema is a pydantic model built in code. So this script measures each prebuilt metric of
`phoenix.evals.metrics` on the live package and writes what it found as a data module:
how a user imports it, whether it is a ready evaluator or a class to instantiate, its input
schema's fields, whether it runs only through `async_evaluate`, and its constructor's keywords.

Usage: python bench/evals_metrics.py [--check]  (--check: exit 1 when the committed module
differs from what the installed package gives; tests/test_evals_metrics.py does the same).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import pkgutil
import sys
import textwrap
import types
import typing
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DISTRIBUTION = "arize-phoenix-evals"
METRICS_MODULE = "phoenix.evals.metrics"
TARGET = Path(__file__).resolve().parent.parent / "phx_tasklint" / "core" / "evals_metrics.py"


@dataclass(frozen=True)
class Field:
    name: str
    required: bool
    type: str


@dataclass(frozen=True)
class Measured:
    name: str
    qualified_names: tuple[str, ...]
    ready: bool
    kind: str
    fields: tuple[Field, ...]
    async_only: bool
    constructor: tuple[str, ...]
    constructor_required: tuple[str, ...]
    constructor_var_keyword: bool
    constructor_reserved: tuple[str, ...]
    deprecated: str | None


# ------------------------------------------------------------------------------------ types


def spell(annotation: Any) -> str:
    """An annotation as Python 3.10 spells it (`List[Union[str, int]]` -> `list[str | int]`),
    so that every adapter can read it back as a type expression."""
    if annotation is Any:
        return "Any"
    if annotation is type(None) or annotation is None:
        return "None"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(spell(a) for a in args)
    if origin is typing.Literal:
        return "Literal[" + ", ".join(repr(a) for a in args) + "]"
    if origin is not None:
        base = getattr(origin, "__name__", None) or str(origin)
        if not args:
            return str(base)
        return f"{base}[" + ", ".join("..." if a is Ellipsis else spell(a) for a in args) + "]"
    if isinstance(annotation, type):
        if annotation.__module__ == "builtins":
            return annotation.__qualname__
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return "Any"  # a string or a form this script does not know: unknown to the judge


# ------------------------------------------------------------------------------------ objects


def _raises_not_implemented(function: Callable[..., Any]) -> bool:
    """Is `function`'s body (after a docstring) a lone `raise NotImplementedError(...)`?"""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return False
    body = ast.parse(source).body[0]
    if not isinstance(body, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    statements = [
        s for s in body.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        return False
    raised = statements[0].exc
    if isinstance(raised, ast.Call):
        raised = raised.func
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def async_only(evaluator: object) -> bool:
    """Does the evaluator work only through `async_evaluate`? Its sync core `_evaluate` is then
    a stub that raises NotImplementedError, as for `create_evaluator` on an `async def`, and the
    sync client fails every example with it."""
    core = getattr(type(evaluator), "_evaluate", None)
    return (
        core is None
        or getattr(core, "__isabstractmethod__", False)
        or (_raises_not_implemented(core))
    )


def schema_fields(evaluator: object) -> tuple[Field, ...]:
    schema = getattr(evaluator, "input_schema", None)
    if schema is None:
        return ()
    return tuple(
        Field(name, info.is_required(), "Any" if _validated(info) else spell(info.annotation))
        for name, info in schema.model_fields.items()
    )


def _validated(info: Any) -> bool:
    """Whether a validator in the field's metadata decides what it accepts (as the ones
    phoenix.evals puts on template variables, which coerce any value to a string): then the
    annotation does not, and the field is spelled `Any`."""
    return any(type(m).__name__.endswith("Validator") for m in info.metadata or ())


def _stub_arguments(cls: type) -> dict[str, object]:
    """Constructor arguments that let a class build its input schema without a model or a
    network: the schema never depends on them (checked by `_schema_depends_on`)."""
    out: dict[str, object] = {}
    for name, p in inspect.signature(cls).parameters.items():
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            out[name] = "x" if name == "pattern" else object()
    return out


def _reserved_keywords(cls: type, stub: dict[str, object]) -> tuple[str, ...]:
    """Keywords a class's `**kwargs` accepts in its signature but that it passes to its base
    itself: handing one raises `TypeError: got multiple values` (`CorrectnessEvaluator(llm=...,
    name="x")`). Found by trying each keyword of the base's constructor."""
    if not any(p.kind is p.VAR_KEYWORD for p in inspect.signature(cls).parameters.values()):
        return ()
    base_keywords: set[str] = set()
    for base in cls.__mro__[1:]:
        init = base.__dict__.get("__init__")
        if init is not None:
            base_keywords.update(
                n
                for n, p in inspect.signature(init).parameters.items()
                if n != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
            )
    reserved = []
    for keyword in sorted(base_keywords - stub.keys()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cls(**stub, **{keyword: None})
        except TypeError as error:
            if "multiple values" in str(error):
                reserved.append(keyword)
        except Exception:  # a check of the value: the keyword itself was accepted
            pass
    return tuple(reserved)


def _import_paths(obj: object) -> Iterator[str]:
    """Every `module.name` under phoenix.evals.metrics that holds `obj` (the package's own
    re-export and the submodule that defines it)."""
    package = importlib.import_module(METRICS_MODULE)
    modules = [package] + [
        importlib.import_module(f"{METRICS_MODULE}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]
    for module in modules:
        for name, value in vars(module).items():
            if value is obj and not name.startswith("_"):
                yield f"{module.__name__}.{name}"


def measure(exported: str) -> Measured:
    package = importlib.import_module(METRICS_MODULE)
    obj = getattr(package, exported)
    qualified = tuple(sorted(set(_import_paths(obj)), key=lambda q: (q.count("."), q)))
    if inspect.isclass(obj):
        signature = inspect.signature(obj)
        params = signature.parameters.values()
        stub = _stub_arguments(obj)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            instance = obj(**stub)
        deprecated = next(
            (str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)), None
        )
        constructor = tuple(
            p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )
        required = tuple(stub)
        var_keyword = any(p.kind is p.VAR_KEYWORD for p in params)
        reserved = _reserved_keywords(obj, stub)
    else:
        instance = obj
        constructor, required, var_keyword, reserved = (), (), False, ()
        deprecated = None
    return Measured(
        name=instance.name,
        qualified_names=qualified,
        ready=not inspect.isclass(obj),
        kind=str(instance.kind),
        fields=schema_fields(instance),
        async_only=async_only(instance),
        constructor=constructor,
        constructor_required=required,
        constructor_var_keyword=var_keyword,
        constructor_reserved=reserved,
        deprecated=deprecated,
    )


def measure_all() -> tuple[Measured, ...]:
    package = importlib.import_module(METRICS_MODULE)
    exported = getattr(package, "__all__", None) or [
        n for n in vars(package) if not n.startswith("_")
    ]
    return tuple(measure(name) for name in sorted(exported))


# ------------------------------------------------------------------------------------ writing

HEADER = '''\
"""Phoenix's prebuilt metrics (`phoenix.evals.metrics`): how each is imported and the fields
its input schema asks for.

Generated by bench/evals_metrics.py from arize-phoenix-evals {version}; do not edit by hand.
tests/test_evals_metrics.py regenerates it from the installed package and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EVALS_VERSION = "{version}"


@dataclass(frozen=True)
class MetricField:
    """A field of a metric's input schema: what the evaluator resolves from the values it is
    handed (by name, or through its input mapping)."""

    name: str
    required: bool
    type: str  # the annotation as Python spells it: "str", "list[str | int]", "Any"


@dataclass(frozen=True, kw_only=True)
class Metric:
    """A prebuilt metric as a user meets it."""

    name: str  # the evaluator's `name`: what Phoenix records its scores under
    qualified_names: tuple[str, ...]  # every import path that reaches it
    ready: bool  # an evaluator to hand over as it is; False: a class to instantiate
    kind: Literal["code", "llm"]
    fields: tuple[MetricField, ...]
    async_only: bool  # only `async_evaluate` works: the sync client fails every example
    constructor: tuple[str, ...]  # the class's named constructor parameters
    constructor_required: tuple[str, ...]
    constructor_var_keyword: bool  # takes `**kwargs` (passed on to the LLM call)
    # keywords `**kwargs` lets through but the class already passes to its base: TypeError
    constructor_reserved: tuple[str, ...]
    deprecated: str | None  # the DeprecationWarning its constructor gives


METRICS: tuple[Metric, ...] = (
'''

FOOTER = """\
)

METRICS_BY_QUALIFIED_NAME: dict[str, Metric] = {
    name: metric for metric in METRICS for name in metric.qualified_names
}
"""


def _q(value: object) -> str:
    """A literal as ruff's formatter writes it (double quotes), so that formatting the generated
    module never changes it."""
    if isinstance(value, str):
        assert '"' not in value and "\\" not in value, value
        return f'"{value}"'
    return repr(value)


def _tuple(items: tuple[str, ...]) -> str:
    if not items:
        return "()"
    return "(" + ", ".join(_q(i) for i in items) + ("," if len(items) == 1 else "") + ")"


def _text(keyword: str, value: str | None) -> list[str]:
    """`keyword="..."`, a long text split into implicitly joined lines as ruff leaves them."""
    if value is None:
        return [f"        {keyword}=None,"]
    if len(f'        {keyword}="{value}",') <= 100:
        return [f"        {keyword}={_q(value)},"]
    chunks: list[str] = []
    for word in value.split(" "):
        if chunks and len(chunks[-1]) + len(word) + 1 <= 100 - 15:
            chunks[-1] += " " + word
        else:
            chunks.append(word)
    # every chunk but the last keeps the space that followed it
    chunks = [c + " " for c in chunks[:-1]] + chunks[-1:]
    return [f"        {keyword}=(", *(f"            {_q(c)}" for c in chunks), "        ),"]


def _items(keyword: str, items: list[str]) -> list[str]:
    """`keyword=(...)` as ruff's formatter lays it out: a one-item tuple on one line when it
    fits (its comma is not a "magic" one), else one item a line."""
    if len(items) == 1 and len(f"        {keyword}=({items[0]},),") <= 100:
        return [f"        {keyword}=({items[0]},),"]
    if not items:
        return [f"        {keyword}=(),"]
    return [f"        {keyword}=(", *(f"            {i}," for i in items), "        ),"]


def _entry(m: Measured) -> str:
    lines = ["    Metric("]
    lines.append(f"        name={_q(m.name)},")
    lines.extend(_items("qualified_names", [_q(q) for q in m.qualified_names]))
    lines.append(f"        ready={m.ready!r},")
    lines.append(f"        kind={_q(m.kind)},")
    lines.extend(
        _items(
            "fields",
            [f"MetricField({_q(f.name)}, {f.required!r}, {_q(f.type)})" for f in m.fields],
        )
    )
    lines.append(f"        async_only={m.async_only!r},")
    lines.append(f"        constructor={_tuple(m.constructor)},")
    lines.append(f"        constructor_required={_tuple(m.constructor_required)},")
    lines.append(f"        constructor_var_keyword={m.constructor_var_keyword!r},")
    lines.append(f"        constructor_reserved={_tuple(m.constructor_reserved)},")
    lines.extend(_text("deprecated", m.deprecated))
    lines.append("    ),")
    return "\n".join(lines) + "\n"


def installed_version() -> str:
    return importlib.metadata.version(DISTRIBUTION)


def render() -> str:
    """The data module's text for the installed package."""
    body = "".join(_entry(m) for m in measure_all())
    return HEADER.format(version=installed_version()) + body + FOOTER


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        same = TARGET.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{TARGET} differs from the installed package")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} from {DISTRIBUTION} {installed_version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
