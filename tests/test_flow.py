"""A name at a hand-off stands for the binding that reaches it when Python runs the code (in
cell order for notebooks, fence order for Markdown); experiment code reached through objects
(`client.experiments`, `self.client`, `self.task`, an instance's client, an unbuilt client)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from phx_tasklint.lint import Report, lint, sources
from phx_tasklint.lint.definitions import OUTSIDE_REASON
from phx_tasklint.lint.modules import (
    BEFORE_ANY_BINDING,
    ON_DIFFERENT_PATHS,
    OUTSIDE_THE_FUNCTION,
    Module,
)
from phx_tasklint.lint.resolve import UNBOUND_REASON

ROOT = Path(__file__).resolve().parent.parent


class _Config:
    phoenix_version = "latest"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()


def run(text: str, path: str = "flow.py") -> Report:
    source = sources.from_bytes(textwrap.dedent(text).encode(), path)
    return lint([source], _Config())


def found(report: Report) -> set[tuple[int, str]]:
    return {(f.location.line, f.diagnostic.code) for f in report.findings}


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the only line of `text` containing `marker`."""
    lines = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if marker in line]
    assert len(lines) == 1, (marker, lines)
    return lines[0]


# --------------------------------------------------------------------------------------------
# the definition that reaches the call

REDEFINED = """\
from phoenix.client import Client

client = Client()


def solve(input, question):  # sync, broken
    return question


client.experiments.run_experiment(dataset=ds, task=solve)  # between: the sync one


async def solve(input):  # async
    return input


client.experiments.run_experiment(dataset=ds, task=solve)  # after: the async one
"""


def test_a_call_uses_the_def_that_ran_last_before_it() -> None:
    report = run(REDEFINED)
    assert found(report) == {
        (line_of(REDEFINED, "# sync, broken"), "PHX002"),
        (line_of(REDEFINED, "# async"), "PHX006"),
    }
    assert not report.skipped
    codes = {h.line: h.codes for h in report.handoffs}
    assert codes == {
        line_of(REDEFINED, "# between"): ("PHX002",),
        line_of(REDEFINED, "# after"): ("PHX006",),
    }


def test_a_def_no_call_reaches_is_not_judged() -> None:
    text = REDEFINED.replace(
        "client.experiments.run_experiment(dataset=ds, task=solve)  # between: the sync one", ""
    )
    assert found(run(text)) == {(line_of(text, "# async"), "PHX006")}


def _notebook(cells: list[str]) -> bytes:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "cells": [
                {"cell_type": "code", "metadata": {}, "source": c, "outputs": []} for c in cells
            ],
        }
    ).encode()


def test_redefinition_in_a_notebook_follows_cell_order(tmp_path: Path) -> None:
    path = tmp_path / "solve.ipynb"
    path.write_bytes(
        _notebook(
            [
                "from phoenix.client import Client\nclient = Client()",
                "def solve(input, question):\n    return question",
                "client.experiments.run_experiment(dataset=ds, task=solve)",
                "async def solve(input):\n    return input",
                "client.experiments.run_experiment(dataset=ds, task=solve)",
            ]
        )
    )
    report = lint([sources.load(path, "solve.ipynb")], _Config())
    assert {(f.location.cell, f.location.line, f.diagnostic.code) for f in report.findings} == {
        (2, 1, "PHX002"),
        (4, 1, "PHX006"),
    }
    assert sorted((h.line, h.codes) for h in report.handoffs) == [
        (1, ("PHX002",)),
        (1, ("PHX006",)),
    ]


MARKDOWN = """\
# A guide that redefines its task

```python
from phoenix.client import Client

client = Client()

def solve(input, question):
    return question

client.experiments.run_experiment(dataset=ds, task=solve)
```

Better, an async task:

```python
async def solve(input):
    return input
```

```python
client.experiments.run_experiment(dataset=ds, task=solve)
```
"""


def test_redefinition_in_markdown_follows_fence_order() -> None:
    report = run(MARKDOWN, "guide.md")
    assert found(report) == {
        (line_of(MARKDOWN, "def solve(input, question)"), "PHX002"),
        (line_of(MARKDOWN, "async def solve"), "PHX006"),
    }


