"""The rule table's snippets as pytest parameters, shared by every front end's tests, and what
each front end is known not to see."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from phx_tasklint.core.spec import RULES, Snippet

# Rules decided from a signature alone (every bad example is a signature); the rest need a call
# site, which only the linter sees.
SIGNATURE_RULES = frozenset(
    r.code for r in RULES if r.bad and all(s.scope == "signature" for s in r.bad)
)

Runner = Literal["client", "async-client", "module", "async-module"]

# Every snippet runs through every front end; these are the ones a front end does not report
# as the table says, by snippet id, with the reason. The tests fail when one of them starts to
# be reported as the table says (then remove it here).
NOT_SEEN: dict[str, dict[str, str]] = {
    "linter": {},
    "mypy": {
        "PHX509-bad-0": "the plugin reads create_evaluator defs and bind_evaluator calls, not "
        "a user's phoenix.evals Evaluator subclass",
        "PHX406-bad-1": "a bare `@phoenix.evals.create_evaluator` is no call the plugin hooks, "
        "and what it leaves in the def's place is typed as an Evaluator (mypy itself may reject "
        "the missing `name`)",
        "PHX000-bad-0": "mypy reports the syntax error itself and stops before any plugin hook",
        "PHX401-bad-0": "the plugin judges the callables a call hands over, not how the call "
        "passes them (mypy itself may reject the positional call)",
        "PHX402-bad-0": "the plugin hooks calls, not imports",
        "PHX407-bad-0": "the plugin hooks calls, not imports",
        "PHX407-bad-1": "the plugin hooks calls, not imports",
        "PHX403-bad-0": "the plugin returns the call's type unchanged and never sees whether the "
        "result is awaited",
        "PHX404-bad-0": "the plugin judges each evaluator on its own, never two names together",
        "PHX405-bad-0": "the plugin judges the decorated function, not the `kind` argument",
        "PHX406-bad-0": "the plugin judges what `create_evaluator(...)` decorates; a bare "
        "`@create_evaluator` is no such call (mypy itself may reject it)",
        **{
            f"{code}-bad-2": "no return annotation: mypy types the result as Any; the linter "
            "reads the `return` statements"
            for code in ("PHX201", "PHX202", "PHX203")
        },
    },
    "runtime": {
        **{
            f"{code}-bad-0": "a module-level example: the binder judges a callable, and the "
            "example hands it none"
            for code in (
                "PHX000",
                "PHX401",
                "PHX402",
                "PHX403",
                "PHX404",
                "PHX405",
                "PHX406",
                "PHX408",
                "PHX508",
            )
        },
        **{
            f"PHX407-bad-{index}": "a module-level example: the binder judges a callable, and "
            "an import hands it none"
            for index in (0, 1)
        },
        **{
            f"{code}-bad-2": "no return annotation: the binder judges annotations (`run` sees "
            "the value returned); the linter reads the `return` statements"
            for code in ("PHX201", "PHX202", "PHX203")
        },
    },
}

# Hand-off modules start with the snippet, so the snippet's lines keep their numbers.
HEADER = """\
from typing import Any

from phoenix.client import AsyncClient, Client
from phoenix.client.experiments import async_run_experiment, run_experiment

ds: Any = None


def _task(input):
    return input

"""


def snippet_id(code: str, verdict: str, index: int) -> str:
    return f"{code}-{verdict}-{index}"


def check_seen(front_end: str, case: str, code: str, verdict: str, reported: set[str]) -> None:
    """`front_end` reported `reported` on snippet `case` of rule `code`: the rule's code exactly
    when the snippet is bad and not listed in NOT_SEEN."""
    unseen = NOT_SEEN[front_end].get(case)
    if verdict == "good":
        assert code not in reported, f"{front_end} reports {code} on its good example {case}"
    elif unseen is None:
        assert code in reported, f"{front_end} misses {code} on its bad example {case}"
    else:
        assert code not in reported, (
            f"{front_end} now reports {code} on {case}: remove it from NOT_SEEN ({unseen})"
        )


def cases(scope: str | None = None) -> list[Any]:
    """One pytest param per (rule, bad|good, snippet) of the given scope (or of any scope)."""
    out = []
    for rule in RULES:
        for verdict, snippets in (("bad", rule.bad), ("good", rule.good)):
            for i, snippet in enumerate(snippets):
                if scope is None or snippet.scope == scope:
                    out.append(
                        pytest.param(
                            rule.code, verdict, snippet, id=snippet_id(rule.code, verdict, i)
                        )
                    )
    return out


def load(snippet: Snippet) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(snippet.code, f"<{snippet.role} snippet>", "exec"), namespace)
    return namespace["f"]


def handoff_call(role: str, name: str, runner: Runner) -> str:
    argument = f"task={name}" if role == "task" else f"task=_task, evaluators=[{name}]"
    return {
        "client": f"Client().experiments.run_experiment(dataset=ds, {argument})",
        "async-client": f"await AsyncClient().experiments.run_experiment(dataset=ds, {argument})",
        "module": f"run_experiment(dataset=ds, {argument})",
        "async-module": f"await async_run_experiment(dataset=ds, {argument})",
    }[runner]


def as_module(snippet: Snippet) -> tuple[str, int]:
    """The snippet as a file and the line of its hand-off (0 for a module-level snippet, which
    is a whole file already). A signature snippet's `f` goes to the runner its `sync_runner`
    names: sync `Client` (True), `AsyncClient` awaited (False), module `run_experiment` (None)."""
    if snippet.scope == "module":
        return snippet.code, 0
    assert snippet.role is not None
    runner: Runner = "module"
    if snippet.sync_runner is not None:
        runner = "client" if snippet.sync_runner else "async-client"
    lines = (snippet.code + "\n\n" + HEADER).splitlines()
    call = handoff_call(snippet.role, "f", runner)
    if runner == "async-client":
        lines += ["async def main() -> None:", f"    {call}"]
    else:
        lines.append(call)
    return "\n".join(lines) + "\n", len(lines)
