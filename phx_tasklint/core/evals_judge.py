"""The judge for phoenix.evals evaluators: how they resolve their fields, simulated.

The client hands a phoenix.evals object every binding keyword in one dict (`.evaluate(kwargs)`);
the object then, per evaluation: looks each field up (a mapping entry's path or function, else
the field's own name; a required field not found raises `Path not found`), validates the fields
with pydantic, and calls its function with `**fields`. `check_evals` walks those steps on the
neutral `EvalsSignature` in the same order. Parts a front end could not see are None and never
reported. The measured table this mirrors is beside `spec.EVALS_PROFILES`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from phx_tasklint.core import judge, spec
from phx_tasklint.core.judge import quote_names as _quote
from phx_tasklint.core.model import (
    Context,
    Diagnostic,
    EvalsField,
    EvalsSignature,
    Kind,
    MappingEntry,
    Param,
)

_BIND = spec.EVALS_BIND_EVALUATORS[0].rpartition(".")[2]
_EVALUATOR, _MAPPING = spec.EVALS_BIND_ARGUMENTS
_SOURCE_WORDS = {"function": "evaluator", "template": "prompt template", "schema": "input schema"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _finding(
    code: str, *, param: str | None = None, params: Sequence[str] = (), **fields: Any
) -> Diagnostic:
    return judge.rule_diagnostic(code, "evaluator", param=param, params=params, **fields)


def evaluated_when(ctx: Context) -> str:
    """When a phoenix.evals evaluator fails: at each evaluation, which the client's
    `run_experiment` starts only after every task has run."""
    if ctx.runner == "evaluate":
        return "from the first evaluation on"
    if ctx.runner == "resume":
        return "once the experiment's incomplete runs have run again"
    if ctx.runner == "pytest":
        return "after each test has run"
    return "only after every task has run, so the whole run's task cost is paid first"


def handed_keywords(ctx: Context) -> tuple[str, ...] | None:
    """The keywords the evaluator is handed: the hand-off's own when known (the pytest marker's
    are the test's parametrized arguments beside `output`, `input` and `trace_id`), else the
    runner's standard ones; None for a pytest marker whose test's arguments were not read."""
    if ctx.evals_keywords is not None:
        return ctx.evals_keywords
    if ctx.runner == "pytest":
        return None
    return spec.PROFILES[ctx.profile].evaluator_names


def _unbound(ctx: Context) -> str:
    """What a name that is not handed over is, in the messages' words."""
    return "no keyword the test passes" if ctx.runner == "pytest" else "no binding keyword"


def path_root(path: str) -> str | None:
    """The top-level key a mapping path starts at (`input` for `input.question`,
    `$.input['q']`); None when the path is beyond a plain dotted or indexed one, so unknown."""
    text = path.strip()
    if text.startswith(spec.EVALS_PATH_ROOT):
        text = text[1:].removeprefix(".")
    match = _IDENTIFIER.match(text)
    if match is None:
        return None
    rest = text[match.end() :]
    if rest and rest[0] not in ".[":
        return None
    return match.group()


@dataclass(frozen=True)
class _Lookup:
    """What resolving one field found: `keyword`, the whole keyword it receives (its type is
    known); `found`, something found or not knowable; `missing`, nothing (the error is
    `Path not found: {path}`); `dropped`, an optional field's mapping that is never found."""

    outcome: Literal["keyword", "found", "missing", "dropped"]
    keyword: str | None = None
    path: str = ""
    root: str = ""