def test_branches_that_bind_differently_are_skipped() -> None:
    report = run(
        """\
        from phoenix.client import Client

        if fast:
            def task(input, question):
                return question
        else:
            async def task(input):
                return input

        Client().experiments.run_experiment(dataset=ds, task=task)
        """
    )
    assert not report.findings and not report.handoffs
    assert report.skipped == {ON_DIFFERENT_PATHS: 1}


def test_branches_that_agree_resolve() -> None:
    text = """\
        from phoenix.client import Client

        async def task(input):  # expected
            return input

        if fast:
            chosen = task
        else:
            chosen = task

        Client().experiments.run_experiment(dataset=ds, task=chosen)
        """
    assert found(run(text)) == {(line_of(text, "# expected"), "PHX006")}


def test_a_branch_that_raises_leaves_its_binding_behind() -> None:
    text = """\
        from phoenix.client import Client

        def task(input, question):  # reached
            return question

        if broken:
            async def task(input):
                return input
            raise SystemExit(1)

        Client().experiments.run_experiment(dataset=ds, task=task)
        """
    assert found(run(text)) == {(line_of(text, "# reached"), "PHX002")}


def test_a_binding_later_in_a_loop_reaches_an_earlier_use() -> None:
    report = run(
        """\
        from phoenix.client import Client

        def task(input):
            return input

        for attempt in range(3):
            Client().experiments.run_experiment(dataset=ds, task=task)
            async def task(input):
                return input
        """
    )
    assert not report.handoffs
    assert report.skipped == {ON_DIFFERENT_PATHS: 1}


def test_a_loop_left_by_break_passes_on_what_its_body_bound() -> None:
    text = """\
        from phoenix.client import Client

        def task(input):
            return input

        while True:
            async def task(input):  # the only one after the loop
                return input
            break

        Client().experiments.run_experiment(dataset=ds, task=task)
        """
    assert found(run(text)) == {(line_of(text, "# the only one"), "PHX006")}


def test_a_function_body_sees_every_binding_of_the_module() -> None:
    report = run(
        """\
        from phoenix.client import Client

        def task(input):
            return input

        def main():
            Client().experiments.run_experiment(dataset=ds, task=task)

        async def task(input):
            return input
        """
    )
    assert not report.handoffs
    assert report.skipped == {OUTSIDE_THE_FUNCTION: 1}


def test_a_function_body_with_one_module_binding_resolves() -> None:
    text = """\
        from phoenix.client import Client

        async def task(input):  # the one
            return input

        def main():
            Client().experiments.run_experiment(dataset=ds, task=task)
        """
    assert found(run(text)) == {(line_of(text, "# the one"), "PHX006")}


LEGACY_THEN_CLIENT = """\
from phoenix.experiments import run_experiment  # legacy

def task(input):
    return input

run_experiment(dataset, task)  # legal in the legacy module

from phoenix.client.experiments import run_experiment

run_experiment(dataset, task)  # the client's: keyword-only
"""


def test_a_reimport_changes_the_runner_from_there_on() -> None:
    report = run(LEGACY_THEN_CLIENT)
    assert found(report) == {
        (line_of(LEGACY_THEN_CLIENT, "# legacy"), "PHX402"),
        (line_of(LEGACY_THEN_CLIENT, "# the client's"), "PHX401"),
    }
    # the legacy call hands its task over positionally; the client's call hands nothing over
    [handoff] = report.handoffs
    assert handoff.line == line_of(LEGACY_THEN_CLIENT, "# legal in the legacy module")
    assert handoff.context.profile == "legacy"


def test_the_same_reimport_in_markdown() -> None:
    text = (
        "Old API:\n\n```python\n"
        + LEGACY_THEN_CLIENT.replace(
            "from phoenix.client", "```\n\nNew API:\n\n```python\nfrom phoenix.client"
        )
        + "```\n"
    )
    assert found(run(text, "page.md")) == {
        (line_of(text, "# legacy"), "PHX402"),
        (line_of(text, "# the client's"), "PHX401"),
    }


