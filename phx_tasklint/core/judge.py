"""The judge: Phoenix's validation and binding simulated on the neutral model.

`check()` is pure and is the only place rule logic lives. It mirrors, in order, what Phoenix does
with a callable: validate the signature (the name check), bind the example's values
(`Signature.bind` for one parameter, `bind_partial(**values)` for more), call it on the right
runner, and post-process the result (JSON normalisation for tasks, the default scorer for
evaluators).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import replace

from phx_tasklint.core import spec
from phx_tasklint.core.model import (
    CallSite,
    Context,
    Diagnostic,
    Edit,
    Fix,
    Kind,
    Param,
    ReturnSource,
    Role,
    Signature,
    TypeExpr,
    TypeKind,
    Wrapper,
)

# --------------------------------------------------------------------------------------------
# Type vocabularies (qualified names as every adapter spells them)

_NONE = frozenset({"builtins.None", "None", "types.NoneType", "builtins.NoneType"})
_ANY = frozenset({"typing.Any", "typing_extensions.Any", "builtins.object"})
_JSON_SCALARS = frozenset({"builtins.str", "builtins.int", "builtins.float", "builtins.bool"})
_SEQUENCES = frozenset(
    {
        "builtins.list",
        "typing.List",
        "typing.Sequence",
        "collections.abc.Sequence",
        "typing.MutableSequence",
        "collections.abc.MutableSequence",
    }
)
_TUPLES = frozenset({"builtins.tuple", "typing.Tuple"})
_MAPPINGS = frozenset(
    {
        "builtins.dict",
        "typing.Dict",
        "typing.Mapping",
        "collections.abc.Mapping",
        "typing.MutableMapping",
        "collections.abc.MutableMapping",
        "collections.OrderedDict",
        "typing.OrderedDict",
        "collections.defaultdict",
        "typing.DefaultDict",
    }
)
_READONLY_MAPPINGS = frozenset(
    {"typing.Mapping", "collections.abc.Mapping"} | set(spec.EXAMPLE_PROXY_TYPES)
)
_AWAITABLES = frozenset(
    {
        "typing.Awaitable",
        "collections.abc.Awaitable",
        "typing.Coroutine",
        "collections.abc.Coroutine",
    }
)
_NOT_JSON = {
    "builtins.set": "a set is stored as its repr string",
    "typing.Set": "a set is stored as its repr string",
    "typing.AbstractSet": "a set is stored as its repr string",
    "collections.abc.Set": "a set is stored as its repr string",
    "collections.abc.MutableSet": "a set is stored as its repr string",
    "builtins.frozenset": "a frozenset is stored as its repr string",
    "typing.FrozenSet": "a frozenset is stored as its repr string",
    "builtins.bytes": "bytes are stored as their repr string",
    "builtins.bytearray": "a bytearray is stored as its repr string",
    "builtins.complex": "a complex number is stored as a string",
    "datetime.datetime": "a datetime is stored as an ISO string",
    "datetime.date": "a date is stored as an ISO string",
    "datetime.time": "a time is stored as an ISO string",
    "datetime.timedelta": "a timedelta is stored as a string",
    "decimal.Decimal": "a Decimal is stored as a string",
    "fractions.Fraction": "a Fraction is stored as a string",
    "uuid.UUID": "a UUID is stored as a string",
    "pathlib.Path": "a Path is stored as a string",
    "pathlib.PurePath": "a Path is stored as a string",
    "pathlib.PosixPath": "a Path is stored as a string",
    "enum.Enum": "an Enum member is stored as its internal __dict__",
    "typing.Iterator": "an iterator is stored as its repr string",
    "collections.abc.Iterator": "an iterator is stored as its repr string",
    "typing.Generator": "a generator is stored as its repr string",
    "collections.abc.Generator": "a generator is stored as its repr string",
    "typing.AsyncIterator": "an async iterator is stored as its repr string",
    "typing.AsyncGenerator": "an async generator is stored as its repr string",
    "collections.abc.AsyncGenerator": "an async generator is stored as its repr string",
    "typing.Callable": "a callable is stored as its repr string",
    "collections.abc.Callable": "a callable is stored as its repr string",
    "numpy.ndarray": "an array is stored as its repr string",
    "numpy.int64": "a numpy integer is stored as a string",
    "numpy.int32": "a numpy integer is stored as a string",
}
# Values the legacy scorer takes through `float()` and the client scorer rejects.
_FLOAT_LIKE = frozenset({"decimal.Decimal", "numpy.int64", "numpy.int32", "numpy.bool_"})
_NUMBERS = frozenset({"builtins.int", "builtins.float", "builtins.bool"})
_KNOWN_NAMES = (
    _NONE | _JSON_SCALARS | _SEQUENCES | _TUPLES | _MAPPINGS | _AWAITABLES | set(_NOT_JSON)
)

# --------------------------------------------------------------------------------------------
# Small helpers


def quote_names(names: Iterable[str]) -> str:
    items = [f"`{n}`" for n in names]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def rule_diagnostic(
    code: str,
    role: Role,
    *,
    param: str | None = None,
    params: Sequence[str] = (),
    fix: Fix | None = None,
    **fields: object,
) -> Diagnostic:
    rule = spec.RULES_BY_CODE[code]
    return Diagnostic(
        code=code,
        name=rule.name,
        severity=rule.severity,
        message=rule.format(role=role, role_title=role.capitalize(), param=param, **fields),
        role=role,
        param=param,
        fix=fix,
        params=tuple(params) or ((param,) if param else ()),
    )


def suggest_name(name: str, role: Role, valid: Sequence[str]) -> str | None:
    """The binding name a near miss most likely means, or None."""
    if name in valid:
        return None
    alias = spec.NEAR_MISSES[role].get(name) or spec.NEAR_MISSES[role].get(name.lower())
    if alias in valid:
        return alias
    if name.lower() in valid:
        return name.lower()
    close = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=0.8)
    return close[0] if close else None


def _other_role_hint(name: str, role: Role, valid: Sequence[str]) -> str | None:
    """Why a binding name that this role/profile does not bind looks like one."""
    if role == "task" and name in spec.EVALUATOR_NAMES:
        return f"`{name}` is an evaluator name; a task gets the expected output as `expected`"
    if name in spec.EVALUATOR_NAMES and name not in valid:
        return f"`{name}` is bound only by newer arize-phoenix-client releases"
    return None


# --------------------------------------------------------------------------------------------
# Type judges shared by every front end


def unwrap_awaitable(t: TypeExpr | None) -> TypeExpr | None:
    """`Awaitable[X]` / `Coroutine[..., X]` -> X; anything else -> None."""
    if t is None or t.kind is not TypeKind.NAME or t.name not in _AWAITABLES:
        return None
    return t.args[-1] if t.args else TypeExpr(TypeKind.UNKNOWN)


def json_problem(t: TypeExpr) -> tuple[TypeExpr, str] | None:
    """The first part of `t` that is not JSON and why; None when JSON or unknown."""
    if t.kind is TypeKind.UNKNOWN:
        return None
    if t.kind is TypeKind.LITERAL:
        for value in t.values:
            if value is not None and not isinstance(value, (str, int, float, bool)):
                return t, f"{value!r} is not a JSON value"
        return None
    if t.kind in (TypeKind.UNION, TypeKind.TYPEDDICT):
        for arg in t.args:
            problem = json_problem(arg)
            if problem:
                return problem
        return None
    if t.kind is TypeKind.CLASS:
        return t, f"`{t.display()}` objects are stored as their `__dict__`"
    name = t.name
    if name in _NONE or name in _ANY or name in _JSON_SCALARS:
        return None
    if name in _SEQUENCES or name in _TUPLES:
        for arg in t.args:
            problem = json_problem(arg)
            if problem:
                return problem
        return None
    if name in _MAPPINGS:
        if t.args:
            key = t.args[0]
            if key.kind is TypeKind.NAME and key.name not in _ANY and key.name != "builtins.str":
                return t, f"`{key.display()}` keys are converted with str()"
            for arg in t.args[1:]:
                problem = json_problem(arg)
                if problem:
                    return problem
        return None
    reason = _NOT_JSON.get(name)
    return (t, reason) if reason else None


def _tuple_problem(t: TypeExpr, scorer: str) -> str | None:
    if scorer == "legacy":
        if t.variadic or len(t.args) != 2:
            return "the legacy scorer accepts only a 2-tuple (score, explanation)"
        return None
    if t.variadic:
        return "a tuple of any length fails when it has fewer than two items"
    if len(t.args) < 2:
        return "a tuple with fewer than two items raises ValueError"
    if len(t.args) > 3:
        return f"items after the third are dropped ({len(t.args)} declared)"
    first = t.args[0]
    if first.kind is TypeKind.NAME and first.name not in _NUMBERS | _NONE | _ANY:
        return f"the first item, `{first.display()}`, goes through float()"
    if first.kind is TypeKind.LITERAL and not all(
        isinstance(v, (int, float)) or v is None for v in first.values
    ):
        return f"the first item, `{first.display()}`, goes through float()"
    return None


_ScorerProblem = tuple[str, TypeExpr, str]  # (rule code, offending part, why)


def scorer_problem(t: TypeExpr, scorer: str) -> _ScorerProblem | None:
    """(rule code, offending part, why) when the default scorer cannot take `t`."""
    if t.kind is TypeKind.UNKNOWN:
        return None
    if t.kind is TypeKind.UNION:
        # Each member is a value some examples may produce: Phoenix fails only those, so a
        # union is a problem when every member is (`Optional[float]` is not: its floats score)
        problems = [scorer_problem(arg, scorer) for arg in t.args]
        return problems[0] if problems and all(problems) else None
    if t.kind is TypeKind.LITERAL:
        return ("PHX202", t, "None is not a result") if any(v is None for v in t.values) else None
    if t.kind is TypeKind.TYPEDDICT:
        return _scored_dict(t, scorer)
    if t.kind is TypeKind.CLASS:
        return _scored_class(t, scorer)
    return _scored_name(t, scorer)


def _scored_dict(t: TypeExpr, scorer: str) -> _ScorerProblem | None:
    return ("PHX202", t, "the legacy scorer rejects dicts") if scorer == "legacy" else None


def _scored_class(t: TypeExpr, scorer: str) -> _ScorerProblem | None:
    known = t.fields is not None and scorer == "client"
    if known and not set(spec.EVALUATION_SCORE_FIELDS) <= set(t.fields or ()):
        return "PHX202", t, f"a `{t.display()}` is not an evaluation score"
    return None


def _scored_name(t: TypeExpr, scorer: str) -> _ScorerProblem | None:
    name = t.name
    if name in _NONE:
        return "PHX202", t, "None is not a result"
    if name in _ANY or name in _JSON_SCALARS or name in spec.EVALUATION_RESULT_TYPES:
        return None
    if name in _TUPLES:
        return _scored_tuple(t, scorer)
    if name in _MAPPINGS:
        return _scored_dict(t, scorer)
    if name in _SEQUENCES:
        return _scored_list(t, scorer)
    if name in _AWAITABLES:
        return "PHX202", t, "a coroutine: Phoenix calls the evaluator without awaiting it"
    if name in _FLOAT_LIKE and scorer == "legacy":
        return None
    if name in _NOT_JSON or name in _FLOAT_LIKE:
        return "PHX202", t, f"`{t.display()}` is not a result type"
    return None


def _scored_tuple(t: TypeExpr, scorer: str) -> _ScorerProblem | None:
    if not t.args and not t.variadic:
        return None
    reason = _tuple_problem(t, scorer)
    return ("PHX203", t, reason) if reason else None


def _scored_list(t: TypeExpr, scorer: str) -> _ScorerProblem | None:
    if scorer == "legacy" or not t.args:
        return None  # legacy reads a 2-list as (score, explanation)
    item = t.args[0]
    if _may_be_evaluation(item):
        return None
    return "PHX202", t, f"a list of `{item.display()}` is neither scores nor evaluation dicts"


def _may_be_evaluation(item: TypeExpr) -> bool:
    """Whether a list item can be a score or an evaluation dict, or cannot be told apart."""
    if item.kind in (TypeKind.TYPEDDICT, TypeKind.UNKNOWN):
        return True
    if item.kind is TypeKind.UNION:  # which member each item is, is not known
        return any(_may_be_evaluation(member) for member in item.args)
    if item.kind is TypeKind.CLASS:
        return item.fields is None
    if item.kind is TypeKind.NAME:
        return (
            item.name in _MAPPINGS
            or item.name in _ANY
            or item.name in spec.EVALUATION_RESULT_TYPES
            or item.name not in _KNOWN_NAMES
        )
    return False


# What each binding name holds, as a predicate over annotations (None: cannot tell).
_SUGGESTED_ANNOTATION = {
    "object": "dict[str, Any]",
    "example": "Mapping[str, Any]",
    "output": "Any",
    "trace_id": "str | None",
}


def _value_kind(name: str) -> str:
    return name if name in ("example", "output", "trace_id") else "object"


def can_hold(t: TypeExpr, value_kind: str) -> bool | None:
    """Whether an annotation admits the value Phoenix binds (see spec.VALUE_DESCRIPTION)."""
    if t.kind is TypeKind.UNKNOWN:
        return None
    if t.kind is TypeKind.UNION:
        verdicts = [can_hold(arg, value_kind) for arg in t.args]
        if any(v is True for v in verdicts):
            return True
        return False if all(v is False for v in verdicts) else None
    if t.kind is TypeKind.NAME and t.name in _ANY:
        return True
    if value_kind == "object":
        if t.kind is TypeKind.TYPEDDICT:
            return True
        if t.kind in (TypeKind.CLASS, TypeKind.LITERAL):
            return False
        if t.name in _MAPPINGS:
            return True
        return False if t.name in _KNOWN_NAMES else None
    if value_kind == "example":
        if t.kind is TypeKind.NAME and t.name in _READONLY_MAPPINGS:
            return True
        if t.kind is TypeKind.CLASS:
            return None
        if t.kind in (TypeKind.TYPEDDICT, TypeKind.LITERAL):
            return False
        return False if t.name in _KNOWN_NAMES else None
    if value_kind == "trace_id":
        if t.kind is TypeKind.NAME and (t.name == "builtins.str" or t.name in _NONE):
            return True
        if t.kind is TypeKind.LITERAL:
            return None
        if t.kind in (TypeKind.CLASS, TypeKind.TYPEDDICT):
            return False
        return False if t.name in _KNOWN_NAMES else None
    # output: any JSON value, tuples already turned into lists
    if t.kind is TypeKind.NAME and t.name in _TUPLES:
        return False
    if t.kind is TypeKind.NAME and t.name not in _KNOWN_NAMES:
        return None
    return json_problem(t) is None


def validated_can_hold(t: TypeExpr, keyword: str) -> bool | None:
    """Whether pydantic's lax validation (phoenix.evals checks its fields with it) accepts what
    the client passes as `keyword` for annotation `t` (None: cannot tell, or depends on the
    value, as the task's output does). A dict is accepted by any mapping type, and may be by
    a TypedDict, a model or a dataclass (by its keys); never by a scalar, a list or a literal."""
    if keyword == "output" or t.kind is TypeKind.UNKNOWN:
        return None
    if t.kind is TypeKind.UNION:
        verdicts = [validated_can_hold(arg, keyword) for arg in t.args]
        if any(v is True for v in verdicts):
            return True
        return False if all(v is False for v in verdicts) else None
    if keyword == "trace_id":  # a str in a real run (None only where nothing is traced)
        if t.kind is TypeKind.LITERAL:
            return None
        if t.kind in (TypeKind.TYPEDDICT, TypeKind.CLASS):
            return False
        if t.name in _ANY or t.name == "builtins.str":
            return True
        return False if t.name in _KNOWN_NAMES else None
    if t.kind in (TypeKind.TYPEDDICT, TypeKind.CLASS):
        return None
    if t.kind is TypeKind.LITERAL:
        return False
    if t.name in _ANY or t.name in _MAPPINGS or t.name in _READONLY_MAPPINGS:
        return True
    return False if t.name in _KNOWN_NAMES else None


# --------------------------------------------------------------------------------------------
# The judge


def check(signature: Signature, role: Role, context: Context | None = None) -> list[Diagnostic]:
    """Every finding Phoenix's handling of this callable would produce, in rule order."""
    ctx = context or Context()
    profile = spec.PROFILES[ctx.profile]
    valid = profile.names(role)
    out: list[Diagnostic] = []
    params = signature.params
    if not params:
        suggest = spec.SINGLE_PARAMETER_FALLBACK[role]
        out.append(rule_diagnostic("PHX001", role, suggest=suggest, when=validated_when(role, ctx)))
    elif len(params) == 1 and not ctx.evaluator_method:
        out.extend(_check_single(params[0], role))
    else:
        out.extend(_check_multi(params, role, valid, ctx))
    out.extend(_check_async(signature, role, ctx))
    out.extend(_check_returns(signature, role, ctx, profile.scorer))
    out.extend(_check_annotations(params, role, valid, ctx))
    if ctx.wrapper is not None:
        out = [_through_wrapper(d, ctx.wrapper, signature) for d in out]
    order = {p.name: i for i, p in enumerate(params)}
    out.sort(key=lambda d: (d.code, order.get(d.param or "", -1)))
    return out


def validated_when(role: Role, ctx: Context) -> str:
    """When Phoenix checks a callable's signature, and so what a rejection costs (RULES.md
    §2.3): a task before the first example, an evaluator as its runner says."""
    if ctx.evaluator_method or ctx.runner == "class":
        return "when the class is defined"
    if role == "task":
        return "before the first example"
    legacy = ctx.profile == "legacy"
    if ctx.runner == "run" and not legacy:
        return (
            "only after every task has run and (outside a dry run) the runs were uploaded, so "
            "the whole run's task cost is paid first"
        )
    if ctx.runner == "resume":
        return (
            "only after the experiment's incomplete runs have run again (and never when none "
            "is incomplete)"
        )
    if ctx.runner == "evaluate":
        return "before the first evaluation"
    if ctx.runner == "decorator":
        return "when `create_evaluator(...)` is applied to it, as its module is imported"
    if ctx.runner == "pytest":
        return "after each test has run, recording a failed evaluation and a warning"
    if legacy:  # the legacy runners set their evaluators up before running anything
        return "before the first example"
    return (
        "when it sets up the evaluators (the client's `run_experiment` does so only after "
        "every task has run)"
    )


_WRAPS_ADVICE = (
    "decorate the wrapper with `@functools.wraps(fn)`, so that Phoenix sees the parameters of "
    "`{}` itself"
)


def _wrapper_params(signature: Signature) -> str:
    shown = []
    for p in signature.params:
        star = "*" if p.kind is Kind.VAR_POSITIONAL else "**" if p.kind is Kind.VAR_KEYWORD else ""
        shown.append(f"{star}{p.name}")
    return "(" + ", ".join(shown) + ")"


def _hidden_by(wrapper: Wrapper, signature: Signature) -> str:
    """A decorator's wrapper, in words: what Phoenix sees instead of the def."""
    where = f" at {wrapper.where}" if wrapper.where else ""
    return (
        f"`{wrapper.text}`{where} replaces `{wrapper.function}` with a wrapper taking "
        f"`{_wrapper_params(signature)}` and no `functools.wraps`, so Phoenix sees only the "
        "wrapper"
    )


def _left_by(wrapper: Wrapper, count: int) -> str:
    """A partial, in words: what it leaves to Phoenix."""
    where = f" at {wrapper.where}" if wrapper.where else ""
    return f"`{wrapper.text}`{where} leaves {'them' if count > 1 else 'it'} unset, and "


def _through_wrapper(d: Diagnostic, wrapper: Wrapper, signature: Signature) -> Diagnostic:
    """A finding about a signature a wrapper made: the messages that do not name the wrapper
    themselves say it, and a decorator's wrapper offers no fix (its edits would not be to the
    def the finding is placed on)."""
    if wrapper.kind == "decorator":
        if d.code in ("PHX005", "PHX102"):  # these name it in their advice
            return replace(d, fix=None)
        note = f" ({_hidden_by(wrapper, signature)}; {_WRAPS_ADVICE.format(wrapper.function)})"
        return replace(d, message=d.message + note, fix=None)
    if d.code == "PHX002" or not (d.param or d.params):
        return d
    where = f" at {wrapper.where}" if wrapper.where else ""
    return replace(d, message=f"{d.message} (the signature `{wrapper.text}`{where} leaves)")


def _check_single(param: Param, role: Role) -> list[Diagnostic]:
    # One parameter: `sig.bind(value)`, one positional argument, whatever the name.
    if param.kind is Kind.KEYWORD_ONLY:
        kind = "keyword-only"
    elif param.kind is Kind.VAR_KEYWORD:
        kind = "`**kwargs`"
    else:
        return []
    plain = param.name if param.kind is Kind.KEYWORD_ONLY else spec.SINGLE_PARAMETER_FALLBACK[role]
    return [rule_diagnostic("PHX003", role, param=param.name, kind=kind, suggest=plain)]


def _check_multi(
    params: tuple[Param, ...], role: Role, valid: Sequence[str], ctx: Context
) -> list[Diagnostic]:
    # Two or more parameters: Phoenix validates the names, then binds by keyword.
    return [
        *_check_validation(params, role, valid, ctx),
        *_check_binding(params, role, valid, ctx),
        *_check_never_filled(params, role, valid),
        *_check_var_keyword(params, role, valid, ctx),
    ]


def _check_validation(
    params: tuple[Param, ...], role: Role, valid: Sequence[str], ctx: Context
) -> list[Diagnostic]:
    """Validation: every name Phoenix does not bind needs a default or must be **kwargs."""
    offenders = [
        p
        for p in params
        if p.name not in valid and p.kind is not Kind.VAR_KEYWORD and not p.has_default
    ]
    out: list[Diagnostic] = []
    required = [p for p in offenders if p.kind is not Kind.VAR_POSITIONAL]
    if required:
        out.append(_unbindable(required, role, valid, params, ctx))
    article = "an" if role == "evaluator" else "a"
    for p in offenders:
        if p.kind is Kind.VAR_POSITIONAL:
            reason = (
                f"Phoenix rejects `*{p.name}` in {article} {role} with two or more parameters: "
                f"ValueError {validated_when(role, ctx)}"
            )
            out.append(_var_positional(p, role, reason, ctx, params))
    return out


def _check_binding(
    params: tuple[Param, ...], role: Role, valid: Sequence[str], ctx: Context
) -> list[Diagnostic]:
    """Binding: bind_partial(**{name: value for each binding name the signature declares})."""
    out: list[Diagnostic] = []
    if not any(p.kind is Kind.VAR_KEYWORD for p in params):
        for p in params:
            if p.name in valid and p.kind is Kind.VAR_POSITIONAL:
                reason = (
                    f"Phoenix passes `{p.name}` by keyword and a `*{p.name}` cannot take a "
                    "keyword, so every example fails with TypeError"
                )
                out.append(_var_positional(p, role, reason, ctx, params))
    positional_bound = [
        p.name for p in params if p.kind is Kind.POSITIONAL_ONLY and p.name in valid
    ]
    if positional_bound:
        plural = len(positional_bound) > 1
        out.append(
            rule_diagnostic(
                "PHX004",
                role,
                param=positional_bound[0],
                params=positional_bound,
                s="s" if plural else "",
                names=quote_names(positional_bound),
                is_are="are" if plural else "is",
            )
        )
    return out


def _check_never_filled(
    params: tuple[Param, ...], role: Role, valid: Sequence[str]
) -> list[Diagnostic]:
    """Parameters that validation lets through but binding never fills."""
    names = {p.name for p in params}
    found = (
        _never_filled(p, role, valid, names)
        for p in params
        if p.has_default
        and p.kind not in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD)
        and p.name not in valid
    )
    return [d for d in found if d is not None]


