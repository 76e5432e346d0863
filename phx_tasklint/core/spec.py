"""The single source of truth: Phoenix's binding names, version profiles and the rule table.

Every Phoenix name the project knows is spelled here and nowhere else; the judge, the linter, the
mypy plugin and the runtime binder import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from phx_tasklint.core.diagnostics import Role, RunnerKind, Severity
from phx_tasklint.core.evals_metrics import EVALS_VERSION as METRICS_EVALS_VERSION
from phx_tasklint.core.evals_metrics import METRICS as EVALS_METRICS
from phx_tasklint.core.evals_metrics import METRICS_BY_QUALIFIED_NAME as EVALS_METRICS_BY_NAME
from phx_tasklint.core.evals_metrics import Metric, MetricField

__all__ = [  # the generated metric table is read through this module, as every Phoenix name
    "EVALS_METRICS",
    "EVALS_METRICS_BY_NAME",
    "METRICS_EVALS_VERSION",
    "Metric",
    "MetricField",
]

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
PACKAGE = "phoenix"  # the top-level package every Phoenix name is under
CLIENT_EXPERIMENTS = "experiments"  # the attribute of a client that holds its runners
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
    kind: RunnerKind  # when it validates what it is given (the judge words it)
    # positions of task / evaluators for APIs that accept them positionally (legacy only)
    task_position: int | None = None
    evaluators_position: int | None = None


CLIENT_RUNNERS: tuple[Runner, ...] = (
    Runner("run_experiment", True, "run"),
    Runner("resume_experiment", True, "resume"),
    Runner("evaluate_experiment", False, "evaluate"),
    Runner("resume_evaluation", False, "evaluate"),
)
LEGACY_RUNNERS: tuple[Runner, ...] = (
    Runner("run_experiment", True, "run", task_position=1, evaluators_position=2),
    Runner("evaluate_experiment", False, "evaluate", evaluators_position=1),
)
ASYNC_PREFIX = "async_"
# Runners that refuse an empty collection of evaluators (`ValueError: Must specify at least one
# evaluator`; RULES.md §9, S10): (runner kind, legacy). The client's `resume_experiment` and the
# legacy `run_experiment` skip it (no evaluation).
EMPTY_EVALUATORS_REFUSED: frozenset[tuple[RunnerKind, bool]] = frozenset(
    {("run", False), ("evaluate", False), ("evaluate", True)}
)


@dataclass(frozen=True)
class GuardedEntry:
    """An experiment entry point the runtime guard wraps (`phx_tasklint.guard()`): where it
    lives, how it takes its callables, and what it is for the judge."""

    module: str  # the module whose execution defines it
    attribute: str  # its qualified name in that module: `run_experiment`, `Experiments.run_...`
    kind: RunnerKind
    sync: bool | None  # the runner's kind: sync Client, AsyncClient, or None (legacy: either)
    # (role, keyword, position among the call's arguments, `self` not counted; None:
    # keyword-only) for each callable argument; the evaluators argument takes Phoenix's shapes
    arguments: tuple[tuple[Role, str, int | None], ...]
    profile: str | None = None  # a fixed profile (legacy); None: the installed client's


def _guarded_arguments(runner: Runner) -> tuple[tuple[Role, str, int | None], ...]:
    task: tuple[tuple[Role, str, int | None], ...] = (
        (("task", "task", runner.task_position),) if runner.takes_task else ()
    )
    return (*task, ("evaluator", "evaluators", runner.evaluators_position))


# The client's methods are what every call reaches (the module functions delegate to them, and
# `run_experiment` to `evaluate_experiment`); the functions are wrapped too, so that a call
# through them is judged before it builds a client. The guard judges a call reached from
# another guarded call only for callables the outer call did not hand over.
GUARDED: tuple[GuardedEntry, ...] = (
    *(
        GuardedEntry(
            experiments.rpartition(".")[0],
            f"{experiments.rpartition('.')[2]}.{r.method}",
            r.kind,
            sync,
            _guarded_arguments(r),
        )
        for experiments, sync in EXPERIMENTS_CLASSES.items()
        for r in CLIENT_RUNNERS
    ),
    *(
        GuardedEntry(CLIENT_MODULE, prefix + r.method, r.kind, sync, _guarded_arguments(r))
        for prefix, sync in (("", True), (ASYNC_PREFIX, False))
        for r in CLIENT_RUNNERS
    ),
    *(
        GuardedEntry(module, r.method, r.kind, None, _guarded_arguments(r), "legacy")
        for module in LEGACY_RUNNER_MODULES
        for r in LEGACY_RUNNERS
    ),
)
# The client distribution whose version picks the guard's profile, and the first release of
# each profile (newest first; see PROFILES).
CLIENT_DISTRIBUTION = "arize-phoenix-client"
CLIENT_PROFILE_SINCE: tuple[tuple[tuple[int, int], str], ...] = (
    ((2, 4), "latest"),
    ((1, 22), "2.3"),
    ((0, 0), "1.21"),
)
CREATE_EVALUATOR = (
    "phoenix.client.experiments.create_evaluator",
    "phoenix.client.resources.experiments.evaluators.create_evaluator",
    "phoenix.experiments.evaluators.create_evaluator",
    "phoenix.experiments.evaluators.utils.create_evaluator",
)
# create_evaluator(kind, name, scorer): where the name Phoenix records comes from.
CREATE_EVALUATOR_NAME = ("name", 1)  # keyword, position
# create_evaluator(scorer=...): a scorer of the user's own takes the result instead of Phoenix's.
CREATE_EVALUATOR_SCORER = ("scorer", 2)
# A different decorator with its own binder: never judged by experiment rules.
EVALS_CREATE_EVALUATOR = "phoenix.evals.create_evaluator"
# Everything phoenix.evals makes (evaluator classes, bind_evaluator, prebuilt metrics) is an
# object the client hands every value by keyword: no signature to judge at the hand-off.
EVALS_MODULE = "phoenix.evals"
# Attributes of the client's runtime-checkable protocols: an object with all of them is used as
# it is (`Evaluator`), or wrapped and handed every value (`EvalsEvaluator`), never inspected.
EVALUATOR_PROTOCOL = ("name", "kind", "evaluate", "async_evaluate")
EVALS_EVALUATOR_PROTOCOL = (
    "name",
    "evaluate",
    "async_evaluate",
    "input_schema",
    "direction",
    "source",
)
BASE_EVALUATOR_CLASSES = (
    "phoenix.client.resources.experiments.types.BaseEvaluator",
    "phoenix.experiments.evaluators.base.Evaluator",
    "phoenix.experiments.evaluators.base.CodeEvaluator",
    "phoenix.experiments.evaluators.base.LLMEvaluator",
)
EVALUATOR_METHODS = ("evaluate", "async_evaluate")
EVALUATOR_KINDS = ("CODE", "LLM")  # case-insensitive
PYTEST_MARKER = "phoenix"
PYTEST_MARKER_EVALUATORS = "evaluators"  # the marker's keyword that takes the evaluators
PYTEST_PARAMETRIZE = "parametrize"  # `pytest.mark.parametrize`: its names reach the evaluators
PYTEST_USEFIXTURES = "usefixtures"  # a fixture it names may be parametrized: its name too
# What the client's pytest plugin hands a marker's evaluators beside the test's parametrized
# arguments (`_eval_input_for`): `input` (every parametrized argument, unless one is named
# `input`), `output` (what the test logged) and `trace_id` (the test's trace, when traced)
PYTEST_EVAL_KEYWORDS = ("output", "input", "trace_id")
# the parameter the plugin adds for `repetitions=`, which it does not hand over
PYTEST_REPETITION_PARAM = "__phoenix_repetition__"

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
# phoenix.evals evaluators (arize-phoenix-evals), measured with 3.9.4 through the client 3.5.0
# wrapper (`wrap_phoenix_evals_evaluator`), which calls `.evaluate(kwargs)` /
# `.async_evaluate(kwargs)` with every evaluator binding keyword (tests/test_evals_table.py
# replays each line):
# * `@create_evaluator(name=...) def f(output, expected)`: works.
# * `def f(question, answer)` unmapped: `ValueError: Path not found: answer`; so is a mapping
#   that leaves `answer` out, and `def f(x)` (no lone-parameter fallback).
# * `bind_evaluator(evaluator=f, input_mapping={"question": "input.question", "answer":
#   "output"})`: works; `$.input.question` and `input['question']` too.
# * a path whose root is no keyword (`"inputs.question"`): `Path not found: inputs.question`;
#   for a field with a default the mapping is silently dropped and the default used.
# * a mapping function: parameters bound by name (`lambda input: ...` works); a lone one named
#   after no keyword gets the whole keyword dict; none: ValueError; a lone `**k` or keyword-only
#   one: TypeError; 2+ with a required name that is no keyword: TypeError.
# * `def f(output, **kwargs)` / `*args`: `Path not found: kwargs` / `args`; `def f(**input)`
#   works (a field named `input`).
# * `def f(output, context: str = "none")`: works, the default used. `def f(example,
#   trace_id)`: works. `def f(*, output)`: works. `def f(output, /)`: TypeError.
# * `async def f(output)`: `NotImplementedError: Async evaluator must use async_evaluate` on the
#   sync Client, works on AsyncClient.
# * `def f(output, expected: str)`, `metrics.exact_match` unmapped: `ValueError: Input validation
#   failed ... Input should be a valid string` (`expected` is the expected-output dict);
#   mapped with `{"expected": "expected.answer"}` it works.
# * `ClassificationEvaluator(prompt_template="Q: {question} A: {answer}", ...)`: `Path not
#   found: question` unless mapped (template variables are fields, coerced to str).
# * a dict of evaluators: the key is ignored, the evaluator's own name used.
# * bare `@create_evaluator`: the def becomes create_evaluator's inner `deco(fn)`, a plain
#   function the client binds the task output to: `TypeError: ... is not a callable object`.
# * positional `bind_evaluator(f, {...})`: works, with a DeprecationWarning.


@dataclass(frozen=True)
class EvalsProfile:
    """One arize-phoenix-evals release line (the client's profile decides the keywords)."""

    name: str
    description: str


EVALS_PROFILES: dict[str, EvalsProfile] = {
    p.name: p
    for p in (
        # 2.x still has the evals-1.0 API (PHX407 is off); its evaluators are judged as 3.x's,
        # which were not measured on 2.x
        EvalsProfile("2.x", "arize-phoenix-evals 2.x (the evals-1.0 API still importable)"),
        EvalsProfile("latest", "arize-phoenix-evals 3.x (measured: 3.9.4)"),
    )
}
DEFAULT_EVALS_PROFILE = "latest"
EVALS_CREATE_EVALUATORS = (EVALS_CREATE_EVALUATOR, "phoenix.evals.evaluators.create_evaluator")
EVALS_BIND_EVALUATORS = ("phoenix.evals.bind_evaluator", "phoenix.evals.evaluators.bind_evaluator")
EVALS_BIND_ARGUMENTS = ("evaluator", "input_mapping")  # bind_evaluator's parameters, in order
EVALS_EVALUATOR_CLASS = "phoenix.evals.evaluators.Evaluator"
# The names a user's own evaluator class derives from (its fields: its input schema, if any)
EVALS_EVALUATOR_BASES = (EVALS_EVALUATOR_CLASS, "phoenix.evals.Evaluator")
# What a live evals evaluator holds (read by the runtime binder): its pydantic input schema, its
# bound input mapping, and for a `create_evaluator` function the function itself.
EVALS_SCHEMA_ATTRIBUTE = "input_schema"
EVALS_MAPPING_ATTRIBUTE = "_input_mapping"
EVALS_FUNCTION_ATTRIBUTE = "_fn"
EVALS_TEMPLATE_ATTRIBUTE = "prompt_template"
# Qualified name of the classes `create_evaluator` makes, and of what a bare decorator leaves.
EVALS_FUNCTION_CLASS_PREFIX = "create_evaluator.<locals>.deco.<locals>."
EVALS_BARE_DECORATOR = ("phoenix.evals.evaluators", "create_evaluator.<locals>.deco")
EVALS_PATH_ROOT = "$"  # a JSON path may start at the root explicitly: `$.input.question`
EVALS_ASYNC_ERROR = "NotImplementedError: Async evaluator must use async_evaluate"
# What the linter reads where an evals object is made: the makers whose fields are a prompt
# template's variables (the classes take keyword arguments only), and their arguments as
# (keyword, position).
EVALS_TEMPLATE_MAKERS = (
    "phoenix.evals.ClassificationEvaluator",
    "phoenix.evals.LLMEvaluator",
    "phoenix.evals.evaluators.ClassificationEvaluator",
    "phoenix.evals.evaluators.LLMEvaluator",
    "phoenix.evals.create_classifier",
    "phoenix.evals.evaluators.create_classifier",
)
EVALS_CLASSIFIER_FUNCTIONS = (
    "phoenix.evals.create_classifier",
    "phoenix.evals.evaluators.create_classifier",
)
EVALS_TEMPLATE_ARGUMENT = "prompt_template"
EVALS_CLASSIFIER_TEMPLATE_POSITION = 1  # create_classifier(name, prompt_template, llm, choices)
EVALS_INPUT_SCHEMA_ARGUMENT = "input_schema"  # given: the fields are that model's, not read
EVALS_NAME_ARGUMENT = ("name", 0)  # create_evaluator(name, ...), create_classifier(name, ...)
# a prompt template written as messages: the text of each is under this key
EVALS_MESSAGE_CONTENT = "content"
# Methods that change an evals object's input mapping in place (`ev.bind({...})`, `ev.unbind()`).
EVALS_REBIND_METHODS = ("bind", "unbind")
# The methods of phoenix.evals' `Evaluator` that resolve an evaluator's fields: a user's class
# that overrides one resolves them its own way (fields not known).
EVALS_RESOLVING_METHODS = (
    "evaluate",
    "async_evaluate",
    "_traced_evaluate",
    "_async_traced_evaluate",
    "_get_required_fields",
)
# What a user's evaluator class may name that gives it fields: a schema, a mapping (set, bound,
# or given to its base), or its own resolution.
EVALS_FIELD_MEMBERS = (
    EVALS_SCHEMA_ATTRIBUTE,
    EVALS_MAPPING_ATTRIBUTE,
    EVALS_BIND_ARGUMENTS[1],
    *EVALS_REBIND_METHODS,
    *EVALS_RESOLVING_METHODS,
)
# phoenix.evals: the evals-1.0 API that arize-phoenix-evals 3.0 removed
#
# The prebuilt metrics' input schemas (EVALS_METRICS above) are generated from the installed
# package by bench/evals_metrics.py. The removed API is written by hand from the 3.0 release
# (Phoenix's commit 15e6415, "deprecate evals 1.0 and remove legacy experiments module"), which
# deleted `phoenix.evals.legacy`, the modules that re-exported it and the names `phoenix.evals`
# imported from it; tests/test_evals_metrics.py checks against the installed package that each
# is gone and that each replacement imports.


@dataclass(frozen=True)
class RemovedEvalsApi:
    """A module or name of the evals-1.0 API that an arize-phoenix-evals release removed."""

    name: str  # qualified, as imported: a module (`phoenix.evals.models`) or a name in one
    removed_in: str  # the first arize-phoenix-evals release without it
    replacement: str | None  # the qualified name to use instead; None: removed without one
    advice: str  # what to write instead, for the message


EVALS_1_REMOVED_IN = "3.0"
_EVALS = EVALS_MODULE + "."
_LLM = EVALS_MODULE + ".LLM"
_LLM_ADVICE = 'build an `LLM(provider="openai", model="gpt-4o")` from `phoenix.evals` instead'
_CLASSIFY_ADVICE = (
    "write a `ClassificationEvaluator` (or `create_classifier(...)`) and run it with "
    "`evaluate_dataframe` from `phoenix.evals`"
)
_TEMPLATE_ADVICE = (
    "pass your own template as `prompt_template=` to `create_classifier` or "
    "`ClassificationEvaluator` from `phoenix.evals`"
)


def _metric_advice(metric: str) -> str:
    return (
        f"use `{metric}` from `phoenix.evals.metrics`: it takes `llm=` (a `phoenix.evals.LLM`) "
        "where the old evaluator took `model=`"
    )


def _removed(names: str, replacement: str | None, advice: str) -> tuple[RemovedEvalsApi, ...]:
    return tuple(
        RemovedEvalsApi(_EVALS + name, EVALS_1_REMOVED_IN, replacement, advice)
        for name in names.split()
    )


# The evals-1.0 prompt templates `phoenix.evals` exported, by the prebuilt metric that replaces
# them (None: no metric does; a template of one's own does).
_TEMPLATE_FAMILIES: dict[str, tuple[str | None, str]] = {
    "HALLUCINATION": ("HallucinationEvaluator", "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "QA": ("CorrectnessEvaluator", "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "RAG_RELEVANCY": ("RetrievalRelevanceEvaluator", "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "TOXICITY": ("ToxicityEvaluator", "RAILS_MAP TEMPLATE TEMPLATE_BASE_TEMPLATE"),
    "CODE_FUNCTIONALITY": (None, "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "CODE_READABILITY": (None, "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "HUMAN_VS_AI": (None, "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "REFERENCE_LINK_CORRECTNESS": (None, "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "SQL_GEN_EVAL": (None, "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
    "USER_FRUSTRATION": (None, "BASE_TEMPLATE RAILS_MAP TEMPLATE"),
}
# Spelled in full where the families' pattern (`<FAMILY>_PROMPT_<SUFFIX>`, and the
# `_WITH_EXPLANATION` twin of every `..._TEMPLATE`) does not cover them.
_TEMPLATE_EXTRAS: dict[str, str | None] = {
    "HALLUCINATION_SPAN_PROMPT_TEMPLATE": "HallucinationEvaluator",
    "QA_SPAN_PROMPT_TEMPLATE": "CorrectnessEvaluator",
    "TOOL_CALLING_BASE_TEMPLATE": "ToolSelectionEvaluator",
    "TOOL_CALLING_PROMPT_RAILS_MAP": "ToolSelectionEvaluator",
    "TOOL_CALLING_PROMPT_TEMPLATE": "ToolSelectionEvaluator",
    "TOOL_CALLING_SPAN_PROMPT_TEMPLATE": "ToolSelectionEvaluator",
    "TOOL_CALLING_TEMPLATE_WITH_EXPLANATION": "ToolSelectionEvaluator",
}


def _template_names() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for family, (metric, suffixes) in _TEMPLATE_FAMILIES.items():
        for suffix in suffixes.split():
            out[f"{family}_PROMPT_{suffix}"] = metric
            if suffix == "TEMPLATE":
                out[f"{family}_PROMPT_TEMPLATE_WITH_EXPLANATION"] = metric
    return {**out, **_TEMPLATE_EXTRAS}


def _templates() -> tuple[RemovedEvalsApi, ...]:
    out: list[RemovedEvalsApi] = []
    for name, metric in sorted(_template_names().items()):
        if metric is None:
            out.extend(_removed(name, EVALS_MODULE + ".create_classifier", _TEMPLATE_ADVICE))
        else:
            advice = f"use `{metric}` from `phoenix.evals.metrics`, which carries its template"
            out.extend(_removed(name, f"{EVALS_MODULE}.metrics.{metric}", advice))
    return tuple(out)


_OLD_EVALUATORS = {  # evals-1.0 evaluator -> the prebuilt metric that replaces it (None: none)
    "HallucinationEvaluator": "HallucinationEvaluator",
    "ToxicityEvaluator": "ToxicityEvaluator",
    "QAEvaluator": "CorrectnessEvaluator",
    "RelevanceEvaluator": "RetrievalRelevanceEvaluator",
    "SQLEvaluator": None,
    "SummarizationEvaluator": None,
}


def _evaluators() -> tuple[RemovedEvalsApi, ...]:
    out: list[RemovedEvalsApi] = []
    # exported by `phoenix.evals` and re-exported by `phoenix.evals.evaluators`, which remains
    for module in ("", "evaluators."):
        for old, new in _OLD_EVALUATORS.items():
            if new is None:
                out.extend(
                    _removed(module + old, EVALS_MODULE + ".create_classifier", _TEMPLATE_ADVICE)
                )
            else:
                out.extend(
                    _removed(module + old, f"{EVALS_MODULE}.metrics.{new}", _metric_advice(new))
                )
    return tuple(out)


REMOVED_EVALS_API: tuple[RemovedEvalsApi, ...] = (
    # modules: everything under them went too
    *_removed("models", _LLM, _LLM_ADVICE),
    *_removed(
        "models.rate_limiters",
        EVALS_MODULE + ".rate_limiters",
        "import the rate limiters from `phoenix.evals.rate_limiters`",
    ),
    *_removed(
        "legacy",
        EVALS_MODULE + ".ClassificationEvaluator",
        "use the evals 2.0 API of `phoenix.evals`: `LLM`, `ClassificationEvaluator`, "
        "`create_evaluator`, `evaluate_dataframe`",
    ),
    *_removed("classify", EVALS_MODULE + ".evaluate_dataframe", _CLASSIFY_ADVICE),
    *_removed("generate", _LLM, "call `generate_text` on a `phoenix.evals.LLM`"),
    *_removed(
        "templates",
        EVALS_MODULE + ".llm.PromptTemplate",
        "import `PromptTemplate` from `phoenix.evals.llm`",
    ),
    *_removed(
        "default_templates default_audio_templates span_templates",
        EVALS_MODULE + ".metrics",
        "use a prebuilt metric of `phoenix.evals.metrics`, or " + _TEMPLATE_ADVICE,
    ),
    *_removed(
        "retrievals",
        EVALS_MODULE + ".metrics.RetrievalRelevanceEvaluator",
        "use `RetrievalRelevanceEvaluator` from `phoenix.evals.metrics`",
    ),
    # names `phoenix.evals` exported
    *_removed("llm_classify run_evals", EVALS_MODULE + ".evaluate_dataframe", _CLASSIFY_ADVICE),
    *_removed("llm_generate", _LLM, "call `generate_text` on a `phoenix.evals.LLM`"),
    *_removed(
        "OpenAIModel AnthropicModel BedrockModel GeminiModel GoogleGenAIModel LiteLLMModel "
        "MistralAIModel VertexAIModel",
        _LLM,
        _LLM_ADVICE,
    ),
    *_removed(
        "PromptTemplate",
        EVALS_MODULE + ".llm.PromptTemplate",
        "import `PromptTemplate` from `phoenix.evals.llm` (the evals 2.0 template)",
    ),
    *_removed(
        "ClassificationTemplate",
        EVALS_MODULE + ".ClassificationEvaluator",
        "give a `ClassificationEvaluator` its `prompt_template=` and `choices=`",
    ),
    *_removed("compute_precisions_at_k NOT_PARSABLE", None, "it was removed without a replacement"),
    *_evaluators(),
    *_templates(),
)
REMOVED_EVALS_BY_NAME: dict[str, RemovedEvalsApi] = {r.name: r for r in REMOVED_EVALS_API}


def removed_evals_api(qualified: str) -> RemovedEvalsApi | None:
    """The removed module or name `qualified` is, or is inside (the longest such entry)."""
    parts = qualified.split(".")
    for end in range(len(parts), 0, -1):
        found = REMOVED_EVALS_BY_NAME.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None


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


# What Phoenix itself does when it meets what a rule reports (checked against the client in
# tests/test_rules.py): "before-run", the experiment does not run (Phoenix raises before the
# first example, or at import, or the call never happens); "every-example", it runs and fails
# every example (or every evaluation); "by-value", whether an example fails depends on the
# value returned; "never", it runs without failing (converting, dropping or ignoring silently).
# `phx-tasklint run` refuses to start on the first two, as Phoenix gets nothing from those runs.
PhoenixFails = Literal["before-run", "every-example", "by-value", "never"]
PHOENIX_FAILS_TEXT: dict[PhoenixFails, str] = {
    "before-run": "the experiment does not run: Phoenix fails before the first example",
    "every-example": "Phoenix runs the experiment and fails on every example",
    "by-value": (
        "Phoenix runs the experiment; whether an example fails depends on the value returned"
    ),
    "never": "Phoenix runs the experiment without failing (it converts or ignores silently)",
}


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One rule: its identity, its message template, the docs' sections and its examples."""

    code: str
    name: str
    severity: Severity
    phoenix_fails: PhoenixFails
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

    @property
    def phoenix_refuses(self) -> bool:
        """Phoenix gets nothing from an experiment with this finding: it does not run it, or
        fails every example."""
        return self.phoenix_fails in ("before-run", "every-example")


def _sig(code: str, role: Role = "task", **kw: object) -> Snippet:
    return Snippet(code.strip("\n") + "\n", role, **kw)  # type: ignore[arg-type]


def _mod(code: str) -> Snippet:
    return Snippet(code.strip("\n") + "\n", None, scope="module")


# The import every phoenix.evals example starts with.
_EVALS = "from phoenix.evals import bind_evaluator, create_evaluator\n\n"

RULES: tuple[Rule, ...] = (
    Rule(
        code="PHX000",
        name="syntax-error",
        severity="error",
        phoenix_fails="before-run",
        summary=(
            "a file, notebook cell or Markdown fence that could hand something to Phoenix "
            "cannot be parsed"
        ),
        message="cannot parse this {unit}: {error}",
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Reports a file, notebook cell or Markdown fence that Python cannot parse where it "
            "could hand something to Phoenix: it spells an experiment runner, "
            "`create_evaluator`, an evaluator base class, the pytest marker or a configured "
            "runner. A block that could not (pseudo-code in documentation, `...`, half a "
            "sentence) is set aside and counted by `--statistics` instead."
        ),
        why_is_this_bad=(
            "A file that does not parse cannot be imported, and none of its hand-offs were "
            "checked. The rest of the run goes on."
        ),
        bad=(_mod("run_experiment(dataset=dataset, task=lambda input: input\n"),),
        good=(_mod("run_experiment(dataset=dataset, task=lambda input: input)\n"),),
    ),
    Rule(
        code="PHX001",
        name="no-parameters",
        severity="error",
        phoenix_fails="before-run",
        summary="the callable takes no parameters",
        message=(
            "{role_title} takes no parameters: Phoenix rejects it with ValueError {when}; add a "
            "parameter such as `{suggest}`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Checks that a task or evaluator declares at least one parameter.",
        why_is_this_bad=(
            "Phoenix hands every callable at least one value; a callable without parameters is "
            "rejected with `ValueError` before the experiment starts."
        ),
        bad=(_sig("def f():\n    return 'constant'"),),
        good=(_sig("def f(input):\n    return input['question']"),),
    ),
    Rule(
        code="PHX002",
        name="unbindable-parameter",
        severity="error",
        phoenix_fails="before-run",
        summary="2+ parameters and one is not a binding name, has no default and is not **kwargs",
        message=(
            "{role_title} parameter{s} {names} cannot be bound: {cause}with two or more "
            "parameters Phoenix passes only {valid} by name, so it rejects this {role} with "
            "ValueError {when}; {advice}"
        ),
        fix_title="Rename the parameter to the binding name it means",
        fix_safety=(
            "a rename to the binding name a typo means is safe. Adding `= None` defaults is "
            "unsafe: the body then receives None for those parameters on every example. An "
            "annotation that does not admit None is widened with the default, so that a type "
            "checker accepts it: `str` becomes `str | None`, or `Optional[str]` (imported when "
            "the module has no name for it) where the project's oldest Python (ruff's "
            "`target-version`, mypy's `python_version`, `requires-python`) is below 3.10 and "
            "the module lacks `from __future__ import annotations`. No default is offered "
            "where no parameter would be left to receive a value: a lone unbound parameter is "
            "renamed to `input` (`output` for an evaluator) instead, unsafe too as it then "
            "receives that value, and otherwise there is no fix"
        ),
        what_it_does=(
            "Checks that every parameter of a multi-parameter task or evaluator is a binding name, "
            "has a default, or is `**kwargs`."
        ),
        why_is_this_bad=(
            "Phoenix binds parameters by name. A required parameter whose name it does not know "
            "(a typo like `inputs`, or a name like `question`) makes Phoenix reject the callable: "
            "a task before the first example, but an evaluator handed to `run_experiment` only "
            "after every task has run, so the whole run's task cost is paid first. Phoenix's "
            "message names only one offender, chosen at random."
        ),
        bad=(
            _sig("def f(input, question):\n    return question"),
            _sig("def f(inputs, expected):\n    return inputs"),
            _sig(
                "def f(output, expected_output):\n    return output == expected_output", "evaluator"
            ),
        ),
        good=(
            _sig("def f(input, expected):\n    return input['question']"),
            _sig("def f(input, model='gpt-4o'):\n    return model"),
            _sig("def f(output, expected):\n    return output == expected", "evaluator"),
        ),
    ),
    Rule(
        code="PHX003",
        name="keyword-only-single-parameter",
        severity="error",
        phoenix_fails="every-example",
        summary="the only parameter is keyword-only or **kwargs",
        message=(
            "the only parameter `{param}` is {kind}: Phoenix passes a lone parameter its value "
            "positionally, so every example fails with TypeError; make it a plain parameter: "
            "`({suggest})`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks that a single-parameter task or evaluator can receive a positional argument."
        ),
        why_is_this_bad=(
            "Phoenix calls a one-parameter callable with one positional argument. A keyword-only "
            "parameter or a lone `**kwargs` passes Phoenix's validation and then fails with "
            "`TypeError: too many positional arguments` on every example."
        ),
        bad=(
            _sig("def f(*, input):\n    return input"),
            _sig("def f(**kwargs):\n    return kwargs", "evaluator"),
        ),
        good=(_sig("def f(input):\n    return input"),),
    ),
    Rule(
        code="PHX004",
        name="positional-only-binding",
        severity="error",
        phoenix_fails="every-example",
        summary="2+ parameters and a binding name is positional-only",
        message=(
            "binding name{s} {names} {is_are} positional-only: with two or more parameters Phoenix "
            "passes values by keyword, so every example fails with TypeError; remove the `/`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks that multi-parameter callables can receive their binding names by keyword."
        ),
        why_is_this_bad=(
            "With two or more parameters Phoenix calls `bind_partial(input=..., expected=...)`. A "
            "positional-only parameter cannot take a keyword, so every example fails with "
            "`TypeError: 'input' parameter is positional only, but was passed as a keyword`."
        ),
        bad=(_sig("def f(input, expected, /):\n    return input"),),
        good=(_sig("def f(input, expected):\n    return input"),),
    ),
    Rule(
        code="PHX005",
        name="var-positional-parameter",
        severity="error",
        phoenix_fails="before-run",
        summary="2+ parameters and a *args that Phoenix rejects or cannot fill",
        message="`*{param}` cannot be bound: {reason}; {advice}",
        fix_title="Remove `*{param}`",
        fix_safety="safe when the body never uses it",
        what_it_does="Checks for `*args` in a multi-parameter task or evaluator.",
        why_is_this_bad=(
            "Phoenix binds by name, and `*args` never has a name it can bind: Phoenix rejects it "
            "as an invalid parameter (`args`), a task before the first example and an evaluator "
            "handed to `run_experiment` only after every task has run. A `*args` named like a "
            "binding name passes validation and then fails with `TypeError` on every example "
            "unless a `**kwargs` catches the keyword. A decorator without `functools.wraps` hits "
            "this on a def that has no `*args`: Phoenix sees its wrapper's `(*args, **kwargs)`, "
            "and the message names the decorator."
        ),
        bad=(
            _sig("def f(input, *args):\n    return input"),
            _sig("def f(output, *input):\n    return output", "evaluator"),
        ),
        good=(
            _sig("def f(input, expected):\n    return input"),
            _sig("def f(*metadata, **kwargs):\n    return kwargs", "evaluator"),
        ),
    ),
    Rule(
        code="PHX006",
        name="async-callable-sync-client",
        severity="error",
        phoenix_fails="every-example",
        summary="an async task or evaluator handed to a sync runner",
        message=(
            "async {role} handed to a sync runner: on every example {consequence}; use "
            "`AsyncClient` / the `async_*` functions, or make it a plain `def`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Checks that `async def` tasks and evaluators go to an async runner.",
        why_is_this_bad=(
            "The sync `Client` never awaits a coroutine: an async task fails with `RuntimeError` "
            "and an async evaluator with `NotImplementedError`, on every example, after the "
            "experiment was created."
        ),
        bad=(
            _sig("async def f(input):\n    return input", sync_runner=True),
            _sig("async def f(output):\n    return 1.0", "evaluator", sync_runner=True),
            _sig(
                _EVALS + "@create_evaluator(name='f')\nasync def f(output):\n    return 1.0",
                "evaluator",
                sync_runner=True,
            ),
        ),
        good=(
            _sig("async def f(input):\n    return input", sync_runner=False),
            _sig("def f(input):\n    return input", sync_runner=True),
        ),
    ),
    Rule(
        code="PHX007",
        name="not-callable",
        severity="error",
        phoenix_fails="before-run",
        summary="the task or an evaluator is not callable (None, a number, a string)",
        message="{role_title} is {value}, which is not callable: Phoenix raises TypeError {when}; "
        "{advice}",
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Finds values that cannot be called handed over as the task or as an evaluator: "
            "`None`, numbers, strings."
        ),
        why_is_this_bad=(
            "Phoenix reads the signature of whatever it is given, and `inspect.signature` raises "
            "`TypeError: ... is not a callable object`. A task fails before the first example; "
            "`run_experiment` sets up its evaluators only after every task has run, so the "
            "tasks' time and cost are spent first. Only `evaluators=None` means no evaluation: "
            "a `None` inside a list of evaluators is not skipped. A string is a name, not the "
            "function it names."
        ),
        bad=(
            _sig("f = None", "evaluator"),
            _sig("f = 'task'"),
        ),
        good=(
            _sig("def f(output):\n    return 1.0", "evaluator"),
            _sig("def f(input):\n    return input"),
        ),
    ),
    Rule(
        code="PHX101",
        name="never-bound-parameter",
        severity="warning",
        phoenix_fails="never",
        summary="a defaulted parameter named like a binding name Phoenix never fills",
        message=(
            "parameter `{param}` is never bound: `{param}` is not a binding name of {role}s, so "
            "Phoenix always leaves its default; {hint}"
        ),
        fix_title="Rename `{param}` to `{suggest}`",
        fix_safety="safe when the rename is unambiguous",
        what_it_does=(
            "Finds defaulted parameters whose names are near misses of binding names, or binding "
            "names of the other role."
        ),
        why_is_this_bad=(
            "A default hides the typo from Phoenix's validation: `metdata=None` is accepted and is "
            "always `None`, so the evaluator silently scores without the data it meant to read."
        ),
        bad=(
            _sig("def f(output, metdata=None):\n    return bool(metdata)", "evaluator"),
            _sig("def f(input, output=None):\n    return output"),
        ),
        good=(
            _sig("def f(output, metadata=None):\n    return bool(metadata)", "evaluator"),
            _sig("def f(input, expected=None):\n    return expected"),
        ),
    ),
    Rule(
        code="PHX102",
        name="empty-var-keyword",
        severity="warning",
        phoenix_fails="never",
        summary="**kwargs on a 2+ parameter callable always receives nothing",
        message=(
            "`**{param}` always receives nothing: with two or more parameters Phoenix passes only "
            "the binding names the {role} declares; {advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Finds `**kwargs` on multi-parameter tasks and evaluators.",
        why_is_this_bad=(
            "It looks like Phoenix passes every value through `**kwargs`, but it passes only the "
            "names the signature declares, so `kwargs` is always empty."
        ),
        bad=(
            _sig(
                "def f(output, **kwargs):\n    return kwargs.get('expected') == output", "evaluator"
            ),
        ),
        good=(_sig("def f(output, expected):\n    return expected == output", "evaluator"),),
    ),
    Rule(
        code="PHX201",
        name="non-json-return",
        severity="error",
        phoenix_fails="never",
        summary=(
            "a task's return type (annotated, or read from its `return`s) is not JSON-serializable"
        ),
        message=(
            "task returns `{type}`{origin}, which is not JSON-serializable ({detail}): Phoenix "
            "silently converts it (objects to their `__dict__`, the rest to `str()`) and "
            "evaluators see the converted value; return dicts, lists, str, numbers, bool or None"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks that a task's return type is JSON-serializable: its return annotation, or "
            "without one what its `return` statements show (literals, f-strings, calls of "
            "builtins and of classes the linter can see). Only the linter reads bodies; the mypy "
            "plugin and the runtime binder judge annotations."
        ),
        why_is_this_bad=(
            "Phoenix stores task outputs as JSON. Other values are converted without a warning: a "
            "set becomes the string `\"{'a'}\"`, a dataclass its `__dict__`, an Enum its "
            "internals, so evaluators and the UI see something the task never returned."
        ),
        bad=(
            _sig("def f(input) -> set[str]:\n    return set(input['tags'])"),
            _sig(
                "import datetime\ndef f(input) -> datetime.datetime:\n"
                "    return datetime.datetime.now()"
            ),
            _sig("def f(input):\n    tags = set(input['tags'])\n    return tags"),
        ),
        good=(
            _sig("def f(input) -> list[str]:\n    return sorted(set(input['tags']))"),
            _sig("from typing import Any\ndef f(input) -> dict[str, Any]:\n    return input"),
            _sig("def f(input):\n    return {'tags': sorted(set(input['tags']))}"),
        ),
    ),
    Rule(
        code="PHX202",
        name="unsupported-evaluator-return",
        severity="error",
        phoenix_fails="every-example",
        summary=(
            "an evaluator's return type (annotated, or read from its `return`s) is not a result "
            "the default scorer accepts"
        ),
        message=(
            "evaluator returns `{type}`{origin}, which Phoenix's default scorer does not accept "
            "({detail}): the evaluation fails with ValueError; return a bool, a number, a str, a "
            "(score, label) tuple or an evaluation dict"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks that an evaluator's return type is something Phoenix can score: its return "
            "annotation, or without one what its `return` statements show, and None when its "
            "body can end without a `return` (a stub, or a def that always raises, is not "
            "reported)."
        ),
        why_is_this_bad=(
            "Phoenix turns an evaluator's result into a score with its default scorer, which "
            "accepts bool, int, float, str, `(score, label[, explanation])` tuples and evaluation "
            "dicts. Anything else (None, a list of numbers, a Decimal, a coroutine) raises "
            "`ValueError: Unsupported evaluation result type` on every example; an evaluator "
            "that forgets its `return` returns None."
        ),
        bad=(
            _sig("def f(output) -> None:\n    print(output)", "evaluator"),
            _sig("def f(output) -> list[float]:\n    return [1.0, 0.0]", "evaluator"),
            _sig("def f(output):\n    score = 1.0 if output else 0.0", "evaluator"),
        ),
        good=(
            _sig("def f(output) -> float:\n    return 1.0", "evaluator"),
            _sig("def f(output) -> dict[str, float]:\n    return {'score': 1.0}", "evaluator"),
            _sig(
                "def f(output):\n    score = 1.0 if output else 0.0\n    return score", "evaluator"
            ),
        ),
    ),
    Rule(
        code="PHX203",
        name="evaluator-tuple-shape",
        severity="error",
        phoenix_fails="by-value",
        summary="an evaluator returns a tuple that is not (score, label[, explanation])",
        message="evaluator returns `{type}`{origin}: Phoenix reads a tuple as {shape}; {detail}",
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks the shape of tuples returned by evaluators, annotated or read from their "
            "`return` statements."
        ),
        why_is_this_bad=(
            "Phoenix reads a returned tuple by position. A 1-tuple raises `ValueError`, items "
            "after the third are dropped, and a non-numeric first item fails `float()` at "
            "evaluation time."
        ),
        bad=(
            _sig("def f(output) -> tuple[float]:\n    return (1.0,)", "evaluator"),
            _sig("def f(output) -> tuple[str, float]:\n    return ('ok', 1.0)", "evaluator"),
            _sig(
                "def f(output, expected):\n"
                "    label = 'correct' if output == expected else 'incorrect'\n"
                "    return label, float(output == expected)",
                "evaluator",
            ),
        ),
        good=(
            _sig("def f(output) -> tuple[float, str]:\n    return (1.0, 'ok')", "evaluator"),
            _sig(
                "def f(output, expected):\n"
                "    label = 'correct' if output == expected else 'incorrect'\n"
                "    return float(output == expected), label",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX301",
        name="bound-value-type-mismatch",
        severity="warning",
        phoenix_fails="never",
        summary="a parameter annotation cannot hold the value bound to it",
        message=(
            "parameter `{param}: {annotation}` receives {value}, which `{annotation}` cannot hold; "
            "annotate it as `{suggest}`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Compares a parameter's annotation with the value Phoenix binds to it.",
        why_is_this_bad=(
            "Phoenix binds by name, not by type: `input` is always the example's input dict, even "
            "when the annotation says `str`, and a lone parameter of a task always receives the "
            "input. The annotation misleads readers and type checkers."
        ),
        bad=(
            _sig("def f(input: str):\n    return input.upper()"),
            _sig("def f(question: str):\n    return question"),
        ),
        good=(
            _sig(
                "from typing import Any\ndef f(input: dict[str, Any]):\n"
                "    return input['question']"
            ),
        ),
    ),
    Rule(
        code="PHX401",
        name="positional-experiment-call",
        severity="error",
        phoenix_fails="before-run",
        summary="a keyword-only Phoenix experiment API called with positional arguments",
        message=(
            "`{callee}` takes keyword arguments only: this call raises TypeError; pass {args} by "
            "keyword"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Finds positional arguments to the client's keyword-only experiment functions."
        ),
        why_is_this_bad=(
            "Every `phoenix.client` experiment function and method is keyword-only; code ported "
            "from the legacy API that passes `dataset, task` positionally raises `TypeError`."
        ),
        bad=(
            _mod(
                "from phoenix.client.experiments import run_experiment\n\n"
                "def task(input):\n    return input\n\nrun_experiment(dataset, task)"
            ),
        ),
        good=(
            _mod(
                "from phoenix.client.experiments import run_experiment\n\n"
                "def task(input):\n    return input\n\nrun_experiment(dataset=dataset, task=task)"
            ),
        ),
    ),
    Rule(
        code="PHX402",
        name="legacy-experiments-import",
        severity="warning",
        phoenix_fails="never",
        summary="phoenix.experiments, removed in arize-phoenix 14",
        message=(
            "`{module}` was removed in arize-phoenix 14: use `{replacement}` from "
            "arize-phoenix-client"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Finds imports of the legacy `phoenix.experiments` module (not in a `try` whose "
            "`except` catches the ImportError: code ready for it to be gone)."
        ),
        why_is_this_bad=(
            "The module is gone from arize-phoenix 14 on, and its evaluator rules differ (2-tuples "
            "are (score, explanation), dict results are rejected)."
        ),
        bad=(_mod("from phoenix.experiments import run_experiment"),),
        good=(_mod("from phoenix.client.experiments import run_experiment"),),
    ),
    Rule(
        code="PHX403",
        name="unawaited-async-experiment",
        severity="error",
        phoenix_fails="before-run",
        summary="an AsyncClient / async_* experiment call that is not awaited",
        message=(
            "`{callee}` returns a coroutine that is never awaited: the experiment never runs; add "
            "`await`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Finds async experiment calls whose coroutine is dropped.",
        why_is_this_bad=(
            "Without `await` the coroutine is created and discarded: no example runs, and Python "
            "only prints a `RuntimeWarning` at exit."
        ),
        bad=(
            _mod(
                "from phoenix.client.experiments import async_run_experiment\n\n"
                "async def main(dataset):\n"
                "    async_run_experiment(dataset=dataset, task=lambda input: input)"
            ),
        ),
        good=(
            _mod(
                "from phoenix.client.experiments import async_run_experiment\n\n"
                "async def main(dataset):\n"
                "    await async_run_experiment(dataset=dataset, task=lambda input: input)"
            ),
        ),
    ),
    Rule(
        code="PHX404",
        name="duplicate-evaluator-name",
        severity="warning",
        phoenix_fails="never",
        summary="two evaluators in one call share a name",
        message=(
            "evaluators {first} and {second} are both named `{evaluator}`: Phoenix keeps only the "
            "last one; name them apart ({advice})"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Finds evaluators in one call that Phoenix would name alike.",
        why_is_this_bad=(
            "The client names evaluators by function name and silently keeps one of each name (the "
            "legacy API raises). Two partials of one function are the classic case."
        ),
        bad=(
            _mod(
                "from functools import partial\n"
                "from phoenix.client.experiments import run_experiment\n\n"
                "def score(output, threshold=0.5):\n    return output > threshold\n\n"
                "run_experiment(dataset=ds, task=lambda input: 1,\n"
                "               evaluators=[partial(score, threshold=0.2),"
                " partial(score, threshold=0.8)])"
            ),
        ),
        good=(
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
        code="PHX405",
        name="invalid-evaluator-kind",
        severity="error",
        phoenix_fails="before-run",
        summary='create_evaluator(kind=...) is not "CODE" or "LLM"',
        message=(
            "`create_evaluator(kind={kind})` is not a valid kind: Phoenix raises ValueError when "
            'the module is imported; use "CODE" or "LLM"'
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Checks the `kind` given to `create_evaluator`.",
        why_is_this_bad=(
            "Phoenix accepts only CODE and LLM (any case); anything else raises `ValueError: "
            "'HUMAN' is not a valid AnnotatorKind` at decoration time."
        ),
        bad=(
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator(kind='HUMAN')\ndef f(output):\n    return 1.0"
            ),
        ),
        good=(
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator(kind='CODE')\ndef f(output):\n    return 1.0"
            ),
        ),
    ),
    Rule(
        code="PHX406",
        name="bare-create-evaluator",
        severity="error",
        phoenix_fails="every-example",
        summary="@create_evaluator used without parentheses",
        message="`@create_evaluator` without parentheses: {consequence}; write `{suggest}`",
        fix_title="Add `()`",
        fix_safety="safe",
        what_it_does=(
            "Finds `create_evaluator` used as a bare decorator: the client's, and "
            "`phoenix.evals.create_evaluator`, whose `name` is required."
        ),
        why_is_this_bad=(
            "`create_evaluator` is a decorator factory. The client's, used bare, returns a "
            "function named `wrapper` that treats the task output as the function to wrap. "
            "phoenix.evals' takes the function as its `name` and leaves its inner decorator "
            "`deco(fn)` in the def's place. Either way every evaluation fails with `TypeError: "
            "... is not a callable object`, after the tasks ran."
        ),
        bad=(
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator\ndef f(output):\n    return 1.0"
            ),
            _sig(
                "from phoenix.evals import create_evaluator\n\n"
                "@create_evaluator\ndef f(output):\n    return 1.0",
                "evaluator",
            ),
        ),
        good=(
            _mod(
                "from phoenix.client.experiments import create_evaluator\n\n"
                "@create_evaluator()\ndef f(output):\n    return 1.0"
            ),
            _sig(
                "from phoenix.evals import create_evaluator\n\n"
                "@create_evaluator(name='f')\ndef f(output):\n    return 1.0",
                "evaluator",
            ),
        ),
    ),
    # ----------------------------------------------------------------------------------------
    # phoenix.evals evaluators (the measured table is at EVALS_PROFILES above)
    Rule(
        code="PHX407",
        name="removed-evals-api",
        severity="error",
        phoenix_fails="before-run",
        summary=(
            "an import of the evals-1.0 API (`llm_classify`, `OpenAIModel`, "
            "`phoenix.evals.models`...) that arize-phoenix-evals 3.0 removed"
        ),
        message=(
            "`{name}` was removed in arize-phoenix-evals {removed_in}: the import raises "
            "ImportError; {advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Finds imports of modules and names of the evals-1.0 API that arize-phoenix-evals "
            "3.0 removed: `llm_classify`, `llm_generate`, `run_evals`, the model classes "
            "(`OpenAIModel`...), the old evaluators (`HallucinationEvaluator`, `QAEvaluator`... "
            "from `phoenix.evals`), the prompt-template constants, and the modules "
            "`phoenix.evals.models`, `phoenix.evals.legacy`, `phoenix.evals.templates`... The "
            "message names the replacement. Not reported when `phoenix-evals-version` is older "
            "than the release that removed the name, nor in a `try` whose `except` catches the "
            "ImportError."
        ),
        why_is_this_bad=(
            "Older docs, notebooks and blog posts still show the evals-1.0 API. With "
            "arize-phoenix-evals 3 installed the import fails with `ImportError`, and the "
            "replacements differ in more than the name: the prebuilt metrics take `llm=` (a "
            "`phoenix.evals.LLM`) where the old evaluators took `model=`, and they read "
            "their fields by name from what Phoenix hands them."
        ),
        bad=(
            _mod("from phoenix.evals import OpenAIModel, llm_classify"),
            _mod("from phoenix.evals.models import OpenAIModel"),
        ),
        good=(_mod("from phoenix.evals import LLM, ClassificationEvaluator, evaluate_dataframe"),),
    ),
    Rule(
        code="PHX408",
        name="empty-evaluators",
        severity="error",
        phoenix_fails="before-run",
        summary="`evaluators=[]` (or `{}`, `()`) handed to a runner that rejects it",
        message=(
            "`{callee}` is handed no evaluators (an empty {shape}): Phoenix raises `ValueError: "
            "Must specify at least one evaluator` {when}; {advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Finds an empty list, tuple or dict given as the evaluators of the client's "
            "`run_experiment`, `evaluate_experiment` or `resume_evaluation`, or of the legacy "
            "`evaluate_experiment` (`resume_experiment` and the legacy `run_experiment` skip "
            "it)."
        ),
        why_is_this_bad=(
            "An empty collection is not `None`: the client's `run_experiment` runs (and, "
            "outside a dry run, uploads) every task, and only then refuses to evaluate, so the "
            "whole run's cost is paid for an error. Code that builds the list conditionally "
            "passes `evaluators or None`."
        ),
        bad=(
            _mod(
                "from phoenix.client.experiments import run_experiment\n\n"
                "run_experiment(dataset=ds, task=lambda input: 1, evaluators=[])"
            ),
        ),
        good=(
            _mod(
                "from phoenix.client.experiments import run_experiment\n\n"
                "run_experiment(dataset=ds, task=lambda input: 1, evaluators=None)"
            ),
        ),
    ),
    Rule(
        code="PHX501",
        name="evals-unresolved-field",
        severity="error",
        phoenix_fails="every-example",
        summary=(
            "a required field of a phoenix.evals evaluator that no binding keyword and no input "
            "mapping supplies"
        ),
        message=(
            "phoenix.evals {source} field{s} {names} {is_are} {unbound} and not "
            "mapped: every evaluation fails with `ValueError: Path not found: {first}`{detail} "
            "{when}; "
            "{advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks that every required field of a phoenix.evals evaluator (a "
            "`create_evaluator` function's parameter, a prompt template's variable, a prebuilt "
            "metric's input schema field) is a binding keyword or is supplied by its input "
            "mapping."
        ),
        why_is_this_bad=(
            "The client hands a phoenix.evals evaluator the binding keywords (`input`, `output`, "
            "`expected`, `reference`, `metadata`, `example`, `trace_id`) and the evaluator looks "
            "each field up by name or through its `input_mapping`. A field found neither way "
            "raises `ValueError: Path not found` on every evaluation, only after the tasks ran. "
            "Unlike a plain function evaluator there is no single-parameter fallback: "
            "`def f(x)` fails too."
        ),
        bad=(
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(question, answer):\n"
                "    return answer in question",
                "evaluator",
            ),
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(question, answer):\n"
                "    return answer in question\n\n"
                "f = bind_evaluator(evaluator=g, input_mapping={'question': 'input.question'})",
                "evaluator",
            ),
            _sig(_EVALS + "@create_evaluator(name='f')\ndef f(x):\n    return 1.0", "evaluator"),
        ),
        good=(
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(output, expected):\n"
                "    return output == expected",
                "evaluator",
            ),
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(question, answer):\n"
                "    return answer in question\n\n"
                "f = bind_evaluator(\n    evaluator=g,\n"
                "    input_mapping={'question': 'input.question', 'answer': 'output'},\n)",
                "evaluator",
            ),
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(output, context: str = 'none'):\n"
                "    return 1.0",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX502",
        name="evals-variadic-field",
        severity="error",
        phoenix_fails="every-example",
        summary="`*args` / `**kwargs` on a phoenix.evals function evaluator",
        message="`{kind}{param}` {reason}: every evaluation fails with {error} {when}; {advice}",
        fix_title=None,
        fix_safety=None,
        what_it_does="Finds `*args` and `**kwargs` on functions decorated with "
        "`phoenix.evals.create_evaluator`.",
        why_is_this_bad=(
            "phoenix.evals builds its input schema from the function's parameters by name: "
            "`**kwargs` is a required field named `kwargs`, not a catch-all, so every "
            "evaluation raises `ValueError: Path not found: kwargs`. The function is then called "
            "with `**fields`, so a `*input` cannot receive its value either."
        ),
        bad=(
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(output, **kwargs):\n"
                "    return kwargs.get('expected') == output",
                "evaluator",
            ),
        ),
        good=(
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(output, expected):\n"
                "    return expected == output",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX503",
        name="evals-positional-only-field",
        severity="error",
        phoenix_fails="every-example",
        summary="a positional-only parameter on a phoenix.evals function evaluator",
        message=(
            "field{s} {names} {is_are} positional-only: phoenix.evals calls the function with "
            "every field by keyword, so every evaluation fails with TypeError {when}; remove "
            "the `/`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Finds positional-only parameters on functions decorated with "
        "`phoenix.evals.create_evaluator`.",
        why_is_this_bad=(
            "phoenix.evals validates the fields and calls the function as `fn(**fields)`, "
            "defaulted fields included: a positional-only parameter cannot take its keyword, "
            "and every evaluation raises `TypeError: ... positional-only arguments passed as "
            "keyword arguments`."
        ),
        bad=(
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(output, /):\n    return 1.0",
                "evaluator",
            ),
        ),
        good=(
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(*, output):\n    return 1.0",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX504",
        name="evals-mapping-path-not-found",
        severity="error",
        phoenix_fails="every-example",
        summary="an input mapping path whose root is not a binding keyword, for a required field",
        message=(
            "input mapping `{param}: {value}` starts at `{root}`, which is {unbound}: "
            "every evaluation fails with `ValueError: Path not found: {path}` {when}; {advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks that each path in a phoenix.evals input mapping starts at a binding keyword "
            "(`input.question`, `expected.answer`, `$.metadata.source`)."
        ),
        why_is_this_bad=(
            "A mapping path is looked up in the keywords the client passes. A path that starts "
            "elsewhere (`inputs.question`, a dataset column name) is never found: a required "
            "field then fails every evaluation with `Path not found`."
        ),
        bad=(
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(question):\n    return 1.0\n\n"
                "f = bind_evaluator(evaluator=g, input_mapping={'question': 'inputs.question'})",
                "evaluator",
            ),
        ),
        good=(
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(question):\n    return 1.0\n\n"
                "f = bind_evaluator(evaluator=g, input_mapping={'question': 'input.question'})",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX505",
        name="evals-mapping-function",
        severity="error",
        phoenix_fails="every-example",
        summary="an input mapping function that phoenix.evals cannot call with the keywords",
        message=(
            "input mapping function for `{param}` {reason}: every evaluation fails with "
            "{error} {when}; {advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Checks the parameters of functions (lambdas included) in a phoenix.evals input "
            "mapping."
        ),
        why_is_this_bad=(
            "phoenix.evals calls a mapping function with the keywords by name: one parameter "
            "gets the keyword it is named after, or else the whole keyword dict; with two or "
            "more, each is looked up by name. A function without parameters raises "
            "`ValueError`, a required parameter named after no keyword `TypeError`, on every "
            "evaluation."
        ),
        bad=(
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(question):\n    return 1.0\n\n"
                "f = bind_evaluator(\n    evaluator=g,\n"
                "    input_mapping={'question': lambda input, row: input['question']},\n)",
                "evaluator",
            ),
        ),
        good=(
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(question):\n    return 1.0\n\n"
                "f = bind_evaluator(\n    evaluator=g,\n"
                "    input_mapping={'question': lambda input: input['question']},\n)",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX506",
        name="evals-field-type-mismatch",
        severity="error",
        phoenix_fails="every-example",
        summary="a phoenix.evals field annotation that cannot hold the value it receives",
        message=(
            "field `{param}: {annotation}` receives {value}: phoenix.evals validates it and "
            "every evaluation fails with `ValueError: Input validation failed` {when}; {advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Compares the annotation of each phoenix.evals field with the binding keyword it "
            "receives (by name, or mapped to the whole keyword)."
        ),
        why_is_this_bad=(
            "phoenix.evals validates its fields with pydantic before calling the function. "
            "The client's `expected` is the example's expected-output dict, not a string: a "
            "field `expected: str` (as in `metrics.exact_match`) fails validation on every "
            "evaluation. Map a path into the dict instead (`expected.answer`)."
        ),
        bad=(
            _sig(
                _EVALS + "@create_evaluator(name='f')\ndef f(output, expected: str):\n"
                "    return output == expected",
                "evaluator",
            ),
        ),
        good=(
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(output, expected: str):\n"
                "    return output == expected\n\n"
                "f = bind_evaluator(evaluator=g, input_mapping={'expected': 'expected.answer'})",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX507",
        name="evals-mapping-ignored",
        severity="warning",
        phoenix_fails="never",
        summary="an input mapping path that is never found, for a field with a default",
        message=(
            "input mapping `{param}: {value}` starts at `{root}`, which is {unbound}: "
            "phoenix.evals never finds it and silently uses the default of `{param}`; {advice}"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=("Finds mapping paths for optional fields that start at no binding keyword."),
        why_is_this_bad=(
            "For a field with a default, phoenix.evals drops a mapping path it cannot find "
            "without a word: the evaluator silently scores with the default instead of the data "
            "the mapping meant."
        ),
        bad=(
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(output, context=''):\n"
                "    return 1.0\n\n"
                "f = bind_evaluator(evaluator=g, input_mapping={'context': 'inputs.context'})",
                "evaluator",
            ),
        ),
        good=(
            _sig(
                _EVALS + "@create_evaluator(name='g')\ndef g(output, context=''):\n"
                "    return 1.0\n\n"
                "f = bind_evaluator(evaluator=g, input_mapping={'context': 'input.context'})",
                "evaluator",
            ),
        ),
    ),
    Rule(
        code="PHX508",
        name="positional-bind-evaluator",
        severity="warning",
        phoenix_fails="never",
        summary="`phoenix.evals.bind_evaluator` called with positional arguments (deprecated)",
        message=(
            "`{callee}` with positional arguments is deprecated (DeprecationWarning) and will "
            "stop working in a future arize-phoenix-evals; pass {args} by keyword"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does="Finds positional arguments to `phoenix.evals.bind_evaluator`.",
        why_is_this_bad=(
            "arize-phoenix-evals 3.x warns on every positional call of `bind_evaluator` and "
            "announces that the positional form will be removed: write "
            "`bind_evaluator(evaluator=..., input_mapping=...)`."
        ),
        bad=(
            _mod(
                _EVALS + "@create_evaluator(name='g')\ndef g(question):\n    return 1.0\n\n"
                "f = bind_evaluator(g, {'question': 'input.question'})"
            ),
        ),
        good=(
            _mod(
                _EVALS + "@create_evaluator(name='g')\ndef g(question):\n    return 1.0\n\n"
                "f = bind_evaluator(evaluator=g, input_mapping={'question': 'input.question'})"
            ),
        ),
    ),
    Rule(
        code="PHX509",
        name="evals-no-input-fields",
        severity="error",
        phoenix_fails="every-example",
        summary="a phoenix.evals evaluator class without an input schema and without a mapping",
        message=(
            "phoenix.evals evaluator{evaluator} has no input schema and no input mapping: every "
            "evaluation fails with `ValueError: Cannot determine input fields` {when}; pass "
            "`input_schema=` (a pydantic model of its fields) to `Evaluator.__init__`, or bind "
            "a mapping with `bind_evaluator(evaluator=..., input_mapping=...)`"
        ),
        fix_title=None,
        fix_safety=None,
        what_it_does=(
            "Finds instances of a user's `phoenix.evals.Evaluator` subclass that state no input "
            "fields: no `input_schema` and no bound input mapping."
        ),
        why_is_this_bad=(
            "phoenix.evals takes an evaluator's required fields from its input schema, or "
            "without one from its input mapping's keys. With neither it cannot tell them and "
            "raises `ValueError` on every evaluation, after the tasks ran."
        ),
        bad=(
            _sig(
                "from phoenix.evals import Evaluator, Score\n\n"
                "class Length(Evaluator):\n"
                "    def __init__(self):\n"
                "        super().__init__(name='length', kind='code')\n\n"
                "    def _evaluate(self, eval_input):\n"
                "        return [Score(name='length', score=len(str(eval_input['output'])))]\n\n"
                "f = Length()",
                "evaluator",
            ),
        ),
        good=(
            _sig(
                "from phoenix.evals import Evaluator, Score, bind_evaluator\n\n"
                "class Length(Evaluator):\n"
                "    def __init__(self):\n"
                "        super().__init__(name='length', kind='code')\n\n"
                "    def _evaluate(self, eval_input):\n"
                "        return [Score(name='length', score=len(str(eval_input['output'])))]\n\n"
                "f = bind_evaluator(evaluator=Length(), input_mapping={'output': 'output'})",
                "evaluator",
            ),
        ),
    ),
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}
# Rules whose error means Phoenix cannot bind or call the callable at all (the binder raises).
BINDING_RULES = frozenset({"PHX001", "PHX002", "PHX003", "PHX004", "PHX005", "PHX007"})


def rule(code_or_name: str) -> Rule:
    """Look a rule up by code (`PHX002`) or name (`unbindable-parameter`)."""
    key = code_or_name.strip()
    found = RULES_BY_CODE.get(key.upper()) or RULES_BY_NAME.get(key.lower())
    if found is None:
        raise KeyError(code_or_name)
    return found
