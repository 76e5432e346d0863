"""`phx-tasklint run`: a local dry run of a Phoenix experiment with the runtime binder, no server.

The run does what Phoenix's runner does with each example — bind the task, call it, bind and call
each evaluator on the output, score the result — through the runtime binder, so a binding,
output or scoring problem is reported with the linter's codes and messages. Before the first
example the signatures are checked with `check_callable`; an error-level finding stops the run,
as Phoenix rejects a bad signature before the first example.

When the task or an evaluator is `async def`, the run follows the AsyncClient: examples run
concurrently on one event loop (at most `concurrency` at once; sync callables run in a worker
thread). Otherwise it follows the sync Client, with a pool of `concurrency` threads. The task runs
without tracing, so an evaluator's `trace_id` is None.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from phx_tasklint.core import judge, spec
from phx_tasklint.core.model import CallSite, Diagnostic, Role

__all__ = [
    "Evaluation",
    "ExampleResult",
    "PreflightFinding",
    "PreflightResult",
    "evaluator_name",
    "is_async",
    "preflight",
    "results_jsonl",
    "run_examples",
    "summary",
]


@dataclass(frozen=True)
class Evaluation:
    name: str
    score: float | None = None
    label: str | None = None
    explanation: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "score": self.score,
            "label": self.label,
            "explanation": self.explanation,
            "error": self.error,
        }


@dataclass(frozen=True)
class ExampleResult:
    id: str
    input: Any
    output: Any = None
    error: str | None = None
    evaluations: tuple[Evaluation, ...] = ()

    @property
    def failed(self) -> bool:
        return self.error is not None or any(e.error is not None for e in self.evaluations)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "evaluations": [e.to_json() for e in self.evaluations],
        }


@dataclass(frozen=True)
class PreflightFinding:
    """A signature finding on one of the experiment's callables, before the run."""

    who: str  # "task" or the evaluator's name
    role: Role
    diagnostic: Diagnostic

    def line(self) -> str:
        d = self.diagnostic
        return f"{self.who}: {d.code} {d.message} [{d.name}]"


@dataclass
class PreflightResult:
    """What `preflight` found, and the evaluators the run keeps (one per recorded name)."""

    findings: list[PreflightFinding] = field(default_factory=list)
    evaluators: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.diagnostic.severity == "error" for f in self.findings)


def evaluator_name(evaluator: object) -> str:
    """The name Phoenix's client records an evaluator under (its `get_func_name`)."""
    if isinstance(evaluator, functools.partial):
        return evaluator_name(evaluator.func)
    qualname = getattr(evaluator, "__qualname__", None)
    if isinstance(qualname, str) and not qualname.endswith("<lambda>"):
        return qualname.split(".<locals>.")[-1]
    name = getattr(evaluator, "__name__", None)
    return name if isinstance(name, str) else str(evaluator)


def is_async(obj: object) -> bool:
    """An `async def` function, or a callable whose `__call__` is one."""
    if isinstance(obj, functools.partial):
        return is_async(obj.func)
    if inspect.iscoroutinefunction(obj):
        return True
    if inspect.isfunction(obj) or not callable(obj):
        return False
    return inspect.iscoroutinefunction(type(obj).__call__)


def preflight(
    task: Callable[..., Any],
    evaluators: Sequence[Callable[..., Any]],
    *,
    names: Sequence[str | None] = (),
    profile: str = spec.DEFAULT_PROFILE,
) -> PreflightResult:
    """Check every signature as Phoenix will see it, and name the evaluators as Phoenix does
    (`names[i]`, when given and not None, names evaluator i).

    Evaluators sharing a name: Phoenix keeps the last one of each name (PHX404), and so does
    the run.
    """
    from phx_tasklint.runtime.binder import check_callable

    sync = not (is_async(task) or any(is_async(e) for e in evaluators))
    result = PreflightResult()
    for d in check_callable(task, "task", sync_client=sync, profile=profile):
        result.findings.append(PreflightFinding("task", "task", d))
    given = [*names, *[None] * (len(evaluators) - len(names))]
    recorded = [n or evaluator_name(e) for n, e in zip(given, evaluators, strict=True)]
    for d in judge.check_call(CallSite("run_experiment", evaluator_names=tuple(recorded))):
        result.findings.append(PreflightFinding(recorded[d.item or 0], "evaluator", d))
    kept = {name: evaluator for name, evaluator in zip(recorded, evaluators, strict=True)}
    for name, evaluator in kept.items():
        for d in check_callable(evaluator, "evaluator", sync_client=sync, profile=profile):
            result.findings.append(PreflightFinding(name, "evaluator", d))
        result.evaluators.append((name, evaluator))
    return result