def _never_filled(p: Param, role: Role, valid: Sequence[str], names: set[str]) -> Diagnostic | None:
    # Reported only when the name looks like a binding name: any other defaulted parameter is
    # the user's own.
    target = suggest_name(p.name, role, valid)
    other = _other_role_hint(p.name, role, valid)
    if target is None and other is None:
        return None
    hint = other or f"did you mean `{target}`?"
    fix = None
    if target is not None and target not in names:
        rule = spec.RULES_BY_CODE["PHX101"]
        fix = Fix(
            (rule.fix_title or "").format(param=p.name, suggest=target),
            True,
            (Edit("rename", p.name, target),),
        )
    return rule_diagnostic("PHX101", role, param=p.name, hint=hint, fix=fix)


def _check_var_keyword(
    params: tuple[Param, ...], role: Role, valid: Sequence[str], ctx: Context
) -> list[Diagnostic]:
    """**kwargs receives only a value whose binding name it (or a *args) itself carries."""
    var_keywords = [p for p in params if p.kind is Kind.VAR_KEYWORD]
    if ctx.evaluator_method:
        return [] if var_keywords else [_evaluate_without_kwargs(role, valid)]
    landing = [
        q for q in params if q.name in valid and q.kind in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD)
    ]
    if landing:
        return []
    advice = f"declare the values you need ({quote_names(valid)}) as parameters"
    if ctx.wrapper is not None and ctx.wrapper.kind == "decorator":
        signature = Signature(params)
        advice = (
            f"{_hidden_by(ctx.wrapper, signature)}: {_WRAPS_ADVICE.format(ctx.wrapper.function)}"
        )
    return [rule_diagnostic("PHX102", role, param=p.name, advice=advice) for p in var_keywords]