def _lookup(field: EvalsField, sig: EvalsSignature, keywords: Sequence[str]) -> _Lookup:
    entries = {e.field: e for e in sig.mapping or ()}
    entry = entries.get(field.name)
    if entry is None and not sig.mapping_complete:
        return _Lookup("found")  # the mapping may hold it, with any path
    if entry is None or entry.path == "":
        if field.name in keywords and (entry is not None or field.required):
            return _Lookup("keyword", field.name)
        if field.name in keywords:
            # An optional field is filled by the keyword passing through, unless a mapping path
            # starts at that keyword (phoenix.evals then holds it back): its default is used.
            if not sig.mapping_complete or field.name in _consumed(sig):
                return _Lookup("found")
            return _Lookup("keyword", field.name)
        if entry is None and not sig.mapping_complete:
            return _Lookup("found")  # the mapping may hold it
        root = path_root(field.name)
        if root != field.name and (root is None or root in keywords):
            return _Lookup("found")  # a template's `{input.question}`: looked up as a path
        return _Lookup("missing" if field.required else "found", path=field.name)
    if entry.path is None:
        return _Lookup("found")  # a function (checked on its own) or an unseen extractor
    if entry.path in keywords:
        return _Lookup("keyword", entry.path)
    root = path_root(entry.path)
    if root is None or root in keywords:
        return _Lookup("found")  # deeper paths depend on the values
    if field.required:
        return _Lookup("missing", path=entry.path, root=root)
    if field.name in keywords and field.name not in _consumed(sig):
        return _Lookup("keyword", field.name)  # dropped, but the keyword passes through
    return _Lookup("dropped", path=entry.path, root=root)


def field_sources(
    sig: EvalsSignature, context: Context | None = None
) -> list[tuple[EvalsField, str]]:
    """Each field and, in words, where phoenix.evals takes its value from (for `explain`)."""
    ctx = context or Context()
    keywords = spec.PROFILES[ctx.profile].evaluator_names
    entries = {e.field: e for e in sig.mapping or ()}
    out = []
    for field in sig.fields or ():
        found = _lookup(field, sig, keywords)
        entry = entries.get(field.name)
        if found.outcome == "keyword" and found.keyword is not None:
            text = f"`{found.keyword}` — {spec.VALUE_DESCRIPTION[found.keyword]}"
        elif found.outcome == "missing":
            text = f"nothing — `Path not found: {found.path}`"
        elif found.outcome == "dropped":
            text = f"its default — the mapping path `{found.path}` is never found"
        elif entry is not None and entry.path:
            text = f"mapping path `{entry.path}`"
        elif entry is not None and entry.lambda_params is not None:
            text = "what the mapping function returns"
        elif entry is not None:
            text = "the mapping's extractor"
        elif not field.required:
            text = "its default — not a binding keyword"
        else:
            text = "the input mapping, maybe"
        out.append((field, text))
    return out


def _consumed(sig: EvalsSignature) -> set[str]:
    """The keywords phoenix.evals does not pass through: each string mapping's first key (as
    it splits it, so `$.input` holds back `$`)."""
    out = set()
    for entry in sig.mapping or ():
        if entry.path == "":
            out.add(entry.field)
        elif entry.path is not None:
            out.add(entry.path.split(".")[0].split("[")[0])
    return out


