"""Signature transformations a front end applies while translating: partials and bound methods.

These mirror `inspect.signature` exactly; they decide nothing about Phoenix.
"""

from __future__ import annotations

from dataclasses import replace

from phx_tasklint.core.model import Kind, Param, Signature

_POSITIONAL = (Kind.POSITIONAL_ONLY, Kind.POSITIONAL_OR_KEYWORD)


def drop_first(signature: Signature) -> Signature | None:
    """A bound method: `self` / `cls` is gone (None if there is no positional to bind)."""
    params = signature.params
    if params and params[0].kind in _POSITIONAL:
        return replace(signature, params=params[1:])
    if params and params[0].kind is Kind.VAR_POSITIONAL:
        return signature
    return None


def apply_partial(
    signature: Signature, positional: int, keywords: tuple[str, ...]
) -> Signature | None:
    """`inspect.signature(functools.partial(f, *positional, **keywords))`; None if invalid."""
    params = list(signature.params)
    bound: dict[str, str] = {}  # name -> "pos" | "kw"
    remaining = positional
    for p in params:
        if remaining == 0:
            break
        if p.kind in _POSITIONAL:
            bound[p.name] = "pos"
            remaining -= 1
        elif p.kind is Kind.VAR_POSITIONAL:
            bound[p.name] = "pos"
            remaining = 0
            break
        else:
            break
    if remaining:
        return None  # too many positional arguments: partial() itself is fine, inspect raises
    has_var_keyword = any(p.kind is Kind.VAR_KEYWORD for p in params)
    by_name = {p.name: p for p in params}
    for name in keywords:
        target = by_name.get(name)
        if target is None or target.kind in (
            Kind.POSITIONAL_ONLY,
            Kind.VAR_POSITIONAL,
            Kind.VAR_KEYWORD,
        ):
            if not has_var_keyword:
                return None
            continue
        if name in bound:
            return None  # multiple values
        bound[name] = "kw"
    new: list[Param] = []
    tail: list[Param] = []
    to_keyword_only = False
    for p in params:
        how = bound.get(p.name)
        if how is not None and p.kind is Kind.POSITIONAL_ONLY:
            continue
        if how == "pos" and p.kind is Kind.POSITIONAL_OR_KEYWORD:
            continue
        current = p
        if how == "kw":
            current = replace(p, has_default=True)
            if p.kind is Kind.POSITIONAL_OR_KEYWORD:
                to_keyword_only = True
        if to_keyword_only:
            if p.kind is Kind.POSITIONAL_OR_KEYWORD:
                tail.append(replace(current, kind=Kind.KEYWORD_ONLY))
                continue
            if p.kind in (Kind.KEYWORD_ONLY, Kind.VAR_KEYWORD):
                tail.append(current)
                continue
            if p.kind is Kind.VAR_POSITIONAL:
                continue
        new.append(current)
    return replace(signature, params=tuple(new + tail))
