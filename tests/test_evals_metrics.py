"""The phoenix.evals data the spec holds, against the installed arize-phoenix-evals: the
generated prebuilt-metric table is what bench/evals_metrics.py measures today, and every
evals-1.0 name PHX407 reports is really gone while its replacement is really there."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from phx_tasklint.core import judge, spec
from phx_tasklint.core.evals_metrics import EVALS_VERSION

ROOT = Path(__file__).resolve().parent.parent
evals = pytest.importorskip("phoenix.evals", reason="arize-phoenix-evals is not installed")
sys.path.insert(0, str(ROOT / "bench"))
import evals_metrics as generator  # noqa: E402

INSTALLED = generator.installed_version()
same_release = pytest.mark.skipif(
    INSTALLED != EVALS_VERSION,
    reason=f"the metric table records arize-phoenix-evals {EVALS_VERSION}, {INSTALLED} is "
    "installed: regenerate it with `python bench/evals_metrics.py` when upgrading",
)


@same_release
def test_committed_metric_table_is_what_the_installed_package_gives() -> None:
    committed = generator.TARGET.read_text(encoding="utf-8")
    assert generator.render() == committed, "run `python bench/evals_metrics.py`"


@same_release
def test_every_exported_metric_is_in_the_table_by_every_import_path() -> None:
    metrics = importlib.import_module("phoenix.evals.metrics")
    for name in metrics.__all__:
        assert f"phoenix.evals.metrics.{name}" in spec.EVALS_METRICS_BY_NAME, name
    exact = spec.EVALS_METRICS_BY_NAME["phoenix.evals.metrics.exact_match.exact_match"]
    assert exact.ready and exact.kind == "code"
    assert [(f.name, f.required, f.type) for f in exact.fields] == [
        ("output", True, "str"),
        ("expected", True, "str"),
    ]
    correctness = spec.EVALS_METRICS_BY_NAME["phoenix.evals.metrics.CorrectnessEvaluator"]
    assert not correctness.ready and correctness.constructor_required == ("llm",)
    assert "name" in correctness.constructor_reserved


def test_async_only_is_read_from_the_evaluator() -> None:
    create_evaluator: Any = evals.create_evaluator

    @create_evaluator(name="sync")
    def sync(output: str) -> float:
        return 1.0

    @create_evaluator(name="async")
    async def async_(output: str) -> float:
        return 1.0

    assert not generator.async_only(sync)
    assert generator.async_only(async_)


@pytest.mark.parametrize(
    ("annotation", "spelled"),
    [
        (str, "str"),
        (list[str | int], "list[str | int]"),
        (dict[str, Any], "dict[str, Any]"),
        (tuple[int, ...], "tuple[int, ...]"),
        (Any, "Any"),
        (Path, "pathlib.Path"),
    ],
)
def test_annotations_are_spelled_as_python_reads_them(annotation: object, spelled: str) -> None:
    assert generator.spell(annotation) == spelled


def _exists(qualified: str) -> bool:
    """Does `qualified` import: a module, or a name of an importable module?"""
    module, _, name = qualified.rpartition(".")
    try:
        if importlib.util.find_spec(qualified) is not None:
            return True
    except ModuleNotFoundError:
        pass
    try:
        return hasattr(importlib.import_module(module), name)
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("removed", spec.REMOVED_EVALS_API, ids=lambda r: r.name)
def test_removed_api_is_gone_and_its_replacement_is_there(removed: spec.RemovedEvalsApi) -> None:
    assert not _exists(removed.name)
    if removed.replacement is not None:
        assert _exists(removed.replacement), removed.replacement
        assert removed.replacement.rsplit(".", 1)[-1] in removed.advice


def codes(module: str, names: tuple[str, ...] = (), version: str | None = None) -> list[str]:
    return [f"{d.code}:{d.item}" for d in judge.check_import(module, names, evals_version=version)]


def test_a_removed_name_is_reported_at_its_place_among_the_imported_names() -> None:
    assert codes("phoenix.evals", ("LLM", "llm_classify", "evaluate_dataframe")) == ["PHX407:1"]
    assert codes("phoenix.evals.models") == ["PHX407:None"]
    # a removed module is reported once, not again for each name taken from it
    assert codes("phoenix.evals.models", ("OpenAIModel", "AnthropicModel")) == ["PHX407:None"]
    assert codes("phoenix.evals", ("models",)) == ["PHX407:0"]
    assert codes("phoenix.evals.metrics", ("HallucinationEvaluator",)) == []
    assert codes("phoenix.evals.evaluators", ("LLMEvaluator", "QAEvaluator")) == ["PHX407:1"]


def test_a_release_that_still_has_the_name_is_not_reported() -> None:
    assert codes("phoenix.evals", ("llm_classify",), "2.13") == []
    assert codes("phoenix.evals", ("llm_classify",), "2.x") == []
    assert codes("phoenix.evals", ("llm_classify",), "3.0") == ["PHX407:0"]
    assert codes("phoenix.evals", ("llm_classify",), "latest") == ["PHX407:0"]


def test_the_message_names_the_replacement() -> None:
    (d,) = judge.check_import("phoenix.evals", ("OpenAIModel",))
    assert "`phoenix.evals.OpenAIModel` was removed in arize-phoenix-evals 3.0" in d.message
    assert "ImportError" in d.message and "`LLM(" in d.message


@same_release
def test_linter_says_what_the_binder_says_of_each_prebuilt_metric() -> None:
    """Each metric handed over as it is (an instance, or its class built with no argument but a
    model):
    the linter, reading the table, and the runtime binder, reading the live schema, give the
    same findings word for word."""
    from phx_tasklint.runtime import binder
    from tests.test_evals_lint import run_lint

    class StubModel:
        model = "stub"

    metrics = importlib.import_module("phoenix.evals.metrics")
    compared = 0
    for name in metrics.__all__:
        metric = spec.EVALS_METRICS_BY_NAME[f"phoenix.evals.metrics.{name}"]
        if metric.ready:
            written, live = f"metrics.{name}", getattr(metrics, name)
        elif not metric.constructor_required:
            written, live = f"metrics.{name}()", getattr(metrics, name)()
        elif metric.constructor_required == ("llm",):  # a model that is never called
            written, live = f"metrics.{name}(llm=llm)", getattr(metrics, name)(llm=StubModel())
        else:
            continue
        said = sorted(
            (f.diagnostic.code, f.diagnostic.message) for f in run_lint("", written).findings
        )
        found = binder.check_callable(live, "evaluator")
        assert said == sorted((d.code, d.message) for d in found), name
        compared += 1
    assert compared >= 15
