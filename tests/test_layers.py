"""The folders are layers: each imports only from the rule core and the folders below it, and
no module imports another in a circle (imports inside functions count)."""

from __future__ import annotations

import graphlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from structure import layer_graph, module_graph  # noqa: E402

CORE = "phx_tasklint.core"
# what each layer may import, besides itself
ALLOWED = {
    CORE: set(),
    "phx_tasklint.project": {CORE},
    "phx_tasklint.lint": {CORE},
    "phx_tasklint.runtime": {CORE},
    "phx_tasklint.cli": {CORE, "phx_tasklint.project", "phx_tasklint.lint", "phx_tasklint.runtime"},
    "mypy_plugin": {CORE, "phx_tasklint.project"},
    "phx_tasklint": {CORE, "phx_tasklint.runtime"},  # the public API, loaded on first use
    "phx_tasklint.mypy": {"mypy_plugin"},
    "phx_tasklint.__main__": {"phx_tasklint.cli"},
    "phx_tasklint.pytest_plugin": {CORE, "phx_tasklint.runtime"},  # the opt-in guard at collection
    "phx_tasklint.pytest_options": set(),  # the entry point: options only, loads the plugin by name
}


def test_each_layer_imports_only_the_layers_below_it() -> None:
    graph = layer_graph(ROOT)
    assert set(graph) == set(ALLOWED), "a new folder or top-level module needs a place here"
    wrong = {layer: sorted(graph[layer] - ALLOWED[layer]) for layer in graph}
    assert {layer: found for layer, found in wrong.items() if found} == {}


def test_no_module_imports_in_a_circle() -> None:
    graph = module_graph(ROOT)
    assert len(graph) > 40
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the circle


def test_the_checks_can_fail() -> None:
    """The walker sees imports inside functions, and a circle is found."""
    graph = module_graph(ROOT)
    assert "phx_tasklint.lint.engine" in graph["phx_tasklint.cli.analysis"]  # a lazy import
    graph[CORE + ".spec"] = {*graph[CORE + ".spec"], "phx_tasklint.cli.pipeline"}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError:
        return
    raise AssertionError("a circle through the rule table went unnoticed")
