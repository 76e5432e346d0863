"""The single source of truth: Phoenix's binding names, version profiles and the rule table.

Every Phoenix name the project knows is spelled here and nowhere else; the judge, the linter, the
mypy plugin and the runtime binder import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from phx_tasklint.core.diagnostics import Role, Severity

# --------------------------------------------------------------------------------------------
# Binding names

TASK_NAMES: tuple[str, ...] = ("input", "expected", "reference", "metadata", "example")
EVALUATOR_NAMES: tuple[str, ...] = (
    "input",
    "output",
    "expected",
    "reference",
    "metadata",
    "example",
    "trace_id",
)

# What a lone parameter whose name is not a binding name receives.
SINGLE_PARAMETER_FALLBACK: dict[Role, str] = {"task": "input", "evaluator": "output"}

# The example field each bound value comes from ("reference" is an alias of the expected output).
VALUE_SOURCE: dict[str, str] = {
    "input": "input",
    "expected": "output",
    "reference": "output",
    "metadata": "metadata",
}

# What each binding name holds, in words, for messages.
VALUE_DESCRIPTION: dict[str, str] = {
    "input": "the example's input (a dict)",
    "expected": "the example's expected output (a dict)",
    "reference": "the example's expected output (a dict)",
    "metadata": "the example's metadata (a dict)",
    "example": "the whole example (a read-only mapping)",
    "output": "the task's output after JSON normalisation",
    "trace_id": "the task run's trace id (str or None)",
}


@dataclass(frozen=True)
class Profile:
    """One Phoenix release line: which names it binds and which result scorer it runs."""

    name: str
    description: str
    task_names: tuple[str, ...]
    evaluator_names: tuple[str, ...]
    scorer: Literal["client", "legacy"]

    def names(self, role: Role) -> tuple[str, ...]:
        return self.task_names if role == "task" else self.evaluator_names


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "legacy",
            "the phoenix.experiments module of arize-phoenix < 14",
            TASK_NAMES,
            EVALUATOR_NAMES[:5],
            "legacy",
        ),
        Profile(
            "1.21",
            "arize-phoenix-client < 1.22 (evaluators without example and trace_id)",
            TASK_NAMES,
            EVALUATOR_NAMES[:5],
            "client",
        ),
        Profile(
            "2.3",
            "arize-phoenix-client 1.22 - 2.3 (evaluators without trace_id)",
            TASK_NAMES,
            EVALUATOR_NAMES[:6],
            "client",
        ),
        Profile(
            "latest",
            "arize-phoenix-client 2.4 and later (3.x)",
            TASK_NAMES,
            EVALUATOR_NAMES,
            "client",
        ),
    )
}
DEFAULT_PROFILE = "latest"

# Near misses users write for a binding name, per role; a fuzzy match covers the rest.
NEAR_MISSES: dict[Role, dict[str, str]] = {
    "task": {
        "inputs": "input",
        "input_data": "input",
        "meta": "metadata",
        "metdata": "metadata",
        "expected_output": "expected",
        "expected_outputs": "expected",
        "expect": "expected",
        "references": "reference",
        "ref": "reference",
        "examples": "example",
        "output": "expected",
        "outputs": "expected",
        "reference_output": "reference",
    },
    "evaluator": {
        "inputs": "input",
        "meta": "metadata",
        "metdata": "metadata",
        "expected_output": "expected",
        "expected_outputs": "expected",
        "expect": "expected",
        "references": "reference",
        "ref": "reference",
        "examples": "example",
        "outputs": "output",
        "result": "output",
        "prediction": "output",
        "traceid": "trace_id",
        "trace": "trace_id",
        "reference_output": "reference",
    },
}

# --------------------------------------------------------------------------------------------
# Qualified names of Phoenix's API (the adapters match these, never spellings)

CLIENT_MODULE = "phoenix.client.experiments"
LEGACY_MODULE = "phoenix.experiments"
LEGACY_RUNNER_MODULES = (LEGACY_MODULE, LEGACY_MODULE + ".functions")
CLIENT_CLASSES: dict[str, bool] = {  # qualified name -> is sync
    "phoenix.client.Client": True,
    "phoenix.client.client.Client": True,
    "phoenix.client.AsyncClient": False,
    "phoenix.client.client.AsyncClient": False,
}
EXPERIMENTS_CLASSES: dict[str, bool] = {  # mypy full names of client.experiments -> is sync
    "phoenix.client.resources.experiments.Experiments": True,
    "phoenix.client.resources.experiments.AsyncExperiments": False,
}


@dataclass(frozen=True)
class Runner:
    """An experiment entry point: where it takes the task and the evaluators."""

    method: str
    takes_task: bool
    # positions of task / evaluators for APIs that accept them positionally (legacy only)
    task_position: int | None = None
    evaluators_position: int | None = None


CLIENT_RUNNERS: tuple[Runner, ...] = (
    Runner("run_experiment", True),
    Runner("resume_experiment", True),
    Runner("evaluate_experiment", False),
    Runner("resume_evaluation", False),
)
LEGACY_RUNNERS: tuple[Runner, ...] = (
    Runner("run_experiment", True, task_position=1, evaluators_position=2),
    Runner("evaluate_experiment", False, evaluators_position=1),
)
ASYNC_PREFIX = "async_"
CREATE_EVALUATOR = (
    "phoenix.client.experiments.create_evaluator",
    "phoenix.client.resources.experiments.evaluators.create_evaluator",
    "phoenix.experiments.evaluators.create_evaluator",
    "phoenix.experiments.evaluators.utils.create_evaluator",
)
# A different decorator with its own binder: never judged by experiment rules.
EVALS_CREATE_EVALUATOR = "phoenix.evals.create_evaluator"
BASE_EVALUATOR_CLASSES = (
    "phoenix.client.resources.experiments.types.BaseEvaluator",
    "phoenix.experiments.evaluators.base.Evaluator",
    "phoenix.experiments.evaluators.base.CodeEvaluator",
    "phoenix.experiments.evaluators.base.LLMEvaluator",
)
EVALUATOR_METHODS = ("evaluate", "async_evaluate")
EVALUATOR_KINDS = ("CODE", "LLM")  # case-insensitive
PYTEST_MARKER = "phoenix"

# Result types the scorers accept by qualified name (besides builtins).
EVALUATION_RESULT_TYPES = (
    "phoenix.client.resources.experiments.types.ExperimentEvaluation",
    "phoenix.client.resources.experiments.types.EvaluationResult",
    "phoenix.client.__generated__.v1.ExperimentEvaluationResult",
    "phoenix.experiments.types.EvaluationResult",
)
# Attributes of the client's runtime-checkable EvaluationScore protocol.
EVALUATION_SCORE_FIELDS = (
    "name",
    "score",
    "label",
    "explanation",
    "metadata",
    "source",
    "direction",
)
EXAMPLE_PROXY_TYPES = (
    "phoenix.client.resources.experiments.types.ExampleProxy",
    "phoenix.experiments.types.Example",
)

# --------------------------------------------------------------------------------------------
# The rule table


@dataclass(frozen=True)
class Snippet:
    """An example for a rule's docs and tests.

    A `signature` snippet defines the callable `f` and is handed to Phoenix as `role`; a `module`
    snippet is a whole file for the call-site rules only the linter can see.
    """

    code: str
    role: Role | None = "task"
    sync_runner: bool | None = None
    profile: str = DEFAULT_PROFILE
    scope: Literal["signature", "module"] = "signature"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    message: str  # str.format template; the judge (or a call-site check) fills the fields
    fix_title: str | None
    fix_safety: str | None
    what_it_does: str
    why_is_this_bad: str
    bad: tuple[Snippet, ...]
    good: tuple[Snippet, ...]

    def format(self, **fields: object) -> str:
        return self.message.format(**fields)


def _sig(code: str, role: Role = "task", **kw: object) -> Snippet:
    return Snippet(code.strip("\n") + "\n", role, **kw)  # type: ignore[arg-type]


def _mod(code: str) -> Snippet:
    return Snippet(code.strip("\n") + "\n", None, scope="module")


RULES: tuple[Rule, ...] = (
    Rule(
        "PHX000",
        "syntax-error",
        "error",
        "a file, notebook cell or Markdown fence cannot be parsed",
        "cannot parse this {unit}: {error}",
        None,
        None,
        "Reports source that Python cannot parse, so nothing in it could be checked.",
        "A file that does not parse cannot be imported, and none of its hand-offs were checked. "
        "The rest of the run goes on.",
        (_mod("def task(input:\n    return input\n"),),
        (_mod("def task(input):\n    return input\n"),),
    ),
    Rule(
        "PHX001",
        "no-parameters",
        "error",
        "the callable takes no parameters",
        "{role_title} takes no parameters: Phoenix rejects it with ValueError before the first "
        "example; add a parameter such as `{suggest}`",
        None,
        None,
        "Checks that a task or evaluator declares at least one parameter.",
        "Phoenix hands every callable at least one value; a callable without parameters is "
        "rejected with `ValueError` before the experiment starts.",
        (_sig("def f():\n    return 'constant'"),),
        (_sig("def f(input):\n    return input['question']"),),
    ),
    Rule(
        "PHX002",
        "unbindable-parameter",
        "error",
        "2+ parameters and one is not a binding name, has no default and is not **kwargs",
        "{role_title} parameter{s} {names} cannot be bound: with two or more parameters Phoenix "
        "passes only {valid} by name, so it rejects this {role} with ValueError before the "
        "first example; {advice}",
        "Rename the parameter to the binding name it means",
        "renames are safe; adding a `= None` default is unsafe, as it changes what the "
        "function receives",
        "Checks that every parameter of a multi-parameter task or evaluator is a binding name, "
        "has a default, or is `**kwargs`.",
        "Phoenix binds parameters by name. A required parameter whose name it does not know "
        "(a typo like `inputs`, or a name like `question`) makes Phoenix reject the callable "
        "before the first example; its message names only one offender, chosen at random.",
        (
            _sig("def f(input, question):\n    return question"),
            _sig("def f(inputs, expected):\n    return inputs"),
            _sig(
                "def f(output, expected_output):\n    return output == expected_output", "evaluator"
            ),
        ),
        (
            _sig("def f(input, expected):\n    return input['question']"),
            _sig("def f(input, model='gpt-4o'):\n    return model"),
            _sig("def f(output, expected):\n    return output == expected", "evaluator"),
        ),
    ),
    Rule(
        "PHX003",
        "keyword-only-single-parameter",
        "error",
        "the only parameter is keyword-only or **kwargs",
        "the only parameter `{param}` is {kind}: Phoenix passes a lone parameter its value "
        "positionally, so every example fails with TypeError; make it a plain parameter: "
        "`({suggest})`",
        None,
        None,
        "Checks that a single-parameter task or evaluator can receive a positional argument.",
        "Phoenix calls a one-parameter callable with one positional argument. A keyword-only "
        "parameter or a lone `**kwargs` passes Phoenix's validation and then fails with "
        "`TypeError: too many positional arguments` on every example.",
        (
            _sig("def f(*, input):\n    return input"),
            _sig("def f(**kwargs):\n    return kwargs", "evaluator"),
        ),
        (_sig("def f(input):\n    return input"),),
    ),
    Rule(
        "PHX004",
        "positional-only-binding",
        "error",
        "2+ parameters and a binding name is positional-only",
        "binding name{s} {names} {is_are} positional-only: with two or more parameters Phoenix "
        "passes values by keyword, so every example fails with TypeError; remove the `/`",
        None,
        None,
        "Checks that multi-parameter callables can receive their binding names by keyword.",
        "With two or more parameters Phoenix calls `bind_partial(input=..., expected=...)`. A "
        "positional-only parameter cannot take a keyword, so every example fails with "
        "`TypeError: 'input' parameter is positional only, but was passed as a keyword`.",
        (_sig("def f(input, expected, /):\n    return input"),),
        (_sig("def f(input, expected):\n    return input"),),
    ),
    Rule(
        "PHX005",
        "var-positional-parameter",
        "error",
        "2+ parameters and a *args that Phoenix rejects or cannot fill",
        "`*{param}` cannot be bound: {reason}; remove `*{param}`",
        "Remove `*{param}`",
        "safe when the body never uses it",
        "Checks for `*args` in a multi-parameter task or evaluator.",
        "Phoenix binds by name, and `*args` never has a name it can bind: Phoenix rejects it as "
        "an invalid parameter (`args`) before the first example. A `*args` named like a binding "
        "name passes validation and then fails with `TypeError` on every example unless a "
        "`**kwargs` catches the keyword. Decorators without `functools.wraps` hit this too.",
        (
            _sig("def f(input, *args):\n    return input"),
            _sig("def f(output, *input):\n    return output", "evaluator"),
        ),
        (
            _sig("def f(input, expected):\n    return input"),
            _sig("def f(*metadata, **kwargs):\n    return kwargs", "evaluator"),
        ),
    ),
    Rule(
        "PHX006",
        "async-callable-sync-client",
        "error",
        "an async task or evaluator handed to a sync runner",
        "async {role} handed to a sync runner: on every example {consequence}; use "
        "`AsyncClient` / the `async_*` functions, or make it a plain `def`",
        None,
        None,
        "Checks that `async def` tasks and evaluators go to an async runner.",
        "The sync `Client` never awaits a coroutine: an async task fails with `RuntimeError` "
        "and an async evaluator with `NotImplementedError`, on every example, after the "
        "experiment was created.",
        (
            _sig("async def f(input):\n    return input", sync_runner=True),
            _sig("async def f(output):\n    return 1.0", "evaluator", sync_runner=True),
        ),
        (
            _sig("async def f(input):\n    return input", sync_runner=False),
            _sig("def f(input):\n    return input", sync_runner=True),
        ),
    ),
    Rule(
        "PHX101",
        "never-bound-parameter",
        "warning",
        "a defaulted parameter named like a binding name Phoenix never fills",
        "parameter `{param}` is never bound: `{param}` is not a binding name of {role}s, so "
        "Phoenix always leaves its default; {hint}",
        "Rename `{param}` to `{suggest}`",
        "safe when the rename is unambiguous",
        "Finds defaulted parameters whose names are near misses of binding names, or binding "
        "names of the other role.",
        "A default hides the typo from Phoenix's validation: `metdata=None` is accepted and is "
        "always `None`, so the evaluator silently scores without the data it meant to read.",
        (
            _sig("def f(output, metdata=None):\n    return bool(metdata)", "evaluator"),
            _sig("def f(input, output=None):\n    return output"),
        ),
        (
            _sig("def f(output, metadata=None):\n    return bool(metadata)", "evaluator"),
            _sig("def f(input, expected=None):\n    return expected"),
        ),
    ),
    Rule(
        "PHX102",
        "empty-var-keyword",
        "warning",
        "**kwargs on a 2+ parameter callable always receives nothing",
        "`**{param}` always receives nothing: with two or more parameters Phoenix passes only "
        "the binding names the {role} declares; declare the values you need ({valid}) as "
        "parameters",
        None,
        None,
        "Finds `**kwargs` on multi-parameter tasks and evaluators.",
        "It looks like Phoenix passes every value through `**kwargs`, but it passes only the "
        "names the signature declares, so `kwargs` is always empty.",
        (
            _sig(
                "def f(output, **kwargs):\n    return kwargs.get('expected') == output", "evaluator"
            ),
        ),
        (_sig("def f(output, expected):\n    return expected == output", "evaluator"),),
    ),
    Rule(
        "PHX201",
        "non-json-return",
        "error",
        "a task's return annotation is not JSON-serializable",
        "task returns `{type}`, which is not JSON-serializable ({detail}): Phoenix silently "
        "converts it (objects to their `__dict__`, the rest to `str()`) and evaluators see the "
        "converted value; return dicts, lists, str, numbers, bool or None",
        None,
        None,
        "Checks that a task's return annotation is JSON-serializable.",
        "Phoenix stores task outputs as JSON. Other values are converted without a warning: a "
        "set becomes the string `\"{'a'}\"`, a dataclass its `__dict__`, an Enum its internals, "
        "so evaluators and the UI see something the task never returned.",
        (
            _sig("def f(input) -> set[str]:\n    return set(input['tags'])"),
            _sig(
                "import datetime\ndef f(input) -> datetime.datetime:\n"
                "    return datetime.datetime.now()"
            ),
        ),
        (
            _sig("def f(input) -> list[str]:\n    return sorted(set(input['tags']))"),
            _sig("from typing import Any\ndef f(input) -> dict[str, Any]:\n    return input"),
        ),
    ),
    Rule(
        "PHX202",
        "unsupported-evaluator-return",
        "error",
        "an evaluator's return annotation is not a result the default scorer accepts",
        "evaluator returns `{type}`, which Phoenix's default scorer does not accept ({detail}): "
        "the evaluation fails with ValueError; return a bool, a number, a str, a (score, label) "
        "tuple or an evaluation dict",
        None,
        None,
        "Checks that an evaluator's return annotation is something Phoenix can score.",
        "Phoenix turns an evaluator's result into a score with its default scorer, which accepts "
        "bool, int, float, str, `(score, label[, explanation])` tuples and evaluation dicts. "
        "Anything else (None, a list of numbers, a Decimal, a coroutine) raises `ValueError: "
        "Unsupported evaluation result type` on every example.",
        (
            _sig("def f(output) -> None:\n    print(output)", "evaluator"),
            _sig("def f(output) -> list[float]:\n    return [1.0, 0.0]", "evaluator"),
        ),
        (
            _sig("def f(output) -> float:\n    return 1.0", "evaluator"),
            _sig("def f(output) -> dict[str, float]:\n    return {'score': 1.0}", "evaluator"),
        ),
    ),
    Rule(
        "PHX203",
        "evaluator-tuple-shape",
        "error",
        "an evaluator returns a tuple that is not (score, label[, explanation])",
        "evaluator returns `{type}`: Phoenix reads a tuple as {shape}; {detail}",
        None,
        None,
        "Checks the shape of tuples returned by evaluators.",
        "Phoenix reads a returned tuple by position. A 1-tuple raises `ValueError`, items after "
        "the third are dropped, and a non-numeric first item fails `float()` at evaluation time.",
        (
            _sig("def f(output) -> tuple[float]:\n    return (1.0,)", "evaluator"),
            _sig("def f(output) -> tuple[str, float]:\n    return ('ok', 1.0)", "evaluator"),
        ),
        (_sig("def f(output) -> tuple[float, str]:\n    return (1.0, 'ok')", "evaluator"),),
    ),
    Rule(
        "PHX301",
        "bound-value-type-mismatch",
        "warning",
        "a parameter annotation cannot hold the value bound to it",
        "parameter `{param}: {annotation}` receives {value}, which `{annotation}` cannot hold; "
        "annotate it as `{suggest}`",
        None,
        None,
        "Compares a parameter's annotation with the value Phoenix binds to it.",
        "Phoenix binds by name, not by type: `input` is always the example's input dict, even "
        "when the annotation says `str`, and a lone parameter of a task always receives the "
        "input. The annotation misleads readers and type checkers.",
        (
            _sig("def f(input: str):\n    return input.upper()"),
            _sig("def f(question: str):\n    return question"),
        ),
        (
            _sig(
                "from typing import Any\ndef f(input: dict[str, Any]):\n"
                "    return input['question']"
            ),
        ),
    ),
    Rule(
        "PHX401",
        "positional-experiment-call",
        "error",
        "a keyword-only Phoenix experiment API called with positional arguments",
        "`{callee}` takes keyword arguments only: this call raises TypeError; pass {args} by "
        "keyword",
        None,
        None,
        "Finds positional arguments to the client's keyword-only experiment functions.",
        "Every `phoenix.client` experiment function and method is keyword-only; code ported "
        "from the legacy API that passes `dataset, task` positionally raises `TypeError`.",
        (
            _mod(
                "from phoenix.client.experiments import run_experiment\n\n"
                "def task(input):\n    return input\n\nrun_experiment(dataset, task)"
            ),
        ),
        (
            _mod(
                "from phoenix.client.experiments import run_experiment\n\n"
                "def task(input):\n    return input\n\nrun_experiment(dataset=dataset, task=task)"
            ),
        ),
    ),
    Rule(
        "PHX402",
        "legacy-experiments-import",
        "warning",
        "phoenix.experiments, removed in arize-phoenix 14",
        "`{module}` was removed in arize-phoenix 14: use `{replacement}` from arize-phoenix-client",
        None,
        None,
        "Finds imports of the legacy `phoenix.experiments` module.",
        "The module is gone from arize-phoenix 14 on, and its evaluator rules differ (2-tuples "
        "are (score, explanation), dict results are rejected).",
        (_mod("from phoenix.experiments import run_experiment"),),
        (_mod("from phoenix.client.experiments import run_experiment"),),
    ),
    Rule(
        "PHX403",
        "unawaited-async-experiment",
        "error",
        "an AsyncClient / async_* experiment call that is not awaited",
        "`{callee}` returns a coroutine that is never awaited: the experiment never runs; add "
        "`await`",
        None,
        None,
        "Finds async experiment calls whose coroutine is dropped.",
        "Without `await` the coroutine is created and discarded: no example runs, and Python "
        "only prints a `RuntimeWarning` at exit.",
        (
            _mod(
                "from phoenix.client.experiments import async_run_experiment\n\n"
                "async def main(dataset):\n"
                "    async_run_experiment(dataset=dataset, task=lambda input: input)"
            ),
        ),
        (
            _mod(
                "from phoenix.client.experiments import async_run_experiment\n\n"
                "async def main(dataset):\n"
                "    await async_run_experiment(dataset=dataset, task=lambda input: input)"
            ),
        ),
    ),
    Rule(
        "PHX404",
        "duplicate-evaluator-name",
        "warning",
        "two evaluators in one call share a name",
        "evaluators {first} and {second} are both named `{evaluator}`: Phoenix keeps only the "
        "last one; name them apart (a dict `{{name: evaluator}}` does it)",
        None,
        None,
        "Finds evaluators in one call that Phoenix would name alike.",
        "The client names evaluators by function name and silently keeps one of each name (the "
        "legacy API raises). Two partials of one function are the classic case.",
        (
            _mod(
                "from functools import partial\n"
                "from phoenix.client.experiments import run_experiment\n\n"
                "def score(output, threshold=0.5):\n    return output > threshold\n\n"
                "run_experiment(dataset=ds, task=lambda input: 1,\n"
                "               evaluators=[partial(score, threshold=0.2),"
                " partial(score, threshold=0.8)])"
            ),
        ),
        (
            _mod(
                "from functools import partial\n"
                "from phoenix.client.experiments import run_experiment\n\n"
                "def score(output, threshold=0.5):\n    return output > threshold\n\n"
                "run_experiment(dataset=ds, task=lambda input: 1,\n"
                "               evaluators={'low': partial(score, threshold=0.2),\n"
                "                           'high': partial(score, threshold=0.8)})"
            ),
        ),
    ),
    Rule(
        "PHX405",
        "invalid-evaluator-kind",
        "error",
        'create_evaluator(kind=...) is not "CODE" or "LLM"',
        "`create_evaluator(kind={kind})` is not a valid kind: Phoenix raises ValueError when the "
        'module is imported; use "CODE" or "LLM"',
        None,
        None,
        "Checks the `kind` given to `create_evaluator`.",
        "Phoenix accepts only CODE and LLM (any case); anything else raises `ValueError: "
        "'HUMAN' is not a valid AnnotatorKind` at decoration time.",
        (
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator(kind='HUMAN')\ndef f(output):\n    return 1.0"
            ),
        ),
        (
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator(kind='CODE')\ndef f(output):\n    return 1.0"
            ),
        ),
    ),
    Rule(
        "PHX406",
        "bare-create-evaluator",
        "error",
        "@create_evaluator used without parentheses",
        "`@create_evaluator` without parentheses: the function becomes a wrapper that fails with "
        "TypeError at evaluation time; write `@create_evaluator()`",
        "Add `()`",
        "safe",
        "Finds `create_evaluator` used as a bare decorator.",
        "`create_evaluator` is a decorator factory. Used bare it returns a function named "
        "`wrapper` that treats the task output as the function to wrap, and every evaluation "
        "fails with `TypeError: ... is not a callable object`.",
        (
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator\ndef f(output):\n    return 1.0"
            ),
        ),
        (
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator()\ndef f(output):\n    return 1.0"
            ),
        ),
    ),
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}
# Rules whose error means Phoenix cannot bind or call the callable at all (the binder raises).
BINDING_RULES = frozenset({"PHX001", "PHX002", "PHX003", "PHX004", "PHX005"})
# Rules the judge decides from a signature alone; the rest need a call site.
SIGNATURE_RULES = frozenset(
    r.code for r in RULES if r.bad and all(s.scope == "signature" for s in r.bad)
)


def rule(code_or_name: str) -> Rule:
    """Look a rule up by code (`PHX002`) or name (`unbindable-parameter`)."""
    key = code_or_name.strip()
    found = RULES_BY_CODE.get(key.upper()) or RULES_BY_NAME.get(key.lower())
    if found is None:
        raise KeyError(code_or_name)
    return found