def _message(exc: BaseException) -> str:
    from phx_tasklint.runtime.binder import BindingError, OutputError

    if isinstance(exc, (BindingError, OutputError)):
        return str(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _evaluations(name: str, scored: Iterable[dict[str, object]]) -> list[Evaluation]:
    out = []
    for item in scored:
        score = item.get("score")
        label = item.get("label")
        explanation = item.get("explanation")
        out.append(
            Evaluation(
                name,
                float(score) if isinstance(score, (int, float)) else None,
                None if label is None else str(label),
                None if explanation is None else str(explanation),
            )
        )
    return out


def _run_one_sync(
    task: Callable[..., Any],
    evaluators: Sequence[tuple[str, Callable[..., Any]]],
    example: dict[str, Any],
    profile: str,
) -> ExampleResult:
    from phx_tasklint.runtime.binder import run_evaluator, run_task

    try:
        output = run_task(task, example, profile=profile)
    except Exception as exc:
        return ExampleResult(example["id"], example["input"], None, _message(exc))
    evaluations: list[Evaluation] = []
    for name, evaluator in evaluators:
        try:
            scored = run_evaluator(evaluator, output=output, example=example, profile=profile)
        except Exception as exc:
            evaluations.append(Evaluation(name, error=_message(exc)))
        else:
            evaluations.extend(_evaluations(name, scored))
    return ExampleResult(example["id"], example["input"], output, None, tuple(evaluations))


async def _run_one_async(
    task: Callable[..., Any],
    evaluators: Sequence[tuple[str, Callable[..., Any]]],
    example: dict[str, Any],
    profile: str,
) -> ExampleResult:
    from phx_tasklint.runtime.binder import arun_evaluator, arun_task, run_evaluator, run_task

    try:
        if is_async(task):
            output = await arun_task(task, example, profile=profile)
        else:
            output = await asyncio.to_thread(run_task, task, example, profile=profile)
    except Exception as exc:
        return ExampleResult(example["id"], example["input"], None, _message(exc))
    evaluations: list[Evaluation] = []
    for name, evaluator in evaluators:
        try:
            if is_async(evaluator):
                scored = await arun_evaluator(
                    evaluator, output=output, example=example, profile=profile
                )
            else:
                scored = await asyncio.to_thread(
                    functools.partial(
                        run_evaluator, evaluator, output=output, example=example, profile=profile
                    )
                )
        except Exception as exc:
            evaluations.append(Evaluation(name, error=_message(exc)))
        else:
            evaluations.extend(_evaluations(name, scored))
    return ExampleResult(example["id"], example["input"], output, None, tuple(evaluations))


def run_examples(
    task: Callable[..., Any],
    evaluators: Sequence[tuple[str, Callable[..., Any]]],
    examples: Sequence[dict[str, Any]],
    *,
    concurrency: int = 3,
    profile: str = spec.DEFAULT_PROFILE,
    progress: Callable[[], None] | None = None,
) -> list[ExampleResult]:
    """Run the task and the evaluators on every example; results in dataset order.

    `progress` is called once per finished example, always from the calling thread.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    tick = progress or (lambda: None)
    callables = [task, *(e for _, e in evaluators)]
    if any(is_async(c) for c in callables):
        return asyncio.run(_run_async(task, evaluators, examples, concurrency, profile, tick))
    results: list[ExampleResult | None] = [None] * len(examples)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {
            pool.submit(_run_one_sync, task, evaluators, example, profile): index
            for index, example in enumerate(examples)
        }
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            tick()
    return [r for r in results if r is not None]


async def _run_async(
    task: Callable[..., Any],
    evaluators: Sequence[tuple[str, Callable[..., Any]]],
    examples: Sequence[dict[str, Any]],
    concurrency: int,
    profile: str,
    tick: Callable[[], None],
) -> list[ExampleResult]:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(example: dict[str, Any]) -> ExampleResult:
        async with semaphore:
            result = await _run_one_async(task, evaluators, example, profile)
        tick()
        return result

    return list(await asyncio.gather(*(one(example) for example in examples)))


# --------------------------------------------------------------------------------------------
# reporting


def results_jsonl(results: Sequence[ExampleResult]) -> str:
    return "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in results)


def _score(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else repr(value)


def summary(results: Sequence[ExampleResult], evaluator_names: Sequence[str]) -> str:
    """The table printed after a run: examples, task failures, per-evaluator statistics,
    then every failure with its example id."""
    task_failures = [r for r in results if r.error is not None]
    lines = [
        f"examples run   {len(results)}",
        f"task failures  {len(task_failures)}",
    ]
    rows: list[tuple[str, str, str, str, str]] = []
    for name in evaluator_names:
        evaluations = [e for r in results for e in r.evaluations if e.name == name]
        scored = [e.score for e in evaluations if e.error is None and e.score is not None]
        labels = Counter(e.label for e in evaluations if e.error is None and e.label is not None)
        failures = sum(1 for e in evaluations if e.error is not None)
        mean = _score(sum(scored) / len(scored)) if scored else "-"
        label_text = ", ".join(
            f"{label}: {count}"
            for label, count in sorted(labels.items(), key=lambda item: (-item[1], item[0]))
        )
        count = sum(1 for e in evaluations if e.error is None)
        rows.append((name, str(count), mean, label_text or "-", str(failures)))
    if rows:
        header = ("evaluator", "count", "mean score", "labels", "failures")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
        lines.append("")
        for row in [header, *rows]:
            cells = [
                row[0].ljust(widths[0]),
                row[1].rjust(widths[1]),
                row[2].rjust(widths[2]),
                row[3].ljust(widths[3]),
                row[4].rjust(widths[4]),
            ]
            lines.append("  ".join(cells).rstrip())
    listed = [(r.id, "task", r.error) for r in results if r.error is not None] + [
        (r.id, e.name, e.error) for r in results for e in r.evaluations if e.error is not None
    ]
    if listed:
        lines += ["", f"failures ({len(listed)}):"]
        id_width = max(len(f[0]) for f in listed)
        who_width = max(len(f[1]) for f in listed)
        for example_id, who, message in listed:
            lines.append(f"  {example_id:<{id_width}}  {who:<{who_width}}  {message}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# the command


def _keys(value: str | None) -> tuple[str, ...]:
    return tuple(k.strip() for k in (value or "").split(",") if k.strip())


def command(
    target: str,
    dataset: str,
    evaluator_targets: Sequence[str],
    *,
    limit: int | None = None,
    concurrency: int = 3,
    output: str | None = None,
    profile: str,
    input_keys: str | None = None,
    output_keys: str | None = None,
    metadata_keys: str | None = None,
    example_id_key: str | None = None,
) -> int:
    """`phx-tasklint run`: load, check, run, report; the exit status (0, 1 or 2).

    `profile` is the Phoenix release line, already resolved by the caller (`--phoenix-version`,
    else the project's configuration): reading configuration is the command line's job.
    """
    import sys

    import click

    from phx_tasklint.runtime.datasets import DatasetError, load_dataset
    from phx_tasklint.runtime.explain import LoadError, load_callable, unwrap_phoenix_evaluator

    def fail(message: str) -> int:
        click.echo(f"phx-tasklint: error: {message}", err=True)
        return 2

    try:
        task = load_callable(target)
        unwrapped = [unwrap_phoenix_evaluator(load_callable(t)) for t in evaluator_targets]
        evaluators = [function for function, _ in unwrapped]
        examples = load_dataset(
            dataset,
            input_keys=_keys(input_keys),
            output_keys=_keys(output_keys),
            metadata_keys=_keys(metadata_keys),
            example_id_key=example_id_key or None,
        )
    except (LoadError, DatasetError) as exc:
        return fail(str(exc))
    for name, obj in [(target, task), *zip(evaluator_targets, evaluators, strict=True)]:
        if not callable(obj):
            return fail(f"{name} is a {type(obj).__name__}, not a callable")
    if limit is not None:
        examples = examples[:limit]

    from phx_tasklint.runtime.binder import BindingError

    try:
        checked = preflight(
            task, evaluators, names=[name for _, name in unwrapped], profile=profile
        )
    except BindingError as exc:  # a signature that cannot be read at all
        click.echo(str(exc))
        return 1
    for finding in checked.findings:
        click.echo(finding.line())
    if checked.blocked:
        click.echo(
            "phx-tasklint: error: Phoenix would fail this experiment; fix the errors above "
            "first (nothing was run)",
            err=True,
        )
        return 1

    def execute(progress: Callable[[], None] | None) -> list[ExampleResult]:
        return run_examples(
            task,
            checked.evaluators,
            examples,
            concurrency=concurrency,
            profile=profile,
            progress=progress,
        )

    if sys.stderr.isatty() and examples:
        with click.progressbar(
            length=len(examples), label="running examples", file=sys.stderr, show_pos=True
        ) as bar:
            results = execute(lambda: bar.update(1))
    else:
        results = execute(None)
    if output is not None:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(results_jsonl(results))
        except OSError as exc:
            return fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(summary(results, [name for name, _ in checked.evaluators]), nl=False)
    if output is not None:
        click.echo(f"results written to {output}")
    return 1 if any(r.failed for r in results) else 0