def _evaluate_without_kwargs(role: Role, valid: Sequence[str]) -> Diagnostic:
    # Phoenix requires **kwargs on BaseEvaluator.evaluate (ValueError at class creation).
    return Diagnostic(
        "PHX002",
        spec.RULES_BY_CODE["PHX002"].name,
        "error",
        f"`evaluate` must accept `**kwargs`: Phoenix passes every value ({quote_names(valid)}) "
        "by keyword and rejects the class with ValueError when it is defined; add "
        "`**kwargs`",
        role,
        None,
    )


def _unbindable(
    required: list[Param],
    role: Role,
    valid: Sequence[str],
    params: tuple[Param, ...],
    ctx: Context,
) -> Diagnostic:
    ordered = sorted(p.name for p in required)
    advice: list[str] = []
    edits: list[Edit] = []
    defaulted: list[Param] = []
    by_name = {p.name: p for p in required}
    taken = {p.name for p in params}
    for name in ordered:
        target = suggest_name(name, role, valid)
        other = _other_role_hint(name, role, valid)
        if target is not None and target not in taken:
            taken.add(target)
            advice.append(f"rename `{name}` to `{target}`")
            edits.append(Edit("rename", name, target))
        elif other is not None:
            # a default would only trade this error for a never-bound parameter (PHX101)
            advice.append(f"{other}: remove `{name}`")
        else:
            defaulted.append(by_name[name])
    guess = None
    if defaulted and not _receives_after(params, edits, valid):
        # Defaults would turn Phoenix's ValueError into a callable that sees only None.
        advice.append(_nothing_received(defaulted, role))
        guess = _lone_rename(defaulted, required, role, taken)
    else:
        for p in defaulted:
            advice.append(f"give `{p.name}` a default or read it from `input`")
            edits.append(Edit("add-default", p.name, admit_none=_needs_none(p.annotation)))
    signature_order = [p.name for p in required]
    cause = ""
    wrapper = ctx.wrapper
    if wrapper is not None and wrapper.kind == "partial":
        cause = _left_by(wrapper, len(ordered))
        them = "them" if len(ordered) > 1 else "it"
        advice.insert(0, f"pass {them} in the partial, or")
    return rule_diagnostic(
        "PHX002",
        role,
        param=signature_order[0],
        params=signature_order,
        fix=_unbindable_fix(edits, guess),
        s="s" if len(ordered) > 1 else "",
        names=quote_names(ordered),
        valid=quote_names(valid),
        advice="; ".join(advice)
        if cause == ""
        else f"{advice[0]} {'; '.join(advice[1:])}".rstrip(),
        cause=cause,
        when=validated_when(role, ctx),
    )