def test_a_runner_on_one_path_only_is_not_judged() -> None:
    report = run(
        """\
        try:
            from phoenix.client.experiments import run_experiment
        except ImportError:
            from phoenix.experiments import run_experiment

        run_experiment(dataset, task)
        """
    )
    assert {code for _, code in found(report)} == {"PHX402"}
    assert not report.handoffs


# --------------------------------------------------------------------------------------------
# objects

OBJECTS = """\
from phoenix.client import AsyncClient, Client


async def async_task(input):  # async task
    return input


def task(input):
    return input


def through_experiments(dataset):
    exps = Client().experiments
    exps.run_experiment(dataset=dataset, task=async_task)  # exps


def through_a_bound_method(dataset):
    run = Client().experiments.run_experiment
    run(dataset=dataset, task=async_task)  # alias
    run(dataset, task)  # positional alias


class Runner:
    def __init__(self):
        self.client = Client()

    def task(self, input, question):  # method task
        return question

    def no_params(self):  # judged without self
        return 1

    @staticmethod
    def static_task(input, question):  # static task
        return question

    @classmethod
    def class_task(cls, input, question):  # class task
        return question

    def run(self, dataset):
        self.client.experiments.run_experiment(dataset=dataset, task=self.task)
        self.client.experiments.run_experiment(dataset=dataset, task=self.no_params)
        self.client.experiments.run_experiment(dataset=dataset, task=self.static_task)
        self.client.experiments.run_experiment(dataset=dataset, task=self.class_task)


class Holder:
    client = AsyncClient()


def through_instances(dataset):
    r = Runner()
    r.client.experiments.run_experiment(dataset=dataset, task=async_task)  # instance
    Holder().client.experiments.run_experiment(dataset=dataset, task=task)  # class attribute
"""


def test_objects_that_reach_a_runner() -> None:
    report = run(OBJECTS)
    at = lambda marker: line_of(OBJECTS, marker)  # noqa: E731
    assert found(report) == {
        (at("# async task"), "PHX006"),
        (at("# positional alias"), "PHX401"),
        (at("# method task"), "PHX002"),
        (at("# judged without self"), "PHX001"),
        (at("# static task"), "PHX002"),
        (at("# class task"), "PHX002"),
        (at("# class attribute"), "PHX403"),
    }
    by_line = {(h.line, h.expression): h.runner for h in report.handoffs}
    assert by_line[(at("# exps"), "async_task")] == "Client().experiments.run_experiment"
    assert by_line[(at("# alias"), "async_task")] == "Client().experiments.run_experiment"
    assert by_line[(at("# instance"), "async_task")] == "Client().experiments.run_experiment"
    assert by_line[(at("# class attribute"), "task")] == "AsyncClient().experiments.run_experiment"
    # the method's findings are placed on the method, in its own words, named by its class
    method = next(f for f in report.findings if f.location.line == at("# method task"))
    assert method.function == "Runner.task" and "question" in method.diagnostic.message
    assert not report.skipped


UNBUILT = """\
import asyncio

import phoenix as px


async def async_task(input):  # async task
    return input


px_client.experiments.run_experiment(dataset=ds, task=async_task)  # dropped
experiment = px_client.experiments.run_experiment(dataset=ds, task=async_task)  # assigned


async def main():
    await px_client.experiments.run_experiment(dataset=ds, task=async_task)  # awaited


asyncio.run(px_client.experiments.run_experiment(dataset=ds, task=async_task))  # handed on


def bound(px_client):
    px_client.experiments.run_experiment(dataset=ds, task=async_task)  # a parameter
"""


def test_a_client_bound_nowhere_is_the_kind_the_call_works_with() -> None:
    report = run(UNBUILT)
    assert found(report) == {(line_of(UNBUILT, "# async task"), "PHX006")}
    runners = {h.line: h.runner for h in report.handoffs}
    assert runners == {
        line_of(UNBUILT, "# dropped"): "Client().experiments.run_experiment",
        line_of(UNBUILT, "# assigned"): "Client().experiments.run_experiment",
        line_of(UNBUILT, "# awaited"): "AsyncClient().experiments.run_experiment",
    }


