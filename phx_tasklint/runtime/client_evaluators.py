"""Evaluator objects of Phoenix's client (`BaseEvaluator` instances): what `create_evaluator`
made from a function, and a user's own subclass with an `evaluate` method.

Phoenix uses them as they are: it calls their `evaluate` / `async_evaluate` with every value by
keyword, never their `__call__` (whose signature, on a `create_evaluator` object, is empty). So
the binder judges the function `create_evaluator` wrapped, or the subclass's own method, instead.
"""

from __future__ import annotations

from phx_tasklint.core import spec


def is_client_evaluator(obj: object) -> bool:
    """Whether `obj` is an instance of one of Phoenix's evaluator base classes."""
    return any(
        f"{c.__module__}.{c.__qualname__}" in spec.BASE_EVALUATOR_CLASSES for c in type(obj).__mro__
    )


def wrapped_function(obj: object) -> object | None:
    """The function a `create_evaluator(...)`-made evaluator wraps (its class's `__call__`
    keeps it as `__wrapped__`); None for any other evaluator object."""
    call = next((vars(c)["__call__"] for c in type(obj).__mro__ if "__call__" in vars(c)), None)
    return getattr(call, "__wrapped__", None)


def own_method(obj: object) -> object | None:
    """The `evaluate` (else `async_evaluate`) a user's subclass defines, bound to `obj`; None
    when only Phoenix's classes define them."""
    for name in spec.EVALUATOR_METHODS:
        for c in type(obj).__mro__:
            if f"{c.__module__}.{c.__qualname__}" in spec.BASE_EVALUATOR_CLASSES:
                break
            if name in vars(c):
                method: object = getattr(obj, name)
                return method
    return None