def _receives_after(params: tuple[Param, ...], renames: list[Edit], valid: Sequence[str]) -> bool:
    """Whether, once `renames` are made, some parameter has a binding name Phoenix passes a
    value to (a positional-only one counts: binding it fails loudly, PHX004)."""
    renamed = {e.param: e.new_name for e in renames}
    return any(
        renamed.get(p.name, p.name) in valid
        for p in params
        if p.kind not in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD)
    )


def _nothing_received(defaulted: list[Param], role: Role) -> str:
    fallback = spec.SINGLE_PARAMETER_FALLBACK[role]
    if len(defaulted) == 1:
        return (
            f"rename `{defaulted[0].name}` to `{fallback}` (no parameter would receive a value, "
            f"so a default would leave `{defaulted[0].name}` None on every example)"
        )
    return (
        f"rename one of them to `{fallback}` and read the others from it (no parameter would "
        "receive a value, so defaults would leave them None on every example)"
    )


def _lone_rename(
    defaulted: list[Param], required: list[Param], role: Role, taken: set[str]
) -> Edit | None:
    """The rename to the role's main value, when the lone unbound parameter can take it."""
    fallback = spec.SINGLE_PARAMETER_FALLBACK[role]
    if len(required) != 1 or len(defaulted) != 1 or fallback in taken:
        return None
    param = defaulted[0]
    if param.kind not in (Kind.POSITIONAL_OR_KEYWORD, Kind.KEYWORD_ONLY):
        return None  # a positional-only `input` fails to bind (PHX004)
    return Edit("rename", param.name, fallback)