def check_evals(sig: EvalsSignature, context: Context | None = None) -> list[Diagnostic]:
    """Every finding the client's handling of this phoenix.evals evaluator would produce."""
    ctx = context or Context()
    if ctx.evals_profile not in spec.EVALS_PROFILES:
        raise ValueError(f"unknown phoenix-evals profile {ctx.evals_profile!r}")
    # The pytest marker hands a phoenix.evals object the test's parametrized arguments by name
    # beside `input`, `output` and `trace_id`: unless the front end read them, which names
    # reach it is not known here (None), and no lookup is judged
    keywords = handed_keywords(ctx)
    when = evaluated_when(ctx)
    out: list[Diagnostic] = []
    for entry in sig.mapping or ():
        if entry.lambda_params is not None and keywords is not None:
            params = entry.lambda_params
            out.extend(_check_mapping_function(entry, params, keywords, _unbound(ctx), when))
    if sig.has_schema is False and sig.mapping is None:
        name = f" `{sig.name}`" if sig.name else ""
        out.append(_finding("PHX509", evaluator=name, when=when))
    if sig.has_schema is False and sig.fields is None and sig.mapping is not None:
        # without a schema phoenix.evals requires its mapping's keys, and validates nothing
        sig = replace(sig, fields=tuple(EvalsField(e.field) for e in sig.mapping))
    if sig.fields is not None and keywords is None:
        if sig.source == "function":
            out.extend(_check_call([(f, _Lookup("found")) for f in sig.fields], when))
    elif sig.fields is not None and keywords is not None:
        lookups = [(f, _lookup(f, sig, keywords)) for f in sig.fields]
        out.extend(_check_lookups(lookups, sig, keywords, ctx, when))
        if ctx.runner != "pytest":  # under the marker the values are the test's: types unknown
            out.extend(_check_types(lookups, sig, when))
        if sig.source == "function":
            out.extend(_check_call(lookups, when))
    if sig.is_async and ctx.sync_runner is True:
        consequence = f"phoenix.evals raises {spec.EVALS_ASYNC_ERROR}"
        out.append(_finding("PHX006", consequence=consequence))
    order = {f.name: i for i, f in enumerate(sig.fields or ())}
    out.sort(key=lambda d: (d.code, order.get(d.param or "", -1)))
    return out


