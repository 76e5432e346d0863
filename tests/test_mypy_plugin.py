"""The mypy plugin: fixtures with inline expectations, the rule table's snippets, Phoenix itself as
the oracle, configuration, cache modes and odd arguments.

mypy takes seconds to start, so the cases are batched: one plugin run checks the fixture package
(`fixtures/mypy/handoffs`), one module per rule-table snippet and one module of generated
signatures together; a few small runs cover configuration. All plugin runs share one cache
directory (so Phoenix's own modules are analysed once), plain mypy has its own.
"""

from __future__ import annotations

import collections
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import mypy.api
import mypy.version
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from oracle import EXAMPLE, TRACE_ID, phoenix_evaluator_verdict, phoenix_task_verdict
from strategies import SignatureSpec, compile_spec, render, signature_specs

from phx_tasklint.core import spec
from phx_tasklint.core.spec import Snippet
from phx_tasklint.lint import lint, sources
from phx_tasklint.runtime.binder import check_callable
from tests.snippets import (
    HEADER,
    NOT_SEEN,
    SIGNATURE_RULES,
    as_module,
    cases,
    check_seen,
    handoff_call,
    load,
)

# the module (the package's `plugin` attribute is the entry-point function)
mypy_plugin = importlib.import_module("mypy_plugin.plugin")
RULE_BY_ERROR_CODE = {error.code: code for code, error in mypy_plugin.ERROR_CODES.items()}

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "mypy" / "handoffs"
EXPECT = re.compile(r"#\s*expect:\s*([A-Za-z0-9_, -]+)$")
ERROR = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error: (?P<message>.*?)  \[(?P<code>[\w-]+)\]$")
# Rules whose violation makes Phoenix fail (validation, binding or the call).
BINDING_CODES = frozenset({"PHX001", "PHX002", "PHX003", "PHX004", "PHX005", "PHX006"})
DIFFERENTIAL_EXAMPLES = 300

Role = Literal["task", "evaluator"]
Key = tuple[str, int]  # (absolute path, line)


# --------------------------------------------------------------------------------------------
# Running mypy


@dataclass(frozen=True)
class Error:
    code: str  # the rule code for phx-* errors, else mypy's own code
    message: str


@dataclass
class MypyRun:
    stdout: str
    stderr: str
    status: int
    errors: dict[Key, list[Error]] = field(default_factory=dict)

    def codes(self, path: Path, line: int) -> set[str]:
        return {e.code for e in self.errors.get((str(path), line), [])}

    def phx(self) -> list[Error]:
        return [e for found in self.errors.values() for e in found if e.code.startswith("PHX")]


def parse(stdout: str) -> dict[Key, list[Error]]:
    errors: dict[Key, list[Error]] = collections.defaultdict(list)
    for line in stdout.splitlines():
        m = ERROR.match(line)
        if m:
            code = RULE_BY_ERROR_CODE.get(m["code"], m["code"])
            key = (str(Path(m["path"]).resolve()), int(m["line"]))
            errors[key].append(Error(code, m["message"]))
    return dict(errors)


def write_config(directory: Path, *, plugin: bool = True, mypy: str = "", phx: str = "") -> Path:
    """A pyproject.toml holding mypy's and phx-tasklint's settings, as a user's would."""
    directory.mkdir(parents=True, exist_ok=True)
    plugins = 'plugins = ["mypy_plugin"]\n' if plugin else ""
    text = f"[tool.mypy]\n{plugins}{mypy}\n"
    if phx:
        text += f"[tool.phx-tasklint]\n{phx}\n"
    path = directory / "pyproject.toml"
    path.write_text(text)
    return path


def run_mypy(paths: Sequence[Path], config: Path, cache: Path) -> MypyRun:
    args = [
        *(str(p) for p in paths),
        "--config-file",
        str(config),
        "--cache-dir",
        str(cache),
        "--show-error-codes",
        "--show-absolute-path",
        "--no-error-summary",
        "--no-color-output",
        "--hide-error-context",
    ]
    stdout, stderr, status = mypy.api.run(args)
    return MypyRun(stdout, stderr, status, parse(stdout))


def expectations(paths: Sequence[Path]) -> dict[Key, set[str]]:
    out: dict[Key, set[str]] = {}
    for path in paths:
        for number, text in enumerate(path.read_text().splitlines(), 1):
            m = EXPECT.search(text)
            if m:
                out[(str(path.resolve()), number)] = set(m[1].replace(",", " ").split())
    return out


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.py"))


# --------------------------------------------------------------------------------------------
# Generated modules: the rule table's snippets and the differential signatures


@dataclass(frozen=True)
class Handoff:
    """One generated hand-off line."""

    path: Path
    line: int
    role: Role
    sync_client: bool
    label: str
    source: str
    spec: SignatureSpec | None = None
    snippet: Snippet | None = None


def write_snippets(directory: Path) -> list[Handoff]:
    """One module per snippet (tests/snippets.py `as_module`), but for those with a syntax
    error, which would stop the whole run: `test_snippet` checks each of them on its own."""
    out = []
    for param in cases():
        snippet = param.values[2]
        if snippet.profile != spec.DEFAULT_PROFILE or not _compiles(snippet.code):
            continue  # the main run uses the default profile
        text, line = as_module(snippet)
        path = directory / f"snippet_{param.id.replace('-', '_')}.py"
        path.write_text(text)
        out.append(
            Handoff(
                path,
                line,
                snippet.role or "task",
                snippet.sync_runner is not False,
                param.id,
                snippet.code,
                snippet=snippet,
            )
        )
    return out