def test_an_unbuilt_client_needs_a_phoenix_import_and_no_star_import() -> None:
    call = "px_client.experiments.run_experiment(dataset=ds, task=lambda: 1)\n"
    assert run("# phoenix, in a comment only\n" + call).handoffs == []
    assert run("from phoenix.client import *\n" + call).handoffs == []
    setup = "def setup():\n    global px_client\n    px_client = make()\n"
    assert run("import phoenix\n" + setup + call).handoffs == []
    assert len(run("from phoenix.client import Client\n" + call).handoffs) == 1


UNIMPORTED_CLASS = """\
from phoenix.evals import ClassificationEvaluator


def task(input, question):  # broken task
    return question


client = Client()  # imported on another page
client.experiments.run_experiment(dataset=ds, task=task)
aclient = AsyncClient()
aclient.experiments.run_experiment(dataset=ds, task=task)  # not awaited
"""


def test_a_client_class_imported_nowhere_in_a_phoenix_document_is_phoenixs() -> None:
    report = run(UNIMPORTED_CLASS)
    assert found(report) == {
        (line_of(UNIMPORTED_CLASS, "# broken task"), "PHX002"),
        (line_of(UNIMPORTED_CLASS, "# not awaited"), "PHX403"),
    }
    assert sorted(h.runner for h in report.handoffs) == [
        "AsyncClient().experiments.run_experiment",
        "Client().experiments.run_experiment",
    ]
    # a class of that name that is bound (here, defined) is not Phoenix's
    defined = "class Client:\n    pass\n\n\n" + UNIMPORTED_CLASS
    assert run(defined.replace("aclient", "# aclient")).handoffs == []
    # nor is one in a document that does not import from phoenix
    assert run(UNIMPORTED_CLASS.replace("phoenix.evals", "mylib")).handoffs == []


RETURNED_CLIENT = """\
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phoenix.client import Client


class Service:
    def __init__(self):
        self._client = self._connect()

    def _connect(self) -> "Client":
        return make_client()

    def run(self, ds):
        return self._client.experiments.run_experiment(dataset=ds, task=task)


def task(input, question):  # broken task
    return question
"""


def test_a_client_returned_by_an_annotated_method_is_followed() -> None:
    """Seen in a real service: the client comes from a method annotated with the class, which
    is imported under TYPE_CHECKING and written as a string."""
    report = run(RETURNED_CLIENT)
    assert found(report) == {(line_of(RETURNED_CLIENT, "# broken task"), "PHX002")}
    unannotated = RETURNED_CLIENT.replace(' -> "Client"', "")
    assert run(unannotated).handoffs == []


# --------------------------------------------------------------------------------------------
# the flow itself, shape by shape: which lines bind what reaches `use(x)`