def _needs_none(annotation: TypeExpr | None) -> bool:
    """Whether `= None` needs the annotation widened: it is there and may not admit None."""
    return annotation is not None and admits_none(annotation) is not True


def admits_none(t: TypeExpr) -> bool | None:
    """Whether an annotation admits None (None: cannot tell)."""
    if t.kind is TypeKind.UNKNOWN:
        return None
    if t.kind is TypeKind.UNION:
        verdicts = [admits_none(arg) for arg in t.args]
        if any(v is True for v in verdicts):
            return True
        return False if all(v is False for v in verdicts) else None
    if t.kind is TypeKind.LITERAL:
        return any(v is None for v in t.values)
    if t.kind is TypeKind.NAME:
        return t.name in _NONE or t.name in _ANY
    return False  # a class, a TypedDict


def _unbindable_fix(edits: list[Edit], guess: Edit | None) -> Fix | None:
    if guess is not None:
        value = spec.VALUE_DESCRIPTION[guess.new_name or ""]
        title = f"Rename `{guess.param}` to `{guess.new_name}`: it then receives {value}"
        return Fix(title, False, (guess,))
    if not edits:
        return None
    defaults = [e for e in edits if e.action == "add-default"]
    if not defaults:  # renames to the binding name a typo means
        return Fix(spec.RULES_BY_CODE["PHX002"].fix_title or "", True, tuple(edits))
    parts = [f"rename `{e.param}` to `{e.new_name}`" for e in edits if e.action == "rename"]
    one = len(defaults) == 1
    widened = any(e.admit_none for e in defaults)
    parts.append(
        f"add `= None` to {quote_names(e.param for e in defaults)}"
        + (f" (widening {'its' if one else 'their'} type to admit None)" if widened else "")
        + f": the body then receives None for {'it' if one else 'them'}"
    )
    text = "; ".join(parts)
    return Fix(text[0].upper() + text[1:], False, tuple(edits))


