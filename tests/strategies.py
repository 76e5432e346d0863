"""Hypothesis strategies for experiment task / evaluator signatures, as specs, source and functions.

A `SignatureSpec` is a small frozen description of one `def`; `render` turns it into source
(reused by the linter tests, which write the same specs to files) and `compile_spec` into a live
function. Annotations are left out on purpose: these specs exercise validation and binding only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import note
from hypothesis import strategies as st

Kind = inspect._ParameterKind

POSITIONAL_ONLY = inspect.Parameter.POSITIONAL_ONLY
POSITIONAL_OR_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD
VAR_POSITIONAL = inspect.Parameter.VAR_POSITIONAL
KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY
VAR_KEYWORD = inspect.Parameter.VAR_KEYWORD

# Written out here rather than imported from phx_tasklint: the differential tests must not take
# the names from the code they check.
BINDING_NAMES = ("input", "expected", "reference", "metadata", "example", "output", "trace_id")
NEAR_MISS_NAMES = ("inputs", "meta", "metdata", "expected_output", "references", "Input", "outputs")
OTHER_NAMES = ("x", "y", "model", "self", "args", "kwargs", "k")

MAX_PARAMS = 5
# The body never fails and returns a value both runners accept (a JSON scalar, a valid score).
BODY = "return 1"


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: Kind
    has_default: bool = False

    def __post_init__(self) -> None:
        if self.has_default and self.kind in (VAR_POSITIONAL, VAR_KEYWORD):
            raise ValueError(
                f"{self.kind.description} parameter {self.name!r} cannot have a default"
            )


@dataclass(frozen=True)
class SignatureSpec:
    params: tuple[ParamSpec, ...]
    is_async: bool = False

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names: {names}")
        kinds = [p.kind for p in self.params]
        if kinds != sorted(kinds):
            raise ValueError(f"parameter kinds out of order: {kinds}")
        if kinds.count(VAR_POSITIONAL) > 1 or kinds.count(VAR_KEYWORD) > 1:
            raise ValueError("at most one *args and one **kwargs")
        seen_default = False
        for p in self.params:
            if p.kind in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD):
                if seen_default and not p.has_default:
                    raise ValueError(f"non-default parameter {p.name!r} follows a default one")
                seen_default = seen_default or p.has_default

    def signature(self) -> inspect.Signature:
        """What `inspect.signature` must report for the rendered function."""
        return inspect.Signature(
            [
                inspect.Parameter(
                    p.name, p.kind, default=None if p.has_default else inspect.Parameter.empty
                )
                for p in self.params
            ]
        )


def _param_source(p: ParamSpec) -> str:
    if p.kind is VAR_POSITIONAL:
        return f"*{p.name}"
    if p.kind is VAR_KEYWORD:
        return f"**{p.name}"
    return f"{p.name}=None" if p.has_default else p.name


def render(spec: SignatureSpec, name: str = "f") -> str:
    """The source of a module-level `def` (one line of signature, one of body)."""
    parts: list[str] = []
    kinds = [p.kind for p in spec.params]
    for i, p in enumerate(spec.params):
        if p.kind is KEYWORD_ONLY and VAR_POSITIONAL not in kinds and KEYWORD_ONLY not in kinds[:i]:
            parts.append("*")
        parts.append(_param_source(p))
        if p.kind is POSITIONAL_ONLY and POSITIONAL_ONLY not in kinds[i + 1 :]:
            parts.append("/")
    prefix = "async def" if spec.is_async else "def"
    return f"{prefix} {name}({', '.join(parts)}):\n    {BODY}\n"


def compile_spec(spec: SignatureSpec, name: str = "f") -> Callable[..., Any]:
    """Execute `render(spec, name)` in a fresh namespace and return the function."""
    namespace: dict[str, Any] = {}
    exec(compile(render(spec, name), f"<generated {name}>", "exec"), namespace)
    fn: Callable[..., Any] = namespace[name]
    return fn


# Binding names drawn twice as often as each other pool, so more signatures get past validation.
names = st.one_of(
    st.sampled_from(BINDING_NAMES),
    st.sampled_from(BINDING_NAMES),
    st.sampled_from(NEAR_MISS_NAMES),
    st.sampled_from(OTHER_NAMES),
)
kinds = st.sampled_from(
    [POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD]
)


@st.composite
def signature_specs(draw: st.DrawFn, max_params: int = MAX_PARAMS) -> SignatureSpec:
    """Any valid `def` header over the name pools: 0..max_params parameters of all five kinds."""
    drawn_names = draw(st.lists(names, max_size=max_params, unique=True))
    drawn_kinds = [draw(kinds) for _ in drawn_names]
    # A second *args or **kwargs becomes keyword-only; then sort into Python's order.
    for var in (VAR_POSITIONAL, VAR_KEYWORD):
        first = drawn_kinds.index(var) if var in drawn_kinds else -1
        drawn_kinds = [
            KEYWORD_ONLY if k is var and i != first else k for i, k in enumerate(drawn_kinds)
        ]
    ordered = sorted(zip(drawn_kinds, drawn_names, strict=True), key=lambda kn: kn[0])
    params: list[ParamSpec] = []
    positional_default = False
    for kind, name in ordered:
        if kind in (VAR_POSITIONAL, VAR_KEYWORD):
            has_default = False
        elif kind is KEYWORD_ONLY:
            has_default = draw(st.booleans())
        else:  # after a defaulted positional parameter every positional one needs a default
            has_default = positional_default or draw(st.booleans())
            positional_default = has_default
        params.append(ParamSpec(name, kind, has_default))
    return SignatureSpec(tuple(params), is_async=draw(st.booleans()))


@dataclass(frozen=True)
class Generated:
    spec: SignatureSpec
    source: str
    fn: Callable[..., Any]

    def __repr__(self) -> str:  # hypothesis prints this in a falsifying example
        return f"Generated({self.source!r})"


@st.composite
def generated_functions(draw: st.DrawFn, max_params: int = MAX_PARAMS) -> Generated:
    """A spec, its source (shown in hypothesis' failure report) and the compiled function."""
    spec = draw(signature_specs(max_params))
    source = render(spec)
    note(f"source:\n{source}")
    return Generated(spec, source, compile_spec(spec))