def reaching_lines(text: str) -> list[int]:
    text = textwrap.dedent(text)
    module = Module(sources.from_bytes(text.encode(), "m.py"), "m", ast.parse(text))
    call = next(c for c in module.calls if isinstance(c.func, ast.Name) and c.func.id == "use")
    name = call.args[0]
    assert isinstance(name, ast.Name)
    return sorted(getattr(b.node, "lineno", 0) for b in module.reaching(name).bindings)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        pytest.param("x = 1\nx = 2\nuse(x)\n", [2], id="later-kills-earlier"),
        pytest.param("x = 1\nuse(x)\nx = 2\n", [1], id="use-between"),
        pytest.param("use(x)\nx = 1\nx = 2\n", [2, 3], id="use-above-all"),
        pytest.param("x = 1\nif c:\n    x = 2\nuse(x)\n", [1, 3], id="if-without-else"),
        pytest.param(
            "x = 1\nif c:\n    x = 2\n    y = 0\nelse:\n    x = 3\nuse(x)\n",
            [3, 6],
            id="if-else",
        ),
        pytest.param(
            "def f():\n    x = 1\n    if c:\n        x = 2\n        return\n    use(x)\n",
            [2],
            id="return-in-branch",
        ),
        pytest.param(
            "x = 1\ntry:\n    x = 2\n    x = 3\nexcept E:\n    use(x)\n", [1, 3], id="handler"
        ),
        pytest.param(
            "x = 1\ntry:\n    x = 2\nexcept E:\n    x = 3\nelse:\n    x = 4\nuse(x)\n",
            [5, 7],
            id="try-else",
        ),
        pytest.param(
            "x = 1\ntry:\n    x = 2\nfinally:\n    use(x)\n", [1, 3], id="finally-sees-all"
        ),
        pytest.param("x = 1\nwhile c:\n    use(x)\n    x = 2\n", [1, 4], id="while-next-pass"),
        pytest.param(
            "x = 1\nfor i in r:\n    if c:\n        continue\n    x = 2\nuse(x)\n",
            [1, 5],
            id="for-continue",
        ),
        pytest.param("x = 1\nfor x in r:\n    pass\nuse(x)\n", [1, 2], id="for-target"),
        pytest.param("x = 1\nwith m as x:\n    use(x)\n", [2], id="with-as"),
        pytest.param(
            "x = 1\nmatch v:\n    case 1:\n        x = 2\n    case _:\n        x = 3\nuse(x)\n",
            [4, 6],
            id="match-catch-all",
        ),
        pytest.param(
            "x = 1\nmatch v:\n    case 1:\n        x = 2\nuse(x)\n", [1, 4], id="match-no-match"
        ),
        pytest.param("x = 1\nif (x := f()):\n    use(x)\n", [1, 2], id="walrus-merged"),
        pytest.param("x = 1\ndel x\nx = 2\nuse(x)\n", [3], id="del"),
        pytest.param("x = 1\nclass C:\n    use(x)\nx = 2\n", [1], id="class-body-runs-inline"),
        pytest.param("x = 1\n@use(x)\ndef f(): pass\nx = 2\n", [1], id="decorator"),
    ],
)
def test_what_reaches_a_use(text: str, lines: list[int]) -> None:
    assert reaching_lines(text) == lines


def test_why_bindings_are_not_known_apart() -> None:
    def conflict(text: str) -> str:
        module = Module(sources.from_bytes(text.encode(), "m.py"), "m", ast.parse(text))
        call = next(c for c in module.calls if isinstance(c.func, ast.Name) and c.func.id == "use")
        assert isinstance(call.args[0], ast.Name)
        return module.reaching(call.args[0]).conflict

    assert conflict("x = 1\nif c:\n    x = 2\nuse(x)\n") == ON_DIFFERENT_PATHS
    assert conflict("x = 1\ndef f():\n    use(x)\nx = 2\n") == OUTSIDE_THE_FUNCTION
    assert conflict("use(x)\nx = 1\nx = 2\n") == BEFORE_ANY_BINDING


def test_a_module_exports_what_it_holds_at_its_end() -> None:
    text = "def f(a): pass\ndef f(b): pass\nif c:\n    def g(): pass\nelse:\n    def g(): pass\n"
    module = Module(sources.from_bytes(text.encode(), "m.py"), "m", ast.parse(text))
    f = module.top_value("f")
    assert isinstance(f, ast.FunctionDef) and f.lineno == 2
    assert module.top_value("g") is None  # two paths, two defs: not known


# --------------------------------------------------------------------------------------------
# the same output under any hash seed