def _var_positional(
    p: Param, role: Role, reason: str, ctx: Context, params: tuple[Param, ...]
) -> Diagnostic:
    wrapper = ctx.wrapper
    if wrapper is not None and wrapper.kind == "decorator":
        # the def has no `*args` to remove: its decorator's wrapper has
        reason = f"{_hidden_by(wrapper, Signature(params))}; {reason}"
        return rule_diagnostic(
            "PHX005",
            role,
            param=p.name,
            reason=reason,
            advice=_WRAPS_ADVICE.format(wrapper.function),
        )
    title = (spec.RULES_BY_CODE["PHX005"].fix_title or "").format(param=p.name)
    fix = Fix(title, True, (Edit("remove", p.name),))
    return rule_diagnostic(
        "PHX005", role, param=p.name, fix=fix, reason=reason, advice=f"remove `*{p.name}`"
    )


def _effective_async(signature: Signature) -> bool:
    return signature.is_async or unwrap_awaitable(signature.returns) is not None


def _check_async(signature: Signature, role: Role, ctx: Context) -> list[Diagnostic]:
    if ctx.sync_runner is not True:
        return []
    # The sync task runner checks the *result* for an awaitable; the sync evaluator runner asks
    # inspect.iscoroutinefunction (a sync callable returning a coroutine is a PHX202 instead).
    if role == "task" and _effective_async(signature):
        consequence = "Phoenix raises RuntimeError and never runs the coroutine"
    elif role == "evaluator" and signature.is_async:
        consequence = "Phoenix raises NotImplementedError"
    else:
        return []
    return [rule_diagnostic("PHX006", role, consequence=consequence)]