def _compiles(code: str) -> bool:
    try:
        compile(code, "<snippet>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def draw_specs(n: int) -> list[tuple[SignatureSpec, bool]]:
    """`n` generated signatures, each with a client kind; deterministic, without shrinking."""
    drawn: list[tuple[SignatureSpec, bool]] = []

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(signature_specs(), st.booleans())
    def collect(signature: SignatureSpec, sync_client: bool) -> None:
        drawn.append((signature, sync_client))

    collect()
    return drawn


def write_differential(directory: Path) -> list[Handoff]:
    """Every drawn signature handed over as a task and as an evaluator, on its own line."""
    lines = HEADER.splitlines()
    pending: list[tuple[int, SignatureSpec, bool, Role, str]] = []
    calls: list[tuple[str, SignatureSpec, bool, Role]] = []
    for i, (signature, sync_client) in enumerate(draw_specs(DIFFERENTIAL_EXAMPLES)):
        name = f"f_{i}"
        lines += [*render(signature, name).splitlines(), ""]
        for role in ("task", "evaluator"):
            runner = "module" if sync_client else "async-module"
            calls.append((handoff_call(role, name, runner), signature, sync_client, role))
    lines.append("async def main() -> None:")
    for call, signature, sync_client, role in calls:
        lines.append(f"    {call}")
        pending.append((len(lines), signature, sync_client, role, call))
    path = directory / "differential.py"
    path.write_text("\n".join(lines) + "\n")
    return [
        Handoff(path, line, role, sync, call, render(sig), spec=sig)
        for line, sig, sync, role, call in pending
    ]


# Annotated signatures the runtime adapter can import as well: mypy's translation and the
# runtime's must give the judge the same model, so both report the same messages.
ANNOTATED_PRELUDE = """\
from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import pathlib
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NewType, Optional, TypedDict, Union

from typing_extensions import TypeAlias

from phoenix.client.experiments import create_evaluator, run_experiment

ds: Any = None


class Answer(TypedDict):
    answer: str
    tags: list[str]


class Loose(TypedDict, total=False):
    when: datetime.datetime


class Pair(NamedTuple):
    score: float
    label: str


class Color(enum.Enum):
    RED = 1


class Text(str):
    pass


@dataclasses.dataclass
class Score:
    name: str
    score: float
    label: str
    explanation: str
    metadata: dict[str, Any]
    source: str
    direction: str


@dataclasses.dataclass
class Point:
    x: float


JSON: TypeAlias = Union[dict[str, "JSON"], list["JSON"], str, int, float, bool, None]
Tags: TypeAlias = set[str]
UserId = NewType("UserId", int)
AdminId = NewType("AdminId", UserId)
"""
ANNOTATED: tuple[tuple[Role, str], ...] = (
    ("task", "(input) -> Literal['a', 'b', None]"),
    ("task", "(input) -> Literal[b'x']"),
    ("task", "(input) -> Optional[list[set[int]]]"),
    ("task", "(input) -> Union[int, str, Point]"),
    ("task", "(input) -> JSON"),
    ("task", "(input) -> dict[str, Tags]"),
    ("task", "(input) -> Mapping[int, str]"),
    ("task", "(input) -> dict[str, Any]"),
    ("task", "(input) -> Answer"),
    ("task", "(input) -> Loose"),
    ("task", "(input) -> Pair"),
    ("task", "(input) -> Color"),
    ("task", "(input) -> Text"),
    ("task", "(input) -> UserId"),
    ("task", "(input) -> AdminId"),
    ("task", "(input) -> decimal.Decimal"),
    ("task", "(input) -> pathlib.Path"),
    ("task", "(input) -> uuid.UUID"),
    ("task", "(input) -> bytes"),
    ("task", "(input) -> frozenset[str]"),
    ("task", "(input) -> set"),
    ("task", "(input) -> list"),
    ("task", "(input) -> tuple"),
    ("task", "(input) -> tuple[int, ...]"),
    ("task", "(input) -> Sequence[complex]"),
    ("task", "(input) -> Iterator[int]"),
    ("task", "(input) -> Callable[[int], int]"),
    ("task", "(input) -> type[Point]"),
    ("task", "(input) -> object"),
    ("task", "(input) -> Awaitable[set[str]]"),
    ("task", "(input) -> Coroutine[Any, Any, int]"),
    ("task", "(input: dict) -> None"),
    ("task", "(input: Mapping[str, Any], expected: Answer) -> None"),
    ("task", "(input: list[str], metadata: Point)"),
    ("task", "(example: dict[str, Any])"),
    ("task", "(example: Mapping[str, Any], input: Literal['x'] = 'x')"),
    ("task", "(question: Optional[str])"),
    ("task", "(input: Union[str, dict[str, Any]])"),
    ("evaluator", "(output) -> float | None"),
    ("evaluator", "(output) -> tuple[float, str, str, str]"),
    ("evaluator", "(output) -> tuple[bool, str]"),
    ("evaluator", "(output) -> tuple[str, str]"),
    ("evaluator", "(output) -> tuple[float, ...]"),
    ("evaluator", "(output) -> tuple[Literal['a'], str]"),
    ("evaluator", "(output) -> Pair"),
    ("evaluator", "(output) -> list[dict[str, float]]"),
    ("evaluator", "(output) -> list[Answer]"),
    ("evaluator", "(output) -> list[int]"),
    ("evaluator", "(output) -> list[Score]"),
    ("evaluator", "(output) -> Score"),
    ("evaluator", "(output) -> Point"),
    ("evaluator", "(output) -> Answer"),
    ("evaluator", "(output) -> decimal.Decimal"),
    ("evaluator", "(output) -> Awaitable[float]"),
    # mypy reads `Literal[1, None]` as `Literal[1] | None` (typing keeps the former apart)
    ("evaluator", "(output) -> Literal[1] | None"),
    ("evaluator", "(output) -> Color"),
    ("evaluator", "(output: tuple[int, int]) -> bool"),
    ("evaluator", "(output: str, trace_id: int) -> bool"),
    ("evaluator", "(output, trace_id: Optional[str] = None) -> bool"),
    ("evaluator", "(output, example: dict[str, Any]) -> bool"),
    ("evaluator", "(output: Answer, expected: Mapping[str, Any]) -> bool"),
    ("evaluator", "(result: set[str]) -> bool"),
)


def write_annotated(directory: Path) -> list[Handoff]:
    lines = ANNOTATED_PRELUDE.splitlines()
    handoffs: list[tuple[int, Role, str, str]] = []
    calls: list[tuple[str, Role, str, str]] = []
    for i, (role, signature) in enumerate(ANNOTATED):
        name = f"a_{i}"
        lines += ["", "", f"def {name}{signature}:", "    raise NotImplementedError"]
        argument = f"task={name}" if role == "task" else f"task=a_0, evaluators=[{name}]"
        calls.append((f"run_experiment(dataset=ds, {argument})", role, name, signature))
    lines += ["", "", "if TYPE_CHECKING:  # mypy checks the hand-offs, the runtime only imports"]
    for call, role, name, signature in calls:
        lines.append(f"    {call}")
        handoffs.append((len(lines), role, name, signature))
    path = directory / "annotated.py"
    path.write_text("\n".join(lines) + "\n")
    return [Handoff(path, line, role, True, name, sig) for line, role, name, sig in handoffs]


@dataclass
class MainRun:
    run: MypyRun
    snippets: list[Handoff]
    differential: list[Handoff]
    annotated: list[Handoff]
    failures: list[str]


@pytest.fixture(scope="session")
def plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache-plugin")


@pytest.fixture(scope="session")
def main_run(tmp_path_factory: pytest.TempPathFactory, plugin_cache: Path) -> MainRun:
    base = tmp_path_factory.mktemp("mypy-main")
    generated = base / "generated"
    generated.mkdir()
    (generated / "__init__.py").write_text("")
    snippets = write_snippets(generated)
    differential = write_differential(generated)
    annotated = write_annotated(generated)
    config = write_config(base / "config")
    del mypy_plugin.FAILURES[:]
    run = run_mypy([FIXTURES, generated], config, plugin_cache)
    return MainRun(run, snippets, differential, annotated, list(mypy_plugin.FAILURES))


# --------------------------------------------------------------------------------------------
# Fixtures with inline expectations


def test_fixtures_report_exactly_what_they_expect(main_run: MainRun) -> None:
    files = fixture_files()
    expected = expectations(files)
    paths = {str(p.resolve()) for p in files}
    actual = {
        key: {e.code for e in errors}
        for key, errors in main_run.run.errors.items()
        if key[0] in paths
    }
    problems = [
        f"{Path(path).relative_to(ROOT)}:{line}: expected {sorted(expected.get((path, line), ()))}"
        f", got {sorted(actual.get((path, line), ()))}"
        for path, line in sorted(set(expected) | set(actual))
        if expected.get((path, line), set()) != actual.get((path, line), set())
    ]
    assert not problems, "\n".join(problems) + "\n\n" + main_run.run.stdout


def test_fixtures_cover_every_signature_rule() -> None:
    # the phoenix.evals rows go through mypy in tests/test_three_front_ends.py
    evals = ROOT / "fixtures" / "evals_objects.py"
    expected = set().union(*expectations([*fixture_files(), evals]).values())
    assert expected >= SIGNATURE_RULES, sorted(SIGNATURE_RULES - expected)


def test_messages_are_the_judges(main_run: MainRun) -> None:
    """Each message is a rule's message, unchanged: it matches the rule's template."""
    for error in main_run.run.phx():
        template = spec.RULES_BY_CODE[error.code].message
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{\w+\\\}", ".*", pattern).replace(r"\{\{", "{").replace(r"\}\}", "}")
        assert re.fullmatch(pattern, error.message, re.DOTALL), (error.code, error.message)


def test_hooks_never_fail(main_run: MainRun) -> None:
    """No hook met an exception on any fixture or generated module, and mypy did not crash."""
    assert main_run.failures == []
    assert main_run.run.status != 2, main_run.run.stderr
    assert "INTERNAL ERROR" not in main_run.run.stdout + main_run.run.stderr
    assert "Traceback" not in main_run.run.stderr


# --------------------------------------------------------------------------------------------
# The rule table's snippets: the mypy leg of the three-front-end agreement


@pytest.mark.parametrize(("code", "verdict", "snippet"), cases())
def test_snippet(
    main_run: MainRun,
    plugin_cache: Path,
    tmp_path: Path,
    code: str,
    verdict: str,
    snippet: Snippet,
    request: pytest.FixtureRequest,
) -> None:
    case = request.node.callspec.id
    handoff = next((h for h in main_run.snippets if h.snippet is snippet), None)
    if handoff is None:  # a syntax error: mypy on the file alone
        path = tmp_path / "snippet.py"
        path.write_text(as_module(snippet)[0])
        run = run_mypy([path], write_config(tmp_path / "config"), plugin_cache)
        assert run.status == 2 or run.errors, run.stdout + run.stderr
        errors = [e for found in run.errors.values() for e in found]
    elif snippet.scope == "module":  # the whole file
        path = handoff.path.resolve()
        errors = [
            e for (p, _), found in main_run.run.errors.items() if p == str(path) for e in found
        ]
    else:
        errors = main_run.run.errors.get((str(handoff.path.resolve()), handoff.line), [])
    check_seen("mypy", case, code, verdict, {e.code for e in errors})
    if verdict == "good":
        assert not [e for e in errors if e.code.startswith("PHX")], errors
    if case in NOT_SEEN["mypy"]:
        return  # the plugin is known not to see it (the reason is listed): nothing to compare
    if snippet.scope == "signature":
        # and the runtime adapter says exactly the same about the same code (mypy's own errors
        # aside: `task=None` is an `arg-type` error too, as in plain mypy)
        assert handoff is not None and snippet.role is not None
        # (handed to `run_experiment`, whose evaluators Phoenix checks after the tasks ran)
        runtime = check_callable(
            load(snippet), snippet.role, sync_client=handoff.sync_client, runner="run"
        )
        assert sorted((e.code, e.message) for e in errors if e.code.startswith("PHX")) == sorted(
            (d.code, d.message) for d in runtime
        )


# --------------------------------------------------------------------------------------------
# Annotations: the same model as the runtime adapter's


def _import(path: Path) -> Any:
    loaded = importlib.util.spec_from_file_location(f"_annotated_{id(path)}", path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    sys.modules[loaded.name] = module  # dataclasses and get_type_hints look modules up
    loaded.loader.exec_module(module)
    return module


def test_annotations_translate_as_the_runtime_adapter_does(main_run: MainRun) -> None:
    module = _import(main_run.annotated[0].path)
    problems = []
    for handoff in main_run.annotated:
        errors = main_run.run.errors.get((str(handoff.path.resolve()), handoff.line), [])
        ours = sorted((e.code, e.message) for e in errors)
        runtime = check_callable(
            getattr(module, handoff.label), handoff.role, sync_client=True, runner="run"
        )
        theirs = sorted((d.code, d.message) for d in runtime)
        if ours != theirs:
            problems.append(f"{handoff.role} {handoff.source}\n  mypy: {ours}\n  runtime: {theirs}")
    assert not problems, "\n".join(problems)
    assert sum(bool(main_run.run.codes(h.path.resolve(), h.line)) for h in main_run.annotated) > 30


# --------------------------------------------------------------------------------------------
# Differential: Phoenix itself is the oracle


def phoenix_fails(handoff: Handoff) -> bool:
    assert handoff.spec is not None
    fn = compile_spec(handoff.spec)
    if handoff.role == "task":
        verdict = phoenix_task_verdict(fn, EXAMPLE, sync_client=handoff.sync_client)
    else:
        verdict = phoenix_evaluator_verdict(
            fn, output=1, example=EXAMPLE, trace_id=TRACE_ID, sync_client=handoff.sync_client
        )
    return not verdict.ok


@pytest.mark.slow
def test_differential_against_phoenix(main_run: MainRun) -> None:
    assert len(main_run.differential) >= 2 * 100  # hypothesis drew enough distinct examples
    mismatches = []
    for handoff in main_run.differential:
        codes = main_run.run.codes(handoff.path.resolve(), handoff.line)
        ours = bool(codes & BINDING_CODES)
        if ours != phoenix_fails(handoff):
            mismatches.append(
                f"{handoff.role}, sync_client={handoff.sync_client}: phoenix fails="
                f"{not ours}, mypy reported {sorted(codes)}\n{handoff.source}"
            )
    assert not mismatches, "\n".join(mismatches[:20])


# --------------------------------------------------------------------------------------------
# Plain mypy: no phx codes, and the noise the plugin replaces


@pytest.fixture(scope="session")
def plain_run(tmp_path_factory: pytest.TempPathFactory) -> MypyRun:
    base = tmp_path_factory.mktemp("mypy-plain")
    config = write_config(base, plugin=False)
    return run_mypy([FIXTURES], config, base / "cache")


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.slow
def test_plain_mypy_reports_no_phx_codes(plain_run: MypyRun) -> None:
    assert plain_run.status != 2, plain_run.stderr
    assert plain_run.phx() == []
    assert "phx-" not in plain_run.stdout


@pytest.mark.slow
def test_plugin_replaces_phoenix_typing_noise(main_run: MainRun, plain_run: MypyRun) -> None:
    noise = FIXTURES / "noise.py"
    typed_dict = _line_of(noise, "task=typed_dict_task")
    dataclass_line = _line_of(noise, "task=dataclass_task")
    decorated = _line_of(noise, "def decorated_typed_dict")
    # Phoenix's annotations reject a TypedDict result, wrongly, and miss the dataclass
    assert "arg-type" in plain_run.codes(noise, typed_dict) | plain_run.codes(noise, decorated)
    # with the plugin: the TypedDict task passes, the dataclass task gets one precise error
    assert main_run.run.codes(noise, typed_dict) == set()
    assert main_run.run.codes(noise, decorated) == set()
    assert [e.code for e in main_run.run.errors[(str(noise), dataclass_line)]] == ["PHX201"]


def test_type_ignore_with_the_rule_code_silences(main_run: MainRun) -> None:
    noise = FIXTURES / "noise.py"
    line = _line_of(noise, "type: ignore[phx-unbindable-parameter]")
    assert main_run.run.codes(noise, line) == set()
    assert "unused" not in main_run.run.stdout  # the ignore was needed


# --------------------------------------------------------------------------------------------
# Configuration: mypy's error codes and [tool.phx-tasklint]

CONFIG_MODULE = """\
from typing import Any

from phoenix.client.experiments import run_experiment

ds: Any = None


def unbindable(input, question):
    return input


def no_params():
    return 1


def traced(output, trace_id) -> bool:
    return True


def misspelt(output, metdata=None) -> bool:
    return True


run_experiment(dataset=ds, task=unbindable)
run_experiment(dataset=ds, task=no_params)
run_experiment(dataset=ds, task=no_params, evaluators=[traced])
run_experiment(dataset=ds, task=no_params, evaluators=[misspelt])
"""


def config_run(base: Path, cache: Path, *, mypy: str = "", phx: str = "") -> dict[str, set[str]]:
    module = base / "handoff.py"
    base.mkdir(parents=True, exist_ok=True)
    module.write_text(CONFIG_MODULE)
    run = run_mypy([module], write_config(base, mypy=mypy, phx=phx), cache)
    assert run.status != 2, run.stdout + run.stderr
    return {
        name: run.codes(module, _line_of(module, text))
        for name, text in (
            ("unbindable", "task=unbindable"),
            ("no_params", "task=no_params)"),
            ("traced", "[traced]"),
            ("misspelt", "[misspelt]"),
        )
    }


def test_defaults(tmp_path: Path, plugin_cache: Path) -> None:
    assert config_run(tmp_path, plugin_cache) == {
        "unbindable": {"PHX002"},
        "no_params": {"PHX001"},
        "traced": {"PHX001"},
        "misspelt": {"PHX001", "PHX101"},
    }


def test_disable_error_code(tmp_path: Path, plugin_cache: Path) -> None:
    # as a per-module option: a global one would re-check Phoenix's own modules too
    override = (
        '[[tool.mypy.overrides]]\nmodule = "handoff"\ndisable_error_code = ["phx-no-parameters"]\n'
    )
    found = config_run(tmp_path, plugin_cache, mypy=override)
    assert found == {
        "unbindable": {"PHX002"},
        "no_params": set(),
        "traced": set(),
        "misspelt": {"PHX101"},
    }


def test_tool_section_ignore_and_phoenix_version(tmp_path: Path, plugin_cache: Path) -> None:
    found = config_run(tmp_path, plugin_cache, phx='ignore = ["PHX001"]\nphoenix-version = "2.3"')
    # 2.3 does not bind trace_id: the evaluator is rejected before the first example
    assert found == {
        "unbindable": {"PHX002"},
        "no_params": set(),
        "traced": {"PHX002"},
        "misspelt": {"PHX101"},
    }
    found = config_run(tmp_path / "again", plugin_cache, phx='ignore = ["PHX002"]')
    assert found["unbindable"] == set()
    assert found["traced"] == {"PHX001"}


def test_configured_runners(tmp_path: Path, plugin_cache: Path) -> None:
    """`task-runners` / `evaluator-runners`: project wrappers, the callable first or by name."""
    module = tmp_path / "wrappers.py"
    module.write_text(
        CONFIG_MODULE
        + "\n\ndef run_all(fn, repeat=1):\n    return fn\n"
        + "\n\ndef score_all(evaluators, task=None):\n    return evaluators\n"
        + "\n\nrun_all(unbindable)\nrun_all(fn=no_params)\nscore_all([misspelt])\n"
    )
    phx = 'task-runners = ["wrappers.run_all"]\nevaluator-runners = ["wrappers.score_all"]'
    run = run_mypy([module], write_config(tmp_path, phx=phx), plugin_cache)
    assert run.codes(module, _line_of(module, "run_all(unbindable)")) == {"PHX002"}
    assert run.codes(module, _line_of(module, "run_all(fn=no_params)")) == {"PHX001"}
    assert run.codes(module, _line_of(module, "score_all([misspelt])")) == {"PHX101"}


WARNINGS_ONLY = """\
from typing import Any

from phoenix.client.experiments import run_experiment

ds: Any = None


def typo(output, metdata=None) -> bool:
    return True


def echo(input):
    return input


run_experiment(dataset=ds, task=echo, evaluators=[typo])
run_experiment(dataset=ds, task=echo, evaluators=[typo])  # type: ignore[phx-never-bound-parameter]
"""


@pytest.mark.parametrize("warnings_as", ["error", "note"])
def test_warning_rules_as_errors_or_notes(
    tmp_path: Path, plugin_cache: Path, warnings_as: str
) -> None:
    """`mypy-warnings-as = "note"` demotes warning-level rules to notes: mypy then passes, and
    the note names its code, which `# type: ignore[...]` still silences."""
    module = tmp_path / "handoff.py"
    module.write_text(WARNINGS_ONLY)
    config = write_config(
        tmp_path, mypy="warn_unused_ignores = true", phx=f'mypy-warnings-as = "{warnings_as}"'
    )
    run = run_mypy([module], config, plugin_cache)
    line = _line_of(module, "evaluators=[typo])")
    message = check_callable(_load_function(WARNINGS_ONLY, "typo"), "evaluator")[0].message
    notes = [text for text in run.stdout.splitlines() if ": note: " in text]
    if warnings_as == "error":
        assert run.status == 1
        assert run.errors[(str(module), line)] == [Error("PHX101", message)]
        assert notes == []
    else:
        assert run.status == 0, run.stdout
        assert run.errors == {}
        assert notes == [f"{module}:{line}: note: {message}  [phx-never-bound-parameter]"]
    assert "unused" not in run.stdout  # the ignore on the second call was needed either way


def test_disable_error_code_silences_a_warning_rule(tmp_path: Path, plugin_cache: Path) -> None:
    """The README's advice for warning-level rules, error or note."""
    module = tmp_path / "handoff.py"
    module.write_text(WARNINGS_ONLY)
    for warnings_as in ("error", "note"):
        config = write_config(
            tmp_path / warnings_as,
            mypy='disable_error_code = ["phx-never-bound-parameter"]',
            phx=f'mypy-warnings-as = "{warnings_as}"',
        )
        run = run_mypy([module], config, plugin_cache)
        assert run.status == 0, run.stdout
        assert "metdata" not in run.stdout


README = ROOT / "README.md"


def _readme_block(language: str, first_line: str) -> str:
    """The README's fenced block of `language` whose first line is `first_line`."""
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    found = [b for b in blocks if b.startswith(first_line + "\n")]
    assert len(found) == 1, f"README.md: one {language} block starting {first_line!r}"
    return found[0]


def test_the_readme_mypy_example_is_what_mypy_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tour's experiment.py through mypy with the README's configuration prints exactly the
    README's output; without `check_untyped_defs` nothing (the body of `main` is skipped); with
    `mypy-warnings-as = "note"` the README's note line."""
    # the first line names the file (the tour's `check` output counts lines without it too)
    experiment = _readme_block("python", "# experiment.py").split("\n", 1)[1]
    shown = _readme_block("console", "$ mypy experiment.py").splitlines()[1:]
    tour = '# pyproject.toml\n[tool.mypy]\nplugins = ["phx_tasklint.mypy"]\n'
    tour += "check_untyped_defs = true"
    toml = _readme_block("toml", tour)
    note_line = _readme_block("console", "$ mypy experiment.py | grep metdata").splitlines()[1]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiment.py").write_text(experiment)

    def mypy_output(config: str) -> tuple[list[str], int]:
        (tmp_path / "pyproject.toml").write_text(config)
        cache = tmp_path / f"cache-{len(list(tmp_path.glob('cache-*')))}"
        stdout, _, status = mypy.api.run(
            ["experiment.py", "--config-file", "pyproject.toml", "--cache-dir", str(cache)]
        )
        return stdout.splitlines(), status

    lines, status = mypy_output(toml)
    assert status == 1
    assert [line for line in lines if "[phx-" in line] == [s for s in shown if "[phx-" in s]
    if int(mypy.version.__version__.split(".")[0]) >= 2:  # 1.19 words its own call-arg error apart
        assert lines == shown
    lines, status = mypy_output(toml.replace("check_untyped_defs = true\n", ""))
    assert (lines, status) == (["Success: no issues found in 1 source file"], 0)
    lines, _ = mypy_output(toml + '\n[tool.phx-tasklint]\nmypy-warnings-as = "note"\n')
    assert [line for line in lines if "metdata" in line] == [note_line]


def _load_function(source: str, name: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(source.split("run_experiment(")[0].replace("from phoenix", "# from phoenix"), namespace)
    return namespace[name]


def test_broken_configuration_is_reported_not_raised(
    tmp_path: Path, plugin_cache: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "handoff.py"
    module.write_text(CONFIG_MODULE)
    run = run_mypy([module], write_config(tmp_path, phx='selct = ["PHX001"]'), plugin_cache)
    assert run.status != 2
    stderr = capfd.readouterr().err  # the plugin writes to the process's stderr
    assert "phx-tasklint:" in stderr and "unknown key 'selct'" in stderr
    assert run.codes(module, _line_of(module, "task=unbindable")) == {"PHX002"}  # the defaults


def test_config_fingerprint_reaches_mypy(tmp_path: Path) -> None:
    from mypy.options import Options

    options = Options()
    options.config_file = str(write_config(tmp_path, phx='ignore = ["PHX002"]'))
    first = mypy_plugin.PhxTaskLintPlugin(options)
    options.config_file = str(write_config(tmp_path / "other", phx='phoenix-version = "2.3"'))
    second = mypy_plugin.PhxTaskLintPlugin(options)
    options.config_file = str(write_config(tmp_path / "notes", phx='mypy-warnings-as = "note"'))
    notes = mypy_plugin.PhxTaskLintPlugin(options)
    user = _ReportConfig("handoff", str(tmp_path / "handoff.py"), True)
    installed = _ReportConfig("phoenix", "/venv/lib/site-packages/phoenix/__init__.py", True)
    assert first.report_config_data(user) != second.report_config_data(user)
    assert notes.report_config_data(user) not in (
        first.report_config_data(user),
        second.report_config_data(user),
    )
    assert first.report_config_data(installed) == second.report_config_data(installed)
    assert mypy_plugin.__version__.startswith(mypy_plugin.phx_tasklint.__version__ + "+")


def test_configuration_warnings_are_written_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from mypy.options import Options

    options = Options()
    options.config_file = str(write_config(tmp_path, phx='task-runners = ["my_wrapper"]'))
    plugin = mypy_plugin.PhxTaskLintPlugin(options)
    assert plugin.settings.task_runners == ("my_wrapper",)
    stderr = capfd.readouterr().err
    assert stderr.count("phx-tasklint: warning: ") == 1
    assert "task-runners: 'my_wrapper' has no module part" in stderr


@dataclass(frozen=True)
class _ReportConfig:
    id: str
    path: str
    is_check: bool


# --------------------------------------------------------------------------------------------
# Cache modes: incremental runs and the daemon agree with a cold run


def _copy_fixtures(target: Path) -> Path:
    package = target / "handoffs_copy"  # a name of its own: not in the copied cache
    package.mkdir(parents=True)
    for path in fixture_files():
        (package / path.name).write_text(path.read_text())
    return package


def _phx_by_line(run: MypyRun, package: Path) -> dict[tuple[str, int], set[str]]:
    return {
        (Path(path).name, line): {e.code for e in errors if e.code.startswith("PHX")}
        for (path, line), errors in run.errors.items()
        if Path(path).parent == package
    }


def test_incremental_runs_agree(tmp_path: Path, plugin_cache: Path) -> None:
    package = _copy_fixtures(tmp_path)
    config = write_config(tmp_path / "config")
    cache = tmp_path / "cache"
    shutil.copytree(plugin_cache, cache)  # Phoenix's modules warm; the copied fixtures are new
    cold = _phx_by_line(run_mypy([package], config, cache), package)
    warm = _phx_by_line(run_mypy([package], config, cache), package)
    assert warm == cold
    # changed modules re-checked against their cached imports (models.py, shapes.py, ...)
    for name in ("crossmodule.py", "imported.py"):
        changed = package / name
        changed.write_text(changed.read_text() + "\n# touched\n")
    partial = _phx_by_line(run_mypy([package], config, cache), package)
    assert partial == cold
    assert cold  # the copy was checked at all


@pytest.mark.slow
def test_dmypy_run(tmp_path: Path, plugin_cache: Path) -> None:
    module = tmp_path / "handoff.py"
    module.write_text(CONFIG_MODULE)
    cache = tmp_path / "cache"
    shutil.copytree(plugin_cache, cache)
    config = write_config(tmp_path, mypy=f"cache_dir = {str(cache)!r}")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    status = str(tmp_path / "dmypy.json")
    dmypy = [sys.executable, "-m", "mypy.dmypy", "--status-file", status]
    try:
        result = subprocess.run(
            [*dmypy, "run", "--", "--config-file", str(config), "--show-error-codes", str(module)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
    finally:
        subprocess.run([*dmypy, "stop"], capture_output=True, env=env, cwd=tmp_path, timeout=60)
    assert "[phx-unbindable-parameter]" in result.stdout, result.stdout + result.stderr
    assert "[phx-no-parameters]" in result.stdout


# phoenix.evals defs in another module, and a prebuilt metric: once a module comes from mypy's
# cache its defs carry no decorator expressions, so the plugin reads those from the source.
EVALS_DEFS = """\
import phoenix.evals as pe
from phoenix.evals import create_evaluator


@create_evaluator(name="qa")
def qa(question: str, answer: str) -> float:
    return 1.0


@pe.create_evaluator("slow")
async def slow(output: str) -> float:
    return 1.0


def plain(output: str) -> float:
    return 1.0
"""
EVALS_MAIN = """\
from typing import Any

from phoenix.client import Client
from phoenix.evals import bind_evaluator, metrics

from evals_defs import plain, qa, slow


def task(input: dict[str, Any]) -> str:
    return ""


bound = bind_evaluator(evaluator=qa, input_mapping={"question": "input.q"})


def main(ds: Any) -> None:
    client = Client()
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[qa])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[bound])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[slow])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[metrics.exact_match])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[plain])
"""


def test_evals_findings_survive_the_incremental_cache(tmp_path: Path) -> None:
    """A cold run, then one after editing only the importing module (the defs module and
    phoenix.evals now come from the cache): the same findings, word for word."""
    (tmp_path / "evals_defs.py").write_text(EVALS_DEFS)
    main = tmp_path / "evals_main.py"
    main.write_text(EVALS_MAIN)
    config = write_config(tmp_path / "config", mypy="check_untyped_defs = true")
    cache = tmp_path / "cache"  # cold: phoenix.evals is analysed in the first run

    def findings() -> dict[int, list[Error]]:
        run = run_mypy([main, tmp_path / "evals_defs.py"], config, cache)
        assert run.status != 2, run.stdout + run.stderr
        return {
            line: sorted(e for e in errors if e.code.startswith("PHX"))
            for (path, line), errors in run.errors.items()
            if path == str(main.resolve())
        }

    cold = findings()
    main.write_text(main.read_text() + "# touched\n")
    warm = findings()
    assert warm == cold
    codes = {line: {e.code for e in errors} for line, errors in cold.items()}
    assert codes == {
        _line_of(main, "evaluators=[qa]"): {"PHX501"},
        _line_of(main, "evaluators=[bound]"): {"PHX501"},
        _line_of(main, "evaluators=[slow]"): {"PHX006"},
        _line_of(main, "evaluators=[metrics.exact_match]"): {"PHX506"},
    }
    # a prebuilt metric's annotations are Phoenix's: a mapping is the advice, as the linter says
    (exact_match,) = cold[_line_of(main, "evaluators=[metrics.exact_match]")]
    assert "annotate" not in exact_match.message
    assert exact_match.message in _linter_messages(main)


TEMPLATES = """\
from phoenix.client import Client
from phoenix.evals import ClassificationEvaluator, LLMEvaluator, bind_evaluator, create_classifier
from pydantic import BaseModel

llm = None
MESSAGES = [
    {"role": "system", "content": "Judge {{output}}."},
    {"role": "user", "content": "Question: {{question}}"},
]
TEXT = "Does {output} answer {query}?"


class Schema(BaseModel):
    q: str


literal = ClassificationEvaluator(
    name="lit", llm=llm, prompt_template="Q: {question} A: {output}", choices=["y"]
)
messages = LLMEvaluator(name="msgs", llm=llm, prompt_template=MESSAGES)
named = create_classifier("named", TEXT, llm, ["yes", "no"])
fine = LLMEvaluator(name="fine", llm=llm, prompt_template="{{input}} -> {{output}}")
mapped = bind_evaluator(evaluator=literal, input_mapping={"question": "input.question"})
own_schema = LLMEvaluator(name="own", llm=llm, prompt_template="{q}", input_schema=Schema)
unread = LLMEvaluator(name="unread", llm=llm, prompt_template="{{> partial}}")
rebound = LLMEvaluator(name="rebound", llm=llm, prompt_template="{q}")
rebound.bind({"q": "input"})


def main(ds: object, task: object) -> None:
    client = Client()
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[literal])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[messages])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[named])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[fine])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[mapped])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[own_schema])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[unread])
    client.experiments.run_experiment(dataset=ds, task=task, evaluators=[rebound])
"""


def test_prompt_templates_are_read_as_the_linter_reads_them(tmp_path: Path) -> None:
    """A literal template (a string, a name bound to one, a list of messages) states the
    fields; a template given its own input schema, one the reader cannot be sure of and one
    re-bound in place say nothing. The messages are the linter's, word for word."""
    main = tmp_path / "templates.py"
    main.write_text(TEMPLATES)
    run = run_mypy([main], write_config(tmp_path / "config"), tmp_path / "cache")
    assert run.status != 2, run.stdout + run.stderr
    found = {
        line: {e.code: e.message for e in errors if e.code.startswith("PHX")}
        for (path, line), errors in run.errors.items()
        if path == str(main.resolve())
    }
    assert {line: set(codes) for line, codes in found.items() if codes} == {
        _line_of(main, "evaluators=[literal]"): {"PHX501"},
        _line_of(main, "evaluators=[messages]"): {"PHX501"},
        _line_of(main, "evaluators=[named]"): {"PHX501"},
    }
    assert "`question`" in found[_line_of(main, "evaluators=[messages]")]["PHX501"]
    assert "`query`" in found[_line_of(main, "evaluators=[named]")]["PHX501"]
    linter = _linter_messages(main)
    assert all(m in linter for codes in found.values() for m in codes.values())


def _linter_messages(path: Path) -> list[str]:
    class Config:
        phoenix_version = "latest"
        task_runners: tuple[str, ...] = ()
        evaluator_runners: tuple[str, ...] = ()

    return [f.diagnostic.message for f in lint([sources.load(path)], Config()).findings]


# --------------------------------------------------------------------------------------------
# Unit checks of the translation that fixtures cannot state on a line


def test_error_codes_cover_the_rule_table() -> None:
    assert set(mypy_plugin.ERROR_CODES) == set(spec.RULES_BY_CODE)
    for code, error_code in mypy_plugin.ERROR_CODES.items():
        assert error_code.code == f"phx-{spec.RULES_BY_CODE[code].name}"


def test_entry_points() -> None:
    import mypy_plugin as package
    from phx_tasklint import mypy as reexport

    assert reexport.plugin is package.plugin is mypy_plugin.plugin
    assert reexport.__version__ == package.__version__ == mypy_plugin.__version__
    assert mypy_plugin.plugin("2.4.1") is mypy_plugin.PhxTaskLintPlugin


def test_a_prebuilt_metric_bound_in_place_is_not_judged(tmp_path: Path) -> None:
    """`metrics.exact_match.bind({...})` (Phoenix's docs' reuse pattern, any spelling) changes
    the mapping in force: the plugin then says nothing of its fields, as the linter."""
    main = tmp_path / "rebound.py"
    main.write_text(
        "from phoenix.client import Client\n"
        "from phoenix.evals import metrics\n"
        "import phoenix.evals.metrics as EV\n\n"
        "metrics.exact_match.bind({'expected': 'expected.answer'})\n\n"
        "def task(input):\n    return input\n\n"
        "def main():\n"
        "    Client().experiments.run_experiment(dataset=None, task=task, "
        "evaluators=[metrics.exact_match])\n"
        "    Client().experiments.run_experiment(dataset=None, task=task, "
        "evaluators=[EV.exact_match])\n"
    )
    config = write_config(tmp_path / "config", mypy="check_untyped_defs = true")
    run = run_mypy([main], config, tmp_path / "cache")
    assert run.status != 2, run.stdout + run.stderr
    assert not [e for errors in run.errors.values() for e in errors if e.code.startswith("PHX")]
    assert _linter_messages(main) == []
