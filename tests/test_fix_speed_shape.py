"""`--fix` gives libcst only the definitions it edits and splices the rewrite back: the result is
the whole-module rewrite's (on the fixtures, on generated sources, and on the cases a cut cannot
be judged alone), and a big file's fix never hands libcst the whole module.

Speed itself is measured by `python bench/fix.py`, not here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import libcst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phx_tasklint.lint import fixes, lint, sources
from phx_tasklint.lint.sources import Source
from phx_tasklint.project.config import Config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "import functools\n\nfrom phoenix.client.experiments import run_experiment\n\n\n"


def fix(source: Source, unsafe: bool = True) -> fixes.FixResult:
    findings = lint([source], Config()).findings
    return fixes.apply_fixes(source, findings, unsafe)


def assert_same_as_whole_module(source: Source, unsafe: bool = True) -> fixes.FixResult:
    findings = lint([source], Config()).findings
    cut = fixes.apply_fixes(source, findings, unsafe)
    try:
        libcst.parse_module(source.text)
    except libcst.ParserSyntaxError:
        # libcst's tokenizer refuses some indentation Python accepts (a body indented by one
        # tab under a line indented by four spaces): there is no whole-module reference, and
        # the cuts, which leave that line out, must still give Python a module it compiles
        compile(cut.text, source.path, "exec")
        return cut
    whole = fixes.apply_fixes(source, findings, unsafe, whole_module=True)
    assert cut.text == whole.text
    assert cut.applied == whole.applied
    return cut


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every text handed to `libcst.parse_module` while the test runs."""
    seen: list[str] = []
    real = libcst.parse_module

    def spy(code: str, *args: object, **kwargs: object) -> libcst.Module:
        seen.append(code)
        return real(code, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(libcst, "parse_module", spy)
    yield seen


# --------------------------------------------------------------------------------------------
# a big file: libcst sees the def, not the module


def _big(fixed: str, indent: str = "") -> tuple[str, str]:
    """(a module of many small handed-off tasks with `fixed` in the middle, `fixed` as placed
    there)."""
    task = (
        "def task_{i}(input, expected):\n    return input\n\n\nrun_experiment(task=task_{i})\n\n\n"
    )
    before = "".join(task.format(i=i) for i in range(400))
    after = "".join(task.format(i=i) for i in range(400, 800))
    placed = "".join(indent + line if line.strip() else line for line in fixed.splitlines(True))
    if indent:
        middle = f"class Holder:\n{placed}\n\nrun_experiment(task=Holder.fixed)\n\n\n"
    else:
        middle = f"{placed}\n\nrun_experiment(task=fixed)\n\n\n"
    return HEADER + before + middle + after, placed


FIXED_DEF = (
    "@functools.lru_cache\n"
    "def fixed(inputs, expected):\n"
    '    """Reads `inputs`."""\n'
    "    return inputs\n"
)


def test_a_big_files_fix_parses_only_the_def_with_libcst(parsed: list[str]) -> None:
    text, placed = _big(FIXED_DEF)
    result = fix(sources.from_bytes(text.encode(), "big.py"))
    assert [f.diagnostic.code for f in result.applied] == ["PHX002"]
    fixed = placed.replace("fixed(inputs,", "fixed(input,").replace("return inputs", "return input")
    assert result.text == text.replace(placed, fixed)
    assert parsed == [placed]  # the def with its decorator, not the module


def test_a_big_files_method_is_parsed_inside_a_wrapper(parsed: list[str]) -> None:
    method = '@staticmethod\ndef fixed(inputs, expected):\n    """Doc\n|at column 0."""\n'
    method += "    return inputs\n"
    text, placed = _big(method, "    ")
    text, placed = text.replace("|", ""), placed.replace("|", "")
    result = fix(sources.from_bytes(text.encode(), "big.py"))
    assert [f.diagnostic.code for f in result.applied] == ["PHX002"]
    assert parsed == ["if 1:\n" + placed]
    assert result.text == text.replace("fixed(inputs,", "fixed(input,").replace(
        "return inputs", "return input"
    )


# --------------------------------------------------------------------------------------------
# the spliced result is the whole-module rewrite's


def _python_fixtures() -> list[Source]:
    return [
        sources.load(path, path.relative_to(FIXTURES).as_posix())
        for path in sorted(FIXTURES.rglob("*.py"))
    ]


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fixtures_fix_as_the_whole_module_does(unsafe: bool) -> None:
    loaded = _python_fixtures()
    findings = lint(loaded, Config()).findings
    applied = 0
    for source in loaded:
        mine = [f for f in findings if f.location.path == source.path]
        cut = fixes.apply_fixes(source, mine, unsafe)
        whole = fixes.apply_fixes(source, mine, unsafe, whole_module=True)
        assert (cut.text, cut.applied) == (whole.text, whole.applied), source.path
        applied += len(cut.applied)
    assert applied > 5  # the comparison is not vacuous


NOTEBOOK = (
    '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, '
    '"source": ["from phoenix.client.experiments import run_experiment\\n", "\\n", '
    '"def t(inputs, expected):\\n", "    return inputs\\n", "\\n", '
    '"run_experiment(task=t)\\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
)
MARKDOWN = (
    "# Guide\n\n```python\nfrom phoenix.client.experiments import run_experiment\n\n\n"
    "def t(inputs, expected):\n    return inputs\n\n\nrun_experiment(task=t)\n```\n"
)


@pytest.mark.parametrize(("name", "data"), [("nb.ipynb", NOTEBOOK), ("guide.md", MARKDOWN)])
def test_notebooks_and_markdown_are_left_alone_as_before(name: str, data: str) -> None:
    """Their findings carry no fix, and a fix handed over anyway is not made."""
    source = sources.from_bytes(data.encode(), name)
    findings = lint([source], Config()).findings
    assert findings and not any(f.diagnostic.fix for f in findings)
    code = "from phoenix.client.experiments import run_experiment\n\n\n"
    code += "def t(inputs, expected):\n    return inputs\n\n\nrun_experiment(task=t)\n"
    offered = lint([sources.from_bytes(code.encode(), name, "python")], Config()).findings
    offered = [f._replace(location=f.location._replace(path=name)) for f in offered]
    assert any(f.diagnostic.fix for f in offered)
    result = fixes.apply_fixes(source, offered, True)
    assert (result.text, result.applied) == (source.text, ())


# `{n}`: the callable's name; a line starting with "|" stays at column 0 wherever it is placed
SNIPPETS = (
    "def {n}(inputs, expected):\n    return inputs\n",
    "@functools.lru_cache\ndef {n}(inputs, expected):\n    '''Doc\n|at column 0.'''\n"
    "    return inputs\n",
    "@functools.lru_cache(\n    maxsize=None,\n)\ndef {n}(inputs, expected):\n    return inputs\n",
    "def {n}(inputs, expected):\n    def g():\n        return inputs\n    return g()\n",
    "def {n}(inputs, expected):\n    return input(inputs)\n",
    "def {n}(inputs, expected):\n    global input\n    return inputs\n",
    "def {n}(inputs, expected):\n    nonlocal counter\n    counter = inputs\n    return inputs\n",
    "def {n}(\n    input,\n    *rest,\n):\n    return input\n",
    "async def {n}(input, question):\n    return question  # trailing\n",
    "def {n}(inputs, expected): return inputs\n",
    "def {n}(inputs, expected):\n    a = inputs; return a\n",
    "def {n}(inputs, expected):\n    return [input for input in inputs]\n",
    "def {n}(input, *args, k=None):\n    x = (\n|1)\n    return k\n",
    "{n} = lambda inputs, expected: inputs\n",
    "{n} = (\n    lambda input, *rest: input\n)\n",
    "if True: {n} = lambda input, *rest: input\n",
    "x_{n} = 1; {n} = lambda input, *rest: input\n",
)
# (before, indentation, after, how the runner reaches `{n}`)
CONTEXTS = (
    ("", "", "", "{n}"),
    ("class K_{n}:\n    @staticmethod\n", "    ", "", "K_{n}.{n}"),
    ("class K_{n}:\n", "    ", "", "K_{n}.{n}"),
    ("def outer_{n}():\n    counter = 0\n", "    ", "    run_experiment(task={n})\n", None),
    ("if True:\n", "    ", "", "{n}"),
    ("def outer_{n}():\n    class K:\n", "        ", "    run_experiment(task=K.{n})\n", None),
)


def _place(snippet: str, context: tuple[str, str, str, str | None], name: str, unit: str) -> str:
    before, indent, after, ref = context
    indent = indent.replace("    ", unit)
    body = "".join(
        line[1:] if line.startswith("|") else indent + line if line.strip() else line
        for line in snippet.format(n=name).splitlines(True)
    )
    text = before.replace("    ", unit).format(n=name) + body + after.replace("    ", unit)
    text = text.format(n=name)
    if ref is not None:
        text += f"\n\nrun_experiment(task={ref.format(n=name)})\n"
    return text + "\n\n"


@st.composite
def modules(draw: st.DrawFn) -> bytes:
    parts = draw(
        st.lists(st.tuples(st.sampled_from(SNIPPETS), st.sampled_from(CONTEXTS)), max_size=5)
    )
    unit = draw(st.sampled_from(["    ", "\t", "  "]))
    text = HEADER + "".join(
        _place(snippet, context, f"f{i}", unit) for i, (snippet, context) in enumerate(parts)
    )
    if draw(st.booleans()):
        text = text.rstrip("\n")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return text.replace("\n", newline).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=modules(), unsafe=st.booleans())
