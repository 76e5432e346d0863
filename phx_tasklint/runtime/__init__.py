"""The runtime adapter: Phoenix's binding on live callables (`binder`), the local dry run
(`localrun`, `datasets`) and `explain`. This package exports the binder's public API."""

from phx_tasklint.runtime.binder import (
    BindingError,
    ExampleProxy,
    OutputError,
    arun_evaluator,
    arun_task,
    bind_evaluator,
    bind_task,
    check_callable,
    run_evaluator,
    run_task,
)

__all__ = [
    "BindingError",
    "ExampleProxy",
    "OutputError",
    "arun_evaluator",
    "arun_task",
    "bind_evaluator",
    "bind_task",
    "check_callable",
    "run_evaluator",
    "run_task",
]
