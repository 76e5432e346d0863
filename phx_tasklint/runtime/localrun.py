"""`phx-tasklint run`: a local dry run of a Phoenix experiment with the runtime binder, no server.

The run does what Phoenix's runner does with each example — bind the task, call it, store its
output as Phoenix's `jsonify` does, bind and call each evaluator on the stored output, score the
result — through the runtime binder, so a binding or scoring problem is reported with the
linter's codes and messages. Before the first example the signatures are checked with
`check_callable`. A finding Phoenix fails the experiment on (its rule's `phoenix_fails` is
"before-run" or "every-example") stops the run; any other is reported and the run goes on, as
Phoenix's would: what Phoenix silently changes (a set stored as its `str()`, tuple items after
the third dropped) is shown as a note beside the example, and what makes one example fail (a
first tuple item `float()` rejects) as that example's failure.

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
from phx_tasklint.runtime import evals_object, values

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
    output: Any = None  # as Phoenix stores it (after its jsonify)
    error: str | None = None
    evaluations: tuple[Evaluation, ...] = ()
    # (who, what): what Phoenix silently changed or dropped; who is "task" or an evaluator
    notes: tuple[tuple[str, str], ...] = ()

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
            "notes": [{"name": who, "note": note} for who, note in self.notes],
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

    @property
    def refused(self) -> bool:
        """Phoenix would not run the experiment, or would fail every example, for this."""
        return spec.RULES_BY_CODE[self.diagnostic.code].phoenix_refuses


@dataclass
class PreflightResult:
    """What `preflight` found, and the evaluators the run keeps (one per recorded name)."""

    findings: list[PreflightFinding] = field(default_factory=list)
    evaluators: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)

    @property
    def refused(self) -> list[PreflightFinding]:
        """The findings the run refuses to start on."""
        return [f for f in self.findings if f.refused]

    @property
    def errors_run_anyway(self) -> list[PreflightFinding]:
        """Error-level findings Phoenix runs the experiment with regardless (PHX201, PHX203)."""
        return [f for f in self.findings if f.diagnostic.severity == "error" and not f.refused]


def evaluator_name(evaluator: object) -> str:
    """The name Phoenix's client records an evaluator under (its `get_func_name`; a
    phoenix.evals evaluator's own `name`)."""
    if evals_object.is_evals_evaluator(evaluator):
        own = getattr(evaluator, spec.EVALS_NAME_ARGUMENT[0], None)
        return str(own or type(evaluator).__name__)
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
    # `run` mirrors the client's run_experiment: what a message says it costs is that runner's
    for d in check_callable(task, "task", sync_client=sync, profile=profile, runner="run"):
        result.findings.append(PreflightFinding("task", "task", d))
    given = [*names, *[None] * (len(evaluators) - len(names))]
    recorded = [n or evaluator_name(e) for n, e in zip(given, evaluators, strict=True)]
    run = next(r.method for r in spec.CLIENT_RUNNERS if r.kind == "run")  # what `run` mirrors
    for d in judge.check_call(CallSite(run, evaluator_names=tuple(recorded))):
        result.findings.append(PreflightFinding(recorded[d.item or 0], "evaluator", d))
    kept = {name: evaluator for name, evaluator in zip(recorded, evaluators, strict=True)}
    for name, evaluator in kept.items():
        found = check_callable(
            evaluator, "evaluator", sync_client=sync, profile=profile, runner="run"
        )
        for d in found:
            result.findings.append(PreflightFinding(name, "evaluator", d))
        result.evaluators.append((name, evaluator))
    return result