def test_output_is_the_same_under_any_hash_seed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "redefined.py").write_text(REDEFINED)
    (tree / "legacy.md").write_text("```python\n" + LEGACY_THEN_CLIENT + "```\n")
    (tree / "objects.py").write_text(OBJECTS)
    (tree / "unbuilt.py").write_text(UNBUILT)
    (tree / "branches.py").write_text(
        "from phoenix.client.experiments import run_experiment as run\n"
        "from phoenix.experiments import run_experiment as old\n"
        "if c:\n    from phoenix.client.experiments import evaluate_experiment as ev\n"
        "else:\n    from phoenix.experiments import evaluate_experiment as ev\n"
        "def t(a, b): pass\n"
        "ev(experiment, [t])\nrun(ds, t)\nold(ds, t)\n"
    )
    (tree / "nb.ipynb").write_bytes(
        _notebook(
            [
                "from phoenix.client import Client",
                "def s(q): pass",
                "Client().experiments.run_experiment(s)",
            ]
        )
    )
    outputs = set()
    for seed in ("0", "1", "2", "3"):
        env = os.environ | {
            "PYTHONHASHSEED": seed,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        result = subprocess.run(
            [sys.executable, "-m", "phx_tasklint", "check", "--no-cache", "--statistics", "."],
            cwd=tree,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert result.returncode == 1, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
    text = outputs.pop().decode()
    assert "PHX006" in text and "PHX401" in text


# --------------------------------------------------------------------------------------------
# evaluator lists built from parts

PARTS = """\
from phoenix.client import Client


def good(output):
    return 1.0


def bad(output, what):  # broken evaluator
    return 1.0


def run(ds, extra=None):
    client = Client()
    client.experiments.run_experiment(dataset=ds, task=good, evaluators=[good] + [bad])
    client.experiments.run_experiment(dataset=ds, task=good, evaluators=[bad] or [])
    client.experiments.run_experiment(dataset=ds, task=good, evaluators=extra or [])  # skipped
    client.experiments.run_experiment(dataset=ds, task=good, evaluators=extra + [good])
"""


def test_evaluator_lists_added_or_defaulted_are_followed() -> None:
    report = run(PARTS)
    assert found(report) == {(line_of(PARTS, "# broken evaluator"), "PHX002")}
    assert sum(h.role == "evaluator" for h in report.handoffs) == 3  # good, bad; bad
    assert report.skipped == {
        "parameter or loop variable": 1,
        "evaluators added from a list that cannot be followed": 1,
    }


def test_a_name_bound_nowhere_in_the_file_says_so() -> None:
    """Documentation snippets use names defined on another page: not "outside the project"."""
    call = "Client().experiments.run_experiment(dataset=d, task={})\n"
    text = "from phoenix.client import Client\nimport helpers\n" + call
    assert run(text.format("nowhere")).skipped == {UNBOUND_REASON: 1}
    assert run(text.format("helpers.task")).skipped == {OUTSIDE_REASON: 1}


CAST = """\
from typing import Any, cast

from phoenix.client import Client


def bad(output, what):  # broken evaluator
    return 1.0


def run(ds):
    Client().experiments.run_experiment(dataset=ds, task=cast(Any, bad))  # as a task: fine
    Client().experiments.evaluate_experiment(experiment=ds, evaluators=cast(Any, [bad]))
"""


def test_typing_cast_is_its_value() -> None:
    report = run(CAST)
    assert found(report) == {(line_of(CAST, "# broken evaluator"), "PHX002")}
    assert report.skipped == {}


NONE_EVALUATORS = """\
from typing import Any, cast

from phoenix.client import Client

EVALS = None


def run(ds):
    Client().experiments.run_experiment(dataset=ds, task=len, evaluators=EVALS or [])
    Client().experiments.run_experiment(dataset=ds, task=len, evaluators=cast(Any, EVALS))
    Client().experiments.run_experiment(dataset=ds, task=len, evaluators=EVALS)
    Client().experiments.run_experiment(dataset=ds, task=len, evaluators=[EVALS])  # a None
"""


def test_an_argument_that_is_none_hands_over_nothing() -> None:
    """Phoenix skips `evaluators=None`, however it is spelled; a None in a list it does not."""
    report = run(NONE_EVALUATORS)
    assert found(report) == {(line_of(NONE_EVALUATORS, "# a None"), "PHX007")}


CALL_ASSIGNED = """\
from phoenix.client import Client


def score(output):
    return 1.0


class Assigned:
    __call__ = staticmethod(score)


class Plain:
    pass


Client().experiments.evaluate_experiment(experiment=e, evaluators=[Assigned()])
Client().experiments.evaluate_experiment(experiment=e, evaluators=[Plain()])  # not callable
"""


def test_a_call_bound_in_a_class_body_any_way_is_not_taken_for_none() -> None:
    report = run(CALL_ASSIGNED)
    assert found(report) == {(line_of(CALL_ASSIGNED, "# not callable"), "PHX007")}