def test_generated_modules_fix_as_the_whole_module_does(data: bytes, unsafe: bool) -> None:
    assert_same_as_whole_module(sources.from_bytes(data, "gen.py"), unsafe)


def test_every_snippet_in_every_context_fixes_as_the_whole_module_does() -> None:
    """The generator's whole table once, so no pair depends on what hypothesis draws."""
    applied = 0
    for i, snippet in enumerate(SNIPPETS):
        text = HEADER + "".join(
            _place(snippet, context, f"f{i}_{j}", "    ") for j, context in enumerate(CONTEXTS)
        )
        applied += len(
            assert_same_as_whole_module(sources.from_bytes(text.encode(), "a.py")).applied
        )
    assert applied > len(SNIPPETS) * 2


@pytest.mark.slow
@pytest.mark.parametrize("family", ["handoff", "py-duplicate-lines", "py-tabs", "py-bom"])
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzzed_sources_fix_as_the_whole_module_does(family: str, data: st.DataObject) -> None:
    from test_fuzz import HypothesisDraw, generate

    case = generate(family, HypothesisDraw(data))
    for name, raw in case.files:
        if name.endswith(".py"):
            assert_same_as_whole_module(sources.from_bytes(raw, name))


# --------------------------------------------------------------------------------------------
# cuts that cannot be judged alone

