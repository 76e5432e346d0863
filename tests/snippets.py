"""The rule table's snippets as pytest parameters, shared by every front end's tests."""

from __future__ import annotations

from typing import Any

import pytest

from phx_tasklint.core.spec import RULES, Snippet

# Rules decided from a signature alone (every bad example is a signature); the rest need a call
# site, which only the linter sees.
SIGNATURE_RULES = frozenset(
    r.code for r in RULES if r.bad and all(s.scope == "signature" for s in r.bad)
)


def cases(scope: str) -> list[Any]:
    """One pytest param per (rule, bad|good, snippet) of the given scope."""
    out = []
    for rule in RULES:
        for verdict, snippets in (("bad", rule.bad), ("good", rule.good)):
            for i, snippet in enumerate(snippets):
                if snippet.scope == scope:
                    out.append(
                        pytest.param(rule.code, verdict, snippet, id=f"{rule.code}-{verdict}-{i}")
                    )
    return out


def load(snippet: Snippet) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(snippet.code, f"<{snippet.role} snippet>", "exec"), namespace)
    return namespace["f"]
