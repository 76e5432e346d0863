"""The neutral model every front end translates into: signatures, type expressions, findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

# What a rule says lives in `diagnostics` (a run answered from the cache needs nothing else of
# the model); it is part of the model all the same.
from phx_tasklint.core.diagnostics import Diagnostic as Diagnostic
from phx_tasklint.core.diagnostics import Edit as Edit
from phx_tasklint.core.diagnostics import Fix as Fix
from phx_tasklint.core.diagnostics import Role as Role
from phx_tasklint.core.diagnostics import RunnerKind as RunnerKind
from phx_tasklint.core.diagnostics import Severity as Severity


class Kind(enum.IntEnum):
    """Python's five parameter kinds, in the order a signature must list them."""

    POSITIONAL_ONLY = 0
    POSITIONAL_OR_KEYWORD = 1
    VAR_POSITIONAL = 2
    KEYWORD_ONLY = 3
    VAR_KEYWORD = 4


class TypeKind(enum.Enum):
    NAME = "name"  # a class or generic by qualified name, with type arguments
    UNION = "union"
    LITERAL = "literal"
    TYPEDDICT = "typeddict"  # args are the value types of its keys
    CLASS = "class"  # a resolved user class that is none of the above (dataclass, model, ...)
    UNKNOWN = "unknown"  # anything an adapter cannot see: never reported


@dataclass(frozen=True)
class TypeExpr:
    """A tiny type tree: enough to decide JSON-ness and scorer compatibility."""

    kind: TypeKind
    name: str = ""
    args: tuple[TypeExpr, ...] = ()
    values: tuple[object, ...] = ()  # literal values
    # attribute names of a CLASS, when the adapter knows them (None = not known)
    fields: tuple[str, ...] | None = None
    variadic: bool = False  # tuple[X, ...]

    @staticmethod
    def named(name: str, *args: TypeExpr, variadic: bool = False) -> TypeExpr:
        return TypeExpr(TypeKind.NAME, name=name, args=tuple(args), variadic=variadic)

    @staticmethod
    def union(*members: TypeExpr) -> TypeExpr:
        flat: list[TypeExpr] = []
        for member in members:
            flat.extend(member.args if member.kind is TypeKind.UNION else (member,))
        return flat[0] if len(flat) == 1 else TypeExpr(TypeKind.UNION, args=tuple(flat))

    @staticmethod
    def literal(*values: object) -> TypeExpr:
        return TypeExpr(TypeKind.LITERAL, values=tuple(values))

    @staticmethod
    def typeddict(name: str, *value_types: TypeExpr) -> TypeExpr:
        return TypeExpr(TypeKind.TYPEDDICT, name=name, args=tuple(value_types))

    @staticmethod
    def cls(name: str, fields: tuple[str, ...] | None = None) -> TypeExpr:
        return TypeExpr(TypeKind.CLASS, name=name, fields=fields)

    def display(self) -> str:
        """Render the way a user would write it (short names)."""
        if self.kind is TypeKind.UNKNOWN:
            return "?"
        if self.kind is TypeKind.UNION:
            return " | ".join(arg.display() for arg in self.args)
        if self.kind is TypeKind.LITERAL:
            return "Literal[" + ", ".join(repr(v) for v in self.values) + "]"
        short = self.name.rsplit(".", 1)[-1]
        if short == "NoneType":
            return "None"
        if self.kind is not TypeKind.NAME or not self.args:
            return short
        inner = ", ".join(arg.display() for arg in self.args)
        return f"{short}[{inner}, ...]" if self.variadic else f"{short}[{inner}]"


UNKNOWN = TypeExpr(TypeKind.UNKNOWN)


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind = Kind.POSITIONAL_OR_KEYWORD
    has_default: bool = False
    annotation: TypeExpr | None = None


@dataclass(frozen=True)
class ReturnSource:
    """Where a return type the def does not annotate was read from: lines as the user sees them
    (in a notebook, inside the def's cell)."""

    lines: tuple[int, ...] = ()  # the `return` statements read, in source order
    falls_off_at: int | None = None  # the def's last line, when its end can be reached


@dataclass(frozen=True)
class Signature:
    """A callable as Phoenix's `inspect.signature` sees it.

    `is_async` is what `inspect.iscoroutinefunction` would say; a sync callable that returns an
    awaitable keeps `is_async=False` and says so through `returns`. `returns_inferred` is set
    when `returns` was read from the body instead of an annotation (only the linter reads
    bodies): then a union is one member per way out of the def, not a declared union.
    """

    params: tuple[Param, ...]
    returns: TypeExpr | None = None
    is_async: bool = False
    returns_inferred: ReturnSource | None = None

    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