def _check_returns(signature: Signature, role: Role, ctx: Context, scorer: str) -> list[Diagnostic]:
    returns = signature.returns
    if returns is None:
        return []
    source = signature.returns_inferred
    if source is None:
        return _judge_returns(returns, signature.is_async, role, ctx, scorer, "")
    origin = _inferred_origin(source)
    if returns.kind is TypeKind.UNION:
        # Read from several `return`s (or falling off the end), each member is one way out of
        # the def, and which ones real examples take is unknown: reported only when every way
        # out draws the same finding, so that no guess about the paths taken is needed.
        verdicts = {
            tuple(d.code for d in _judge_returns(member, False, role, ctx, scorer, ""))
            for member in returns.args
        }
        if len(verdicts) != 1:
            return []
    # an inferred type is the value the body produces: for `async def`, the awaited one
    return _judge_returns(returns, False, role, ctx, scorer, origin)


def _inferred_origin(source: ReturnSource) -> str:
    """Where the message says the type came from."""
    lines = [str(n) for n in source.lines]
    if not lines:
        return f" (it returns nothing: falls off the end at line {source.falls_off_at})"
    where = f"line {lines[0]}" if len(lines) == 1 else f"lines {_and(lines)}"
    if source.falls_off_at is not None:
        where += f" and from falling off the end at line {source.falls_off_at}"
    return f" (type inferred from `return` at {where})"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _judge_returns(
    returns: TypeExpr, is_async: bool, role: Role, ctx: Context, scorer: str, origin: str
) -> list[Diagnostic]:
    if role == "task":
        result = unwrap_awaitable(returns) or returns
        problem = json_problem(result)
        if problem is None:
            return []
        part, why = problem
        detail = why if part is result else f"in it, `{part.display()}`: {why}"
        return [
            rule_diagnostic("PHX201", role, type=result.display(), origin=origin, detail=detail)
        ]
    if ctx.evaluator_method:
        return []  # Phoenix records an Evaluator object's result as-is, with no scorer
    scored = returns
    if is_async:
        scored = unwrap_awaitable(returns) or returns
    found = scorer_problem(scored, scorer)
    if found is None:
        return []
    code, part, why = found
    if code == "PHX203":
        shape = (
            "(score, explanation)"
            if scorer == "legacy"
            else ("(score, label) or (score, label, explanation)")
        )
        return [
            rule_diagnostic(code, role, type=part.display(), origin=origin, shape=shape, detail=why)
        ]
    detail = why if part is scored else f"`{part.display()}`: {why}"
    return [rule_diagnostic(code, role, type=scored.display(), origin=origin, detail=detail)]


def _check_annotations(
    params: tuple[Param, ...], role: Role, valid: Sequence[str], ctx: Context
) -> list[Diagnostic]:
    bound: list[tuple[Param, str]] = []
    if len(params) == 1 and not ctx.evaluator_method:
        p = params[0]
        if p.kind not in (Kind.KEYWORD_ONLY, Kind.VAR_KEYWORD, Kind.VAR_POSITIONAL):
            received = p.name if p.name in valid else spec.SINGLE_PARAMETER_FALLBACK[role]
            bound.append((p, received))
    else:
        bound = [
            (p, p.name)
            for p in params
            if p.name in valid and p.kind not in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD)
        ]
    out: list[Diagnostic] = []
    for p, received in bound:
        if p.annotation is None:
            continue
        kind = _value_kind(received)
        if can_hold(p.annotation, kind) is False:
            shown = p.annotation.display()
            out.append(
                rule_diagnostic(
                    "PHX301",
                    role,
                    param=p.name,
                    annotation=shown,
                    value=spec.VALUE_DESCRIPTION[received],
                    suggest=_SUGGESTED_ANNOTATION[kind],
                )
            )
    return out


