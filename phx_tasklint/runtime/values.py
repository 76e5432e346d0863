"""Phoenix's post-processing judged on live values: what the runtime binder checks after a call.

The judge (`core.judge`) decides from the neutral model what Phoenix will do with a callable's
declared result; here the same questions are asked of the value a call actually returned — would
Phoenix's JSON normalisation silently convert a task output, what would its default scorer record
from an evaluator result. Phoenix's names come from `core.spec`, as everywhere else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from phx_tasklint.core import spec

__all__ = ["json_value_problem", "score_value"]

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


def score_value(
    result: object, scorer: str = "client"
) -> tuple[list[dict[str, object]], str | None]:
    """Phoenix's default scorer on a real value: (evaluations, problem).

    `problem` is None when Phoenix records the evaluations; otherwise it says why the evaluation
    fails or silently records nothing.
    """
    if scorer == "legacy":
        return _legacy_score_value(result)
    if isinstance(result, (str, list, tuple)) and len(result) == 0:
        return [], f"an empty {type(result).__name__} records no evaluation at all"
    if _is_score_object(result):
        return [_score_evaluation(result)], _score_problem(getattr(result, "score", None))
    if isinstance(result, (list, tuple)) and all(_is_score_object(r) for r in result):
        evaluations = [_score_evaluation(r) for r in result]
        scores = (getattr(r, "score", None) for r in result)
        return evaluations, next(filter(None, map(_score_problem, scores)), None)
    if _is_evaluation_dict(result):
        assert isinstance(result, dict)
        return [dict(result)], _score_problem(result.get("score"))
    if isinstance(result, (list, tuple)) and all(_is_evaluation_dict(r) for r in result):
        items = [dict(r) for r in result]
        return items, next(filter(None, (_score_problem(r.get("score")) for r in items)), None)
    if isinstance(result, bool):
        return [{"score": float(result), "label": str(result)}], None
    if isinstance(result, (int, float)):
        return [{"score": float(result)}], _score_problem(result)
    if isinstance(result, str):
        return [{"label": result}], None
    if isinstance(result, tuple) and len(result) >= 2:
        evaluation: dict[str, object] = {}
        if result[0] is not None:
            try:
                evaluation["score"] = float(result[0])
            except (TypeError, ValueError):
                return [], f"the first item, {result[0]!r}, is not a number"
        if result[1] is not None:
            evaluation["label"] = str(result[1])
        if len(result) > 2 and result[2] is not None:
            evaluation["explanation"] = str(result[2])
        problem = (
            f"{len(result)} items: those after the third are dropped" if len(result) > 3 else None
        )
        return [evaluation], problem or _score_problem(evaluation.get("score"))
    return [], f"{type(result).__name__} is not a result Phoenix's default scorer accepts"


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