@dataclass(frozen=True)
class Wrapper:
    """What stands between the def a user wrote and the callable Phoenix inspects, so that a
    message can name it: the signature judged is then not the def's own.

    `partial`: `functools.partial(fn, ...)`, whose signature is what the partial leaves of
    `fn`'s. `decorator`: a decorator without `functools.wraps`, whose wrapper Phoenix sees in
    place of `fn`.
    """

    kind: Literal["partial", "decorator"]
    text: str  # as the user wrote it, for messages: `partial(call_llm, …)`, `@logged`
    function: str  # the wrapped def's name
    where: str = ""  # `exp.py:12`, when the front end knows where it is written


@dataclass(frozen=True)
class Context:
    """What a front end knows about where the callable is handed to Phoenix."""

    profile: str = "latest"
    # True: a sync runner (Client, sync module function); False: async; None: not known
    sync_runner: bool | None = None
    # a BaseEvaluator's evaluate(): called with every value by keyword, and no scorer applies
    evaluator_method: bool = False
    # the kind of entry point it is handed to (None: not known), for when Phoenix checks it
    runner: RunnerKind | None = None
    # what wraps the def the findings are placed on (None: Phoenix sees the def itself)
    wrapper: Wrapper | None = None
    # the arize-phoenix-evals release line a phoenix.evals evaluator is judged by
    evals_profile: str = "latest"
    # the keywords a phoenix.evals evaluator is handed when they are the hand-off's own (the
    # pytest marker's: the test's parametrized arguments, `output`, `input`, `trace_id`); None:
    # the runner's standard keywords, or for the pytest marker, not known
    evals_keywords: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CallSite:
    """What a front end sees at a call to a Phoenix experiment API."""

    callee: str
    keyword_only: bool = False
    positional: int = 0  # positional arguments given
    is_async_api: bool = False
    dropped: bool = False  # the call's result is discarded (an expression statement)
    # the name Phoenix records each evaluator under, None when unknown or unique per process
    evaluator_names: tuple[str | None, ...] = ()
    # per evaluator, False when a dict key does not rename it (its name is its own: a phoenix.evals
    # object, a `create_evaluator` one); missing entries count as True
    renamable: tuple[bool, ...] = ()


# --------------------------------------------------------------------------------------------
# phoenix.evals evaluators: objects the client hands every binding keyword by name, which then
# resolve their own fields (by name, or through an input mapping) and validate them with pydantic.
# Every front end fills the same three classes; what it cannot see stays None and is never
# reported.

EvalsSource = Literal["function", "template", "schema"]


@dataclass(frozen=True)
class EvalsField:
    """One input field of a phoenix.evals evaluator.

    `kind` is the parameter kind of a `create_evaluator` function's parameter (the input schema
    drops it, but the function is still called with `**fields`); template variables and schema
    fields are POSITIONAL_OR_KEYWORD. `annotation` is what pydantic validates the value against
    (None: not annotated / not known, which validates anything).
    """

    name: str
    required: bool = True
    annotation: TypeExpr | None = None
    kind: Kind = Kind.POSITIONAL_OR_KEYWORD


@dataclass(frozen=True)
class MappingEntry:
    """One `input_mapping` item: the field it fills and how.

    `path`: a string extractor (a top-level key or a JSON path such as `input.question`), as
    written. `lambda_params`: a callable extractor's parameters (a lambda or any function; the
    evals package binds them by name). Both None: the extractor is something the front end
    cannot see (a variable, a call), so the field counts as supplied.
    """

    field: str
    path: str | None = None
    lambda_params: tuple[Param, ...] | None = None


@dataclass(frozen=True)
class EvalsSignature:
    """A phoenix.evals evaluator as the client runner meets it.

    `fields`: its input fields (None: not known, e.g. a prebuilt metric missing from the
    schema table). `mapping`: its bound `input_mapping` (None: none bound). `mapping_complete`:
    False when the mapping may hold more keys than listed (`{**base, ...}`, a mapping the
    front end cannot read): then no field is reported as unmapped. `is_async`: whether only
    `async_evaluate` works (a `create_evaluator` on an `async def`); None when not known.
    `source`: where the fields came from, for messages. `name`: the evaluator's own name (what
    the client records it under), when known. `has_schema`: False for an evaluator class of the
    user's without an input schema, whose required fields are then its mapping's keys (and
    which, without a mapping, cannot tell them); None when not known.
    """

    fields: tuple[EvalsField, ...] | None
    mapping: tuple[MappingEntry, ...] | None = None
    mapping_complete: bool = True
    is_async: bool | None = False
    source: EvalsSource = "function"
    name: str | None = None
    has_schema: bool | None = True

    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields or ())