def _check_lookups(
    lookups: list[tuple[EvalsField, _Lookup]],
    sig: EvalsSignature,
    keywords: Sequence[str],
    ctx: Context,
    when: str,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    unmapped: list[EvalsField] = []
    for field, found in lookups:
        if found.outcome == "missing" and found.root:
            out.append(_bad_root("PHX504", field, found, keywords, ctx, when))
        elif found.outcome == "dropped":
            out.append(_bad_root("PHX507", field, found, keywords, ctx, when))
        elif found.outcome == "missing" and field.kind in (Kind.VAR_POSITIONAL, Kind.VAR_KEYWORD):
            out.append(_variadic_missing(field, when))
        elif found.outcome == "missing":
            unmapped.append(field)
    if unmapped:
        out.append(_unresolved(unmapped, sig, keywords, ctx, when))
    return out


def _unresolved(
    fields: list[EvalsField],
    sig: EvalsSignature,
    keywords: Sequence[str],
    ctx: Context,
    when: str,
) -> Diagnostic:
    names = sorted(f.name for f in fields)
    field_names = set(sig.field_names())
    strays = [e.field for e in sig.mapping or () if e.field not in field_names]
    advice: list[str] = []
    rest: list[str] = []
    for name in names:
        close = [s for s in strays if _close(s, name)]
        target = judge.suggest_name(name, "evaluator", keywords)
        if close:
            advice.append(f"the mapping's key `{close[0]}` is no field: did you mean `{name}`?")
        elif target is not None and sig.source == "function":
            advice.append(f"rename `{name}` to `{target}`")
        else:
            rest.append(name)
    if rest:
        one = len(rest) == 1
        mapped = f"{_MAPPING}={{'{rest[0]}': 'input.{rest[0]}'}}"
        default = (
            f", or give {'it' if one else 'them'} a default" if sig.source == "function" else ""
        )
        if ctx.runner == "pytest":
            advice.append(
                f"parametrize the test with {_quote(rest)}, or map {'it' if one else 'them'} "
                f"to one of the keywords the test passes ({_quote(keywords)}) or to a path "
                f"into one (`input` holds the parametrized arguments, unless one is named `input`)"
                f"{default}"
            )
        else:
            advice.append(
                f"map {_quote(rest)} to a keyword or to a path into one, as in "
                f"`{_BIND}({_EVALUATOR}=..., {mapped})`{default}"
            )
    plural = len(names) > 1
    return _finding(
        "PHX501",
        param=fields[0].name,
        params=[f.name for f in fields],
        source=_SOURCE_WORDS[sig.source],
        s="s" if plural else "",
        names=_quote(names),
        is_are="are" if plural else "is",
        first=names[0],
        detail=" (or another of them)" if plural else "",
        unbound=_unbound(ctx),
        when=when,
        advice="; ".join(advice),
    )


def _close(a: str, b: str) -> bool:
    return a != b and (a.lower() == b.lower() or judge.suggest_name(a, "evaluator", [b]) == b)


def _bad_root(
    code: str,
    field: EvalsField,
    found: _Lookup,
    keywords: Sequence[str],
    ctx: Context,
    when: str,
) -> Diagnostic:
    target = judge.suggest_name(found.root, "evaluator", keywords)
    rest = found.path[found.path.index(found.root) + len(found.root) :]
    if target is not None:
        advice = f"write `{target}{rest}`"
    else:
        advice = f"start the path at one of {_quote(keywords)}"
    if code == "PHX504" and target is None:
        advice += (
            " (the test's parametrized arguments are under `input`, and each under its own name)"
            if ctx.runner == "pytest"
            else " (a dataset's columns are under `input`, `expected` and `metadata`)"
        )
    return _finding(
        code,
        param=field.name,
        value=repr(found.path),
        root=found.root,
        unbound=_unbound(ctx),
        path=found.path,
        when=when,
        advice=advice,
    )


def _variadic_missing(field: EvalsField, when: str) -> Diagnostic:
    star = "*" if field.kind is Kind.VAR_POSITIONAL else "**"
    return _finding(
        "PHX502",
        param=field.name,
        kind=star,
        reason=(
            f"is a required field named `{field.name}` to phoenix.evals, not a catch-all "
            "(it builds its input schema from the parameters' names)"
        ),
        error=f"`ValueError: Path not found: {field.name}`",
        when=when,
        advice=f"declare the keywords you need as parameters and remove `{star}{field.name}`",
    )


def _check_call(lookups: list[tuple[EvalsField, _Lookup]], when: str) -> list[Diagnostic]:
    """The function is called as `fn(**fields)`, every field of the schema included."""
    fields = [f for f, _ in lookups]
    out: list[Diagnostic] = []
    catch_all = any(f.kind is Kind.VAR_KEYWORD for f in fields)
    for field, found in lookups:
        if field.kind is Kind.VAR_POSITIONAL and found.outcome != "missing" and not catch_all:
            out.append(
                _finding(
                    "PHX502",
                    param=field.name,
                    kind="*",
                    reason=(
                        f"cannot take the keyword `{field.name}`, and phoenix.evals calls the "
                        "function with every field by keyword"
                    ),
                    error="TypeError",
                    when=when,
                    advice=f"make it a plain parameter `{field.name}`",
                )
            )
    # A `**` parameter takes a positional-only name's keyword, leaving the parameter its
    # default: only one without a default then goes missing.
    positional = [
        f.name
        for f in fields
        if f.kind is Kind.POSITIONAL_ONLY and not (catch_all and not f.required)
    ]
    if positional:
        plural = len(positional) > 1
        out.append(
            _finding(
                "PHX503",
                param=positional[0],
                params=positional,
                s="s" if plural else "",
                names=_quote(positional),
                is_are="are" if plural else "is",
                when=when,
            )
        )
    return out


def _check_types(
    lookups: list[tuple[EvalsField, _Lookup]], sig: EvalsSignature, when: str
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for field, found in lookups:
        keyword = found.keyword
        if found.outcome != "keyword" or keyword is None or field.annotation is None:
            continue
        if keyword not in spec.VALUE_DESCRIPTION:  # a hand-off's own keyword: its type unknown
            continue
        if judge.validated_can_hold(field.annotation, keyword) is not False:
            continue
        mapped = f"map a path into it (`{_MAPPING}={{'{field.name}': '{keyword}.<key>'}}`)"
        if sig.source != "function":  # a prebuilt schema's annotation is not the user's to change
            advice = mapped if keyword != "trace_id" else "map another value into it"
        elif keyword == "trace_id":
            advice = "annotate it as `str | None`"
        else:
            advice = f"{mapped} or annotate it as `dict[str, Any]`"
        out.append(
            _finding(
                "PHX506",
                param=field.name,
                annotation=field.annotation.display(),
                value=spec.VALUE_DESCRIPTION[keyword],
                when=when,
                advice=advice,
            )
        )
    return out


def _check_mapping_function(
    entry: MappingEntry,
    params: tuple[Param, ...],
    keywords: Sequence[str],
    unbound: str,
    when: str,
) -> list[Diagnostic]:
    """phoenix.evals' `_bind_mapping_function`: no parameter is an error; one is called with
    the keyword it is named after, else with the whole dict, positionally; more are bound by
    name (`bind_partial`, `apply_defaults`) and called with every argument by keyword."""
    problem = _mapping_function_problem(params, keywords, unbound)
    if problem is None:
        return []
    reason, error, advice = problem
    return [
        _finding("PHX505", param=entry.field, reason=reason, error=error, when=when, advice=advice)
    ]


def _mapping_function_problem(
    params: tuple[Param, ...], keywords: Sequence[str], unbound: str
) -> tuple[str, str, str] | None:
    if not params:
        return (
            "takes no parameters",
            "`ValueError: Mapping functions must have at least one parameter.`",
            "give it one parameter named after the keyword it reads (`lambda input: ...`)",
        )
    if len(params) == 1:
        p = params[0]
        if p.kind in (Kind.KEYWORD_ONLY, Kind.VAR_KEYWORD):
            return (
                "is called with one positional argument, which its "
                f"{'keyword-only' if p.kind is Kind.KEYWORD_ONLY else '`**`'} parameter "
                f"`{p.name}` cannot take",
                "TypeError",
                f"make it a plain parameter (`lambda {p.name}: ...`)",
            )
        return None
    has_var_keyword = any(p.kind is Kind.VAR_KEYWORD for p in params)
    # `bind_partial(**keywords)` refuses a positional-only name it is given; the call
    # `fn(**arguments)` after `apply_defaults` passes the others by keyword too, which only a
    # `**` parameter takes (the parameter itself then keeps its default)
    positional = [
        p.name
        for p in params
        if p.kind is Kind.POSITIONAL_ONLY
        and (p.name in keywords or not (has_var_keyword and p.has_default))
    ]
    if positional:
        return (
            f"has positional-only parameter{'s' if len(positional) > 1 else ''} "
            f"{_quote(positional)}, and with two or more parameters it is called by keyword",
            "TypeError",
            "remove the `/`",
        )
    unknown = [
        p.name
        for p in params
        if p.kind in (Kind.POSITIONAL_OR_KEYWORD, Kind.KEYWORD_ONLY)
        and not p.has_default
        and p.name not in keywords
    ]
    if unknown:
        return (
            f"has required parameter{'s' if len(unknown) > 1 else ''} {_quote(unknown)}, "
            f"named after {unbound} (with two or more parameters each is looked up by name)",
            "TypeError",
            f"name the parameters after the keywords ({_quote(keywords)}) or read the "
            "value from one of them",
        )
    var_positional = [p.name for p in params if p.kind is Kind.VAR_POSITIONAL]
    if var_positional and not has_var_keyword:
        return (
            f"has `*{var_positional[0]}`, which phoenix.evals passes as a keyword "
            f"(`{var_positional[0]}=()`)",
            "TypeError",
            f"remove `*{var_positional[0]}`",
        )
    return None


def check_bind_evaluator_call(callee: str, positional: int) -> list[Diagnostic]:
    """`bind_evaluator(...)` with `positional` arguments given by position (deprecated)."""
    if positional <= 0:
        return []
    args = " and ".join(f"`{a}`" for a in spec.EVALS_BIND_ARGUMENTS[:positional])
    rule = spec.RULES_BY_CODE["PHX508"]
    return [Diagnostic("PHX508", rule.name, rule.severity, rule.format(callee=callee, args=args))]
