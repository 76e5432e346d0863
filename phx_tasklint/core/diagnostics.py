"""What a rule says about a callable or a call: code, message, and the fix it offers.

Part of the neutral model (`model` re-exports it), in a module of its own so that printing
findings from the cache does not build the rest of the model's classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["task", "evaluator"]
Severity = Literal["error", "warning"]
# What kind of entry point a callable is handed to, which decides when Phoenix validates it
# (RULES.md §2.3): `run` (run_experiment), `resume` (resume_experiment), `evaluate`
# (evaluate_experiment, resume_evaluation), `decorator` (create_evaluator), `class` (an
# evaluator base class), `pytest` (the pytest plugin's marker).
RunnerKind = Literal["run", "resume", "evaluate", "decorator", "class", "pytest"]


@dataclass(frozen=True)
class Edit:
    """One change to a signature; front ends turn it into text or CST edits."""

    action: Literal["rename", "remove", "add-default"]
    param: str
    new_name: str | None = None
    # add-default: the parameter's annotation does not admit None (or cannot be told to), so
    # the fix widens it too (`str` -> `str | None`), lest `x: str = None` fail type checking
    admit_none: bool = False


@dataclass(frozen=True)
class Fix:
    title: str
    safe: bool
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    role: Role | None = None
    # the parameter the finding is anchored to (None: the callable or the call itself)
    param: str | None = None
    fix: Fix | None = None
    # every parameter the message names, in signature order
    params: tuple[str, ...] = field(default=())
    # for call-site findings about one evaluator of a call: its index among the evaluators
    item: int | None = None