Check = Callable[[str, list[str]], None]


def _whole_module_parsed(text: str, seen: list[str]) -> None:
    assert seen and seen[0] == text


def _nothing_parsed(text: str, seen: list[str]) -> None:
    assert seen == []


def _only(part: str) -> Check:
    def check(text: str, seen: list[str]) -> None:
        assert seen == [part]

    return check


ALONE = {
    # module-level code shares the lambda's line: no statement has the lines to itself
    "shared-line-at-module-level": (
        "x = 1; t = lambda input, *rest: input\n",
        "x = 1; t = lambda input: input\n",
        _whole_module_parsed,
    ),
    "shared-line-after-the-lambda": (
        "t = lambda input, *rest: input; x = 1\n",
        "t = lambda input: input; x = 1\n",
        _whole_module_parsed,
    ),
    # a one-line `if` has its line to itself: the cut is the `if`
    "one-line-if-at-module-level": (
        "if True: t = lambda input, *rest: input\n",
        "if True: t = lambda input: input\n",
        _only("if True: t = lambda input, *rest: input\n"),
    ),
    # inside a def, the statement around the one-line `if` has its lines to itself
    "one-line-if-in-a-def": (
        "def make():\n    if True: t = lambda input, *rest: input\n    return t\n",
        "def make():\n    if True: t = lambda input: input\n    return t\n",
        _only("if 1:\n    if True: t = lambda input, *rest: input\n"),
    ),
    # a global of the new name that the body never reads does not stop the rename
    "global-of-the-new-name-unread": (
        "input = 1\n\n\ndef t(inputs, expected):\n    return inputs\n",
        "input = 1\n\n\ndef t(input, expected):\n    return input\n",
        _only("def t(inputs, expected):\n    return inputs\n"),
    ),
    # the body reads the global `input`: the linter offers no fix (`fixcheck`), so libcst
    # parses nothing (tests/test_fixes.py has the planner refuse it when handed it anyway)
    "global-of-the-new-name-read": (
        "input = 1\n\n\ndef t(inputs, expected):\n    return inputs + input\n",
        None,
        _nothing_parsed,
    ),
}


@pytest.mark.parametrize(("body", "expected", "check"), ALONE.values(), ids=ALONE.keys())
def test_cuts_that_cannot_be_judged_alone(
    parsed: list[str], body: str, expected: str | None, check: Check
) -> None:
    hand_off = "\n\nrun_experiment(task=t)\n" if "def make" not in body else ""
    hand_off = hand_off or "\n\nrun_experiment(task=make())\n"
    text = HEADER + body + hand_off
    source = sources.from_bytes(text.encode(), "a.py")
    result = fix(source)
    check(text, parsed)
    want = text if expected is None else HEADER + expected + hand_off
    assert result.text == want
    assert_same_as_whole_module(source)


def test_a_cut_that_only_compiles_in_place_has_the_file_compiled(
    monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    # `nonlocal counter` names the outer function's variable: the def alone does not compile
    body = (
        "def outer():\n    counter = 0\n\n    def t(inputs, expected):\n"
        "        nonlocal counter\n        counter += 1\n        return inputs\n\n"
        "    run_experiment(task=t)\n"
    )
    text = HEADER + body
    compiled: list[str] = []
    real = fixes._compiles

    def spy(code: str, path: str) -> bool:
        compiled.append(code)
        return real(code, path)

    monkeypatch.setattr(fixes, "_compiles", spy)
    result = fix(sources.from_bytes(text.encode(), "a.py"))
    assert result.text == text.replace("inputs", "input")
    assert parsed == ["if 1:\n" + body.split("\n\n")[1] + "\n"]
    assert result.text in compiled  # the cut alone failed, so the spliced file was compiled


def test_a_lone_carriage_return_leaves_the_whole_file_to_decide(parsed: list[str]) -> None:
    text = HEADER + "def t(inputs, expected):\n    return inputs\n\n\nrun_experiment(task=t)\n"
    text = text.replace("\n", "\r")
    result = fix(sources.from_bytes(text.encode(), "a.py"))
    assert (result.text, result.applied) == (text, ())  # libcst drops the final "\r"
    assert parsed == [text]
