"""Phoenix's post-processing judged on live values: what the runtime binder checks after a call.

The judge (`core.judge`) decides from the neutral model what Phoenix will do with a callable's
declared result; here the same questions are asked of the value a call actually returned — would
Phoenix's JSON normalisation silently convert a task output, what would its default scorer record
from an evaluator result. Phoenix's names come from `core.spec`, as everywhere else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from phx_tasklint.core import spec

__all__ = [
    "Scored",
    "Stored",
    "UnstorableOutput",
    "json_value_problem",
    "jsonify",
    "score_result",
    "score_value",
    "stored_output",
]

_JSON_LEAVES = (str, int, float, bool, type(None))


def json_value_problem(value: object, path: str = "output") -> str | None:
    """`output["items"][2]: set` for the first value Phoenix would silently convert, else None.

    Stricter than Phoenix's `jsonify` on purpose: NaN and infinity pass a dry run and then fail
    the real upload, so they are problems here too.
    """
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return f"{where}: {item!r} (not allowed in JSON)"
        if isinstance(item, _JSON_LEAVES):
            continue
        if depth > 500:
            return f"{where}: nested deeper than 500 levels"
        if isinstance(item, dict):
            children: list[tuple[object, str, int]] = []
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"{where}: key {key!r} is a {type(key).__name__}, not a str"
                children.append((child, f"{where}[{json.dumps(key)}]", depth + 1))
            stack.extend(reversed(children))
        elif isinstance(item, (list, tuple)):
            stack.extend(
                (child, f"{where}[{i}]", depth + 1) for i, child in reversed(list(enumerate(item)))
            )
        else:
            return f"{where}: {type(item).__name__}"
    return None


class UnstorableOutput(ValueError):
    """A task output Phoenix's `jsonify` cannot store: the run is lost (and retried)."""


@dataclass(frozen=True)
class Stored:
    """A task output as Phoenix stores it, and where it differs from what the task returned
    (`output["items"][2]: set stored as "{3}"`), in the order `jsonify` meets them."""

    value: Any
    conversions: tuple[str, ...] = ()


def jsonify(value: object) -> Any:
    """What Phoenix's client stores for a task output (its `jsonify`, applied to every output
    before the evaluators see it): the same checks in the same order, so the same result. Raises
    UnstorableOutput where Phoenix's recursion never ends (a cycle)."""
    return stored_output(value).value


def stored_output(value: object) -> Stored:
    """`jsonify(value)`, and the conversions it made.

    Only changes JSON itself would not make are listed: a tuple becoming a list is not one.
    """
    conversions: list[str] = []
    stored = _jsonify(value, "output", set(), conversions)
    return Stored(stored, tuple(conversions))


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonify(obj: object, path: str, active: set[int], conversions: list[str]) -> Any:
    # Phoenix's order: None, JSON scalars (subclasses kept as they are), datetime, list/tuple,
    # dict (keys through str()), anything with a __dict__, then str().
    if obj is None:
        return None
    if isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, datetime):
        stored = obj.isoformat()
        conversions.append(f"{path}: datetime stored as {_shown(stored)}")
        return stored
    container = isinstance(obj, (list, tuple, dict))
    if not container and not hasattr(obj, "__dict__"):
        text = str(obj)
        conversions.append(f"{path}: {type(obj).__name__} stored as {_shown(text)}")
        return text
    if id(obj) in active:  # Phoenix recurses until RecursionError, outside the task's try
        raise UnstorableOutput(
            f"{path} refers back to a value that contains it: Phoenix's jsonify recurses until "
            "RecursionError, and the run is lost"
        )
    active.add(id(obj))
    try:
        if isinstance(obj, (list, tuple)):
            return [
                _jsonify(item, f"{path}[{i}]", active, conversions) for i, item in enumerate(obj)
            ]
        if isinstance(obj, dict):
            out: dict[str, Any] = {}
            for key, item in obj.items():
                name = str(key)
                if not isinstance(key, str):
                    conversions.append(
                        f"{path}: key {key!r} ({type(key).__name__}) stored as {_shown(name)}"
                    )
                out[name] = _jsonify(item, f"{path}[{json.dumps(name)}]", active, conversions)
            return out
        before = len(conversions)
        stored = _jsonify(obj.__dict__, path, active, conversions)
        conversions.insert(
            before, f"{path}: {type(obj).__name__} stored as its __dict__, {_shown(stored)}"
        )
        return stored
    finally:
        active.discard(id(obj))


def _is_evaluation_dict(obj: object) -> bool:
    if not isinstance(obj, dict):
        return False
    checks: tuple[tuple[str, type | tuple[type, ...]], ...] = (
        ("label", str),
        ("score", (int, float)),
        ("name", str),
        ("metadata", Mapping),
    )
    return all(obj.get(key) is None or isinstance(obj[key], kind) for key, kind in checks)