def _message(exc: BaseException) -> str:
    from phx_tasklint.runtime.binder import BindingError, OutputError

    if isinstance(exc, (BindingError, OutputError, values.UnstorableOutput)):
        return str(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _conversion_note(stored: values.Stored) -> str | None:
    if not stored.conversions:
        return None
    more = len(stored.conversions) - 1
    rest = f" (and {more} more conversion{'s' if more != 1 else ''})" if more else ""
    return f"{stored.conversions[0]}{rest}"


@dataclass(frozen=True)
class _Output:
    """A task's output as Phoenix stores it, or why the example fails."""

    stored: Any = None
    note: str | None = None
    error: str | None = None


def _store(raw: Any) -> _Output:
    """Phoenix's jsonify on a task output; NaN and infinity pass it and fail the upload."""
    try:
        stored = values.stored_output(raw)
    except (values.UnstorableOutput, RecursionError) as exc:
        return _Output(error=_message(exc))
    problem = values.json_value_problem(stored.value)
    if problem is not None:
        return _Output(
            error=f"task output {problem}: Phoenix stores it, and the upload to the server fails"
        )
    return _Output(stored.value, _conversion_note(stored))


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


class _Evaluated:
    """The evaluations of one example, and the notes on them, as they are collected."""

    def __init__(self, profile: str) -> None:
        self.scorer = spec.PROFILES[profile].scorer
        self.evaluations: list[Evaluation] = []
        self.notes: list[tuple[str, str]] = []

    def failed(self, name: str, exc: BaseException) -> None:
        self.evaluations.append(Evaluation(name, error=_message(exc)))

    def returned(self, name: str, result: Any) -> None:
        scored = values.score_result(result, self.scorer)
        if scored.error is not None:
            error = f"evaluator result {result!r:.80}: {scored.error}"
            self.evaluations.append(Evaluation(name, error=error))
            return
        self.evaluations.extend(_evaluations(name, scored.evaluations))
        if scored.note is not None:
            self.notes.append((name, f"evaluator result {result!r:.80}: {scored.note}"))

    def result(self, example: dict[str, Any], output: _Output) -> ExampleResult:
        notes = ([("task", output.note)] if output.note else []) + self.notes
        return ExampleResult(
            example["id"],
            example["input"],
            output.stored,
            None,
            tuple(self.evaluations),
            tuple(notes),
        )


def _run_one_sync(
    task: Callable[..., Any],
    evaluators: Sequence[tuple[str, Callable[..., Any]]],
    example: dict[str, Any],
    profile: str,
) -> ExampleResult:
    from phx_tasklint.runtime.binder import call_evaluator, call_task

    try:
        output = _store(call_task(task, example, profile=profile))
    except Exception as exc:
        return ExampleResult(example["id"], example["input"], None, _message(exc))
    if output.error is not None:
        return ExampleResult(example["id"], example["input"], None, output.error)
    evaluated = _Evaluated(profile)
    for name, evaluator in evaluators:
        try:
            result = call_evaluator(
                evaluator, output=output.stored, example=example, profile=profile
            )
        except Exception as exc:
            evaluated.failed(name, exc)
        else:
            evaluated.returned(name, result)
    return evaluated.result(example, output)


async def _run_one_async(
    task: Callable[..., Any],
    evaluators: Sequence[tuple[str, Callable[..., Any]]],
    example: dict[str, Any],
    profile: str,
) -> ExampleResult:
    from phx_tasklint.runtime.binder import acall_evaluator, acall_task, call_evaluator, call_task

    try:
        if is_async(task):
            raw = await acall_task(task, example, profile=profile)
        else:
            raw = await asyncio.to_thread(call_task, task, example, profile=profile)
        output = _store(raw)
    except Exception as exc:
        return ExampleResult(example["id"], example["input"], None, _message(exc))
    if output.error is not None:
        return ExampleResult(example["id"], example["input"], None, output.error)
    evaluated = _Evaluated(profile)
    for name, evaluator in evaluators:
        try:
            if is_async(evaluator):
                result = await acall_evaluator(
                    evaluator, output=output.stored, example=example, profile=profile
                )
            else:
                result = await asyncio.to_thread(
                    functools.partial(
                        call_evaluator,
                        evaluator,
                        output=output.stored,
                        example=example,
                        profile=profile,
                    )
                )
        except Exception as exc:
            evaluated.failed(name, exc)
        else:
            evaluated.returned(name, result)
    return evaluated.result(example, output)


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
    then every failure and every silent change Phoenix would make, with its example id."""
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
    lines += _listing("failures", listed)
    noted = [(r.id, who, note) for r in results for who, note in r.notes]
    lines += _listing("what Phoenix stores differently", noted)
    return "\n".join(lines) + "\n"


def _listing(title: str, rows: Sequence[tuple[str, str, str | None]]) -> list[str]:
    if not rows:
        return []
    id_width = max(len(row[0]) for row in rows)
    who_width = max(len(row[1]) for row in rows)
    lines = ["", f"{title} ({len(rows)}):"]
    for example_id, who, message in rows:
        lines.append(f"  {example_id:<{id_width}}  {who:<{who_width}}  {message}")
    return lines


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
    from phx_tasklint.runtime.explain import (
        LoadError,
        load_target,
        unbound_method_note,
        unwrap_phoenix_evaluator,
    )

    def fail(message: str) -> int:
        click.echo(f"phx-tasklint: error: {message}", err=True)
        return 2

    try:
        loaded = [load_target(t) for t in (target, *evaluator_targets)]
        task = loaded[0].obj
        unwrapped = [unwrap_phoenix_evaluator(each.obj) for each in loaded[1:]]
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
    for note in filter(None, map(unbound_method_note, loaded)):
        click.echo(note)
    refused = sorted({f.diagnostic.code for f in checked.refused})
    if refused:
        click.echo(
            f"phx-tasklint: error: Phoenix would fail this experiment ({', '.join(refused)}); "
            "fix the errors above first (nothing was run)",
            err=True,
        )
        return 1
    anyway = sorted({f.diagnostic.code for f in checked.errors_run_anyway})
    if anyway:
        click.echo(
            f"phx-tasklint: note: Phoenix runs this experiment despite {', '.join(anyway)}; "
            "running it to show what Phoenix would store and score",
            err=True,
        )

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