def check_not_callable(
    value: TypeExpr, role: Role, context: Context | None = None
) -> list[Diagnostic]:
    """A value handed over that cannot be called at all (`value` is its type): Phoenix's
    `inspect.signature` raises TypeError, for a task before the first example, for evaluators
    where the runner sets them up."""
    ctx = context or Context()
    shown = value.display()
    if shown == "None":
        described = "`None`"
    else:
        article = "an" if shown[:1].lower() in "aeiou" else "a"
        described = f"{article} `{shown}`"
    when = validated_when(role, ctx)
    if shown == "None" and role == "evaluator":
        advice = "only `evaluators=None` means no evaluation, a `None` in the evaluators is not "
        advice += "skipped: remove it"
    elif shown == "str":
        advice = f"pass the {role} function itself, not its name"
    else:
        advice = f"pass a function or a callable object as the {role}"
    return [rule_diagnostic("PHX007", role, value=described, when=when, advice=advice)]


# --------------------------------------------------------------------------------------------
# Call-site judges: facts a front end saw where Phoenix's API is called


def _site(code: str, **fields: object) -> Diagnostic:
    rule = spec.RULES_BY_CODE[code]
    return Diagnostic(code, rule.name, rule.severity, rule.format(**fields))


def check_no_evaluators(callee: str, shape: str, ctx: Context) -> list[Diagnostic]:
    """A call handing an empty `shape` (list, tuple, dict) as its evaluators."""
    legacy = ctx.profile == "legacy"
    if ctx.runner is None or (ctx.runner, legacy) not in spec.EMPTY_EVALUATORS_REFUSED:
        return []
    advice = (
        "hand it at least one evaluator"
        if ctx.runner == "evaluate"
        else "pass `evaluators=None` (or leave it out) to run the tasks alone"
    )
    when = validated_when("evaluator", ctx)
    return [_site("PHX408", callee=callee, shape=shape, when=when, advice=advice)]


def check_call(site: CallSite) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if site.keyword_only and site.positional:
        args = "every argument" if site.positional > 1 else "the argument"
        out.append(_site("PHX401", callee=site.callee, args=args))
    if site.is_async_api and site.dropped:
        out.append(_site("PHX403", callee=site.callee))
    first_seen: dict[str, int] = {}
    for index, name in enumerate(site.evaluator_names):
        if name is None:
            continue
        if name in first_seen:
            pair = (first_seen[name], index)
            fixed = [i < len(site.renamable) and not site.renamable[i] for i in pair]
            advice = (
                "a dict key does not rename them: give each its own `name` where it is made"
                if all(fixed)
                else "a dict `{name: evaluator}` does it"
            )
            d = _site(
                "PHX404",
                first=f"#{pair[0] + 1}",
                second=f"#{index + 1}",
                evaluator=name,
                advice=advice,
            )
            out.append(replace(d, item=index))
        else:
            first_seen[name] = index
    return out


def check_import(
    module: str,
    names: tuple[str, ...] = (),
    *,
    evals_version: str | None = None,
    guarded: bool = False,
) -> list[Diagnostic]:
    """`import module`, or `from module import names`: a finding about one of the names
    carries its index among them as `item`. `evals_version`: the arize-phoenix-evals release
    the project runs (None: the latest). `guarded`: the import is in a `try` that catches its
    ImportError, code ready for the API to be gone: nothing to report."""
    if guarded:
        return []
    legacy = spec.LEGACY_MODULE
    if module == legacy or module.startswith(legacy + "."):
        replacement = spec.CLIENT_MODULE + module[len(legacy) :].split(".evaluators")[0]
        return [_site("PHX402", module=module, replacement=replacement)]
    removed = _removed_evals(module, evals_version)
    if removed is not None:
        return [removed]
    out: list[Diagnostic] = []
    for index, name in enumerate(names):
        removed = _removed_evals(f"{module}.{name}", evals_version)
        if removed is not None:
            out.append(replace(removed, item=index))
    return out


def _release(version: str) -> tuple[int, ...] | None:
    """The leading numbers of a release or release line: `3.9.4` -> (3, 9, 4), `2.x` -> (2,);
    None for a profile that names no number (`latest`)."""
    numbers: list[int] = []
    for part in version.split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers) or None


def _removed_evals(qualified: str, evals_version: str | None) -> Diagnostic | None:
    removed = spec.removed_evals_api(qualified)
    if removed is None:
        return None
    running = _release(evals_version) if evals_version else None
    if running is not None and running < (_release(removed.removed_in) or ()):
        return None  # the project runs a release that still has it
    return _site("PHX407", name=qualified, removed_in=removed.removed_in, advice=removed.advice)


def check_evaluator_kind(kind: str) -> list[Diagnostic]:
    if kind.upper() in spec.EVALUATOR_KINDS:
        return []
    return [_site("PHX405", kind=repr(kind))]


def check_evaluator_decorator(
    *, bare: bool, evals: bool = False, function: str = "f"
) -> list[Diagnostic]:
    """A bare `@create_evaluator`: the client's (`evals=False`) or phoenix.evals' (whose
    `name` is required, so the fix names the decorated `function`)."""
    if not bare:
        return []
    if evals:
        consequence = (
            "phoenix.evals' `create_evaluator` takes the function as its `name` and leaves its "
            "inner decorator `deco(fn)` in its place, so every evaluation fails with TypeError "
            "(the task output is not a callable object), after the tasks ran"
        )
        return [
            _site(
                "PHX406", consequence=consequence, suggest=f"@create_evaluator(name={function!r})"
            )
        ]
    consequence = "the function becomes a wrapper that fails with TypeError at evaluation time"
    return [_site("PHX406", consequence=consequence, suggest="@create_evaluator()")]