def _is_score_object(obj: object) -> bool:
    return all(hasattr(obj, f) for f in spec.EVALUATION_SCORE_FIELDS)


@dataclass(frozen=True)
class Scored:
    """What Phoenix's default scorer makes of a real evaluator result.

    `evaluations` are what it records; `note` says what it drops silently (the evaluation
    stands); `error` why the evaluation fails, now or at the upload (NaN scores).
    """

    evaluations: list[dict[str, object]]
    note: str | None = None
    error: str | None = None


def score_value(
    result: object, scorer: str = "client"
) -> tuple[list[dict[str, object]], str | None]:
    """Phoenix's default scorer on a real value: (evaluations, problem).

    `problem` is None when Phoenix records the evaluations in full; otherwise it says why the
    evaluation fails or what Phoenix silently drops.
    """
    scored = score_result(result, scorer)
    return scored.evaluations, scored.error or scored.note


def _failing(evaluations: list[dict[str, object]], error: str | None) -> Scored:
    return Scored(evaluations, error=error)


def score_result(result: object, scorer: str = "client") -> Scored:
    """Phoenix's default scorer on a real value, telling a silent loss from a failure."""
    if scorer == "legacy":
        evaluations, problem = _legacy_score_value(result)
        return _failing(evaluations, problem)
    if isinstance(result, (str, list, tuple)) and len(result) == 0:
        return Scored([], note=f"an empty {type(result).__name__} records no evaluation at all")
    if _is_score_object(result):
        return _failing([_score_evaluation(result)], _score_problem(getattr(result, "score", None)))
    if isinstance(result, (list, tuple)) and all(_is_score_object(r) for r in result):
        evaluations = [_score_evaluation(r) for r in result]
        scores = (getattr(r, "score", None) for r in result)
        return _failing(evaluations, next(filter(None, map(_score_problem, scores)), None))
    if _is_evaluation_dict(result):
        assert isinstance(result, dict)
        return _failing([dict(result)], _score_problem(result.get("score")))
    if isinstance(result, (list, tuple)) and all(_is_evaluation_dict(r) for r in result):
        items = [dict(r) for r in result]
        problem = next(filter(None, (_score_problem(r.get("score")) for r in items)), None)
        return _failing(items, problem)
    if isinstance(result, bool):
        return Scored([{"score": float(result), "label": str(result)}])
    if isinstance(result, (int, float)):
        return _failing([{"score": float(result)}], _score_problem(result))
    if isinstance(result, str):
        return Scored([{"label": result}])
    if isinstance(result, tuple) and len(result) >= 2:
        return _scored_tuple(result)
    return _failing([], f"{type(result).__name__} is not a result Phoenix's default scorer accepts")


def _scored_tuple(result: tuple[Any, ...]) -> Scored:
    evaluation: dict[str, object] = {}
    if result[0] is not None:
        try:
            evaluation["score"] = float(result[0])
        except (TypeError, ValueError):
            return _failing([], f"the first item, {result[0]!r}, is not a number")
    if result[1] is not None:
        evaluation["label"] = str(result[1])
    if len(result) > 2 and result[2] is not None:
        evaluation["explanation"] = str(result[2])
    error = _score_problem(evaluation.get("score"))
    note = f"{len(result)} items: those after the third are dropped" if len(result) > 3 else None
    return Scored([evaluation], note=note, error=error)


def _score_evaluation(score: object) -> dict[str, object]:
    """A score object as Phoenix records it: the score as a float, other fields when truthy."""
    out: dict[str, object] = {}
    value = getattr(score, "score", None)
    if value is not None:
        out["score"] = float(value)
    for key in ("label", "explanation", "name", "metadata"):
        field_value = getattr(score, key, None)
        if field_value:
            out[key] = field_value
    return out


def _score_problem(score: object) -> str | None:
    if isinstance(score, float) and (score != score or score in (float("inf"), float("-inf"))):
        return f"score {score!r} passes a dry run but fails the upload"
    return None


def _legacy_score_value(result: object) -> tuple[list[dict[str, object]], str | None]:
    if isinstance(result, bool):
        return [{"score": float(result), "label": str(result)}], None
    if hasattr(result, "__float__") and not isinstance(result, str):
        try:
            score = float(result)
        except (TypeError, ValueError):
            return [], f"{type(result).__name__} is not a number"
        return [{"score": score}], _score_problem(score)
    if isinstance(result, str):
        if not result:
            return [], "an empty str is neither a score nor a label"
        return [{"label": result}], None
    if isinstance(result, (tuple, list)) and len(result) == 2:
        try:
            return [{"score": float(result[0]), "explanation": str(result[1])}], None
        except (TypeError, ValueError):
            return [], f"the first item, {result[0]!r}, is not a number"
    return [], f"{type(result).__name__} is not a result the legacy scorer accepts"
