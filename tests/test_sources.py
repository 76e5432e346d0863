"""phx_tasklint.lint.sources: files, notebooks and Markdown fences -> Python documents."""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phx_tasklint.lint import ipython
from phx_tasklint.lint.sources import (
    Source,
    compile_problem,
    from_bytes,
    kind_of,
    load,
)

FLAGS = ast.PyCF_ONLY_AST

# The Hypothesis profile's number of examples (tests/conftest.py): these tests run a multiple
# of it, so that HYPOTHESIS_PROFILE=fast shortens them too.
PROFILE_EXAMPLES = settings().max_examples


def rejected(source: str | bytes, flags: int = 0) -> BaseException | None:
    """The exception `compile()` raises for `source`, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<test>", "exec", flags=FLAGS | flags, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return exc
    return None


def only_problem(source: Source) -> tuple[int | None, int, int, str]:
    assert len(source.problems) == 1, source.problems
    finding = source.problems[0]
    assert finding.diagnostic.code == "PHX000"
    assert finding.diagnostic.name == "syntax-error"
    assert finding.diagnostic.severity == "error"
    assert finding.diagnostic.role is None
    loc = finding.location
    return loc.cell, loc.line, loc.column, finding.diagnostic.message


def notebook(*cells: object, **top: object) -> bytes:
    body: dict[str, object] = {"cells": list(cells), "metadata": {}, "nbformat": 4}
    body["nbformat_minor"] = 5
    body.update(top)
    return json.dumps(body, indent=1).encode()


def code(source: str | list[str]) -> dict[str, object]:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "source": source}


def markdown_cell(source: str) -> dict[str, object]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def doc_line(source: Source, cell: int | None, line: int) -> int:
    """The document line that maps to (cell, line)."""
    for number in range(1, source.text.count("\n") + 1):
        if source.locate(number, 1)[:2] == (cell, line):
            return number
    raise AssertionError(f"({cell}, {line}) is not in the document")


# -- kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("a.py", "python"),
        ("pkg/stub.pyi", "python"),
        ("A.PY", "python"),
        ("nb.ipynb", "notebook"),
        ("README.md", "markdown"),
        ("docs/page.mdx", "markdown"),
        ("setup.cfg", None),
        ("Makefile", None),
        ("dir.py/file", None),
    ],
    ids=lambda value: str(value),
)
def test_kind_of(path: str, kind: str | None) -> None:
    assert kind_of(path) == kind


def test_unknown_suffix_is_read_as_python() -> None:
    assert from_bytes(b"x = 1\n", "script").kind == "python"


# -- python files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding", "bom", "newline", "text"),
    [
        pytest.param(b"x = 1\n", "utf-8", False, "\n", "x = 1\n", id="plain"),
        pytest.param(b"x = 1", "utf-8", False, "\n", "x = 1", id="no-newline"),
        pytest.param(
            b"\xef\xbb\xbf# -*- coding: utf-8 -*-\r\nx = '\xc3\xa9'\r\n",
            "utf-8",
            True,
            "\r\n",
            "# -*- coding: utf-8 -*-\r\nx = 'é'\r\n",
            id="bom-coding-crlf",
        ),
        pytest.param(
            b"#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nx = '\xe9'\n",
            "iso-8859-1",
            False,
            "\n",
            "#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nx = 'é'\n",
            id="latin-1-on-line-2",
        ),
        pytest.param(b"x = 1\ry = 2\r", "utf-8", False, "\r", "x = 1\ry = 2\r", id="cr"),
        pytest.param(
            b"# coding=cp1252\nx = '\x80'\n",
            "cp1252",
            False,
            "\n",
            "# coding=cp1252\nx = '€'\n",
            id="cp1252",
        ),
    ],
)
def test_python_encoding_bom_newline(
    data: bytes, encoding: str, bom: bool, newline: str, text: str
) -> None:
    source = from_bytes(data, "a.py")
    assert source.problems == ()
    assert (source.kind, source.encoding, source.bom, source.newline) == (
        "python",
        encoding,
        bom,
        newline,
    )
    assert source.text == text
    assert source.encode(source.text) == data  # a --fix writes back what it read
    assert source.locate(2, 3) == (None, 2, 3)


@pytest.mark.parametrize(
    ("data", "line", "column", "message"),
    [
        pytest.param(
            b"x = 1\ny = '\xff'\n",
            2,
            6,
            "cannot parse this file: invalid utf-8 at byte offset 11 (0xff)",
            id="bad-byte-line-2",
        ),
        pytest.param(
            b"\xef\xbb\xbfx = '\xc3\xa9\xc3'\n",
            1,
            7,
            "cannot parse this file: invalid utf-8 at byte offset 10 (0xc3)",
            id="truncated-sequence-after-bom",
        ),
        pytest.param(
            b"# \xff\n",
            1,
            3,
            "cannot parse this file: invalid utf-8 at byte offset 2 (0xff)",
            id="in-a-comment",
        ),
        pytest.param(
            b"# coding: ascii\nx = '\xc3\xa9'\n",
            2,
            6,
            "cannot parse this file: invalid ascii at byte offset 21 (0xc3)",
            id="declared-ascii",
        ),
    ],
)
def test_undecodable_bytes(data: bytes, line: int, column: int, message: str) -> None:
    source = from_bytes(data, "a.py")
    assert only_problem(source) == (None, line, column, message)
    assert source.text == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"# coding: foo\n", "unknown encoding: foo", id="unknown"),
        pytest.param(b"# coding: rot13\n", "'rot13' is not a text encoding", id="not-text"),
        pytest.param(
            b"\xef\xbb\xbf# coding: latin-1\n",
            "encoding problem: iso-8859-1 with BOM",
            id="bom-and-latin-1",
        ),
    ],
)
def test_bad_encoding_declaration(data: bytes, message: str) -> None:
    source = from_bytes(data, "a.py")
    assert rejected(data) is not None
    cell, line, column, text = only_problem(source)
    assert (cell, line, column) == (None, 1, 1)
    assert message in text


def test_nul_byte() -> None:
    source = from_bytes(b"x = 1\ny = 2\x00\n", "a.py")
    assert only_problem(source) == (
        None,
        2,
        6,
        "cannot parse this file: source contains a NUL byte",
    )
    assert source.text == ""


@pytest.mark.parametrize(
    "text",
    [
        "def task(input:\n    return input\n",
        "x = (1,\n",
        "if x:\npass\n",
        "x = 1\n    y = 2\n",
        "'''never closed\n",
        "ééé = 1 $ 2\n",
        "f(**)\n",
        "x = 1__0\n",
        "await = 3\n",
        "def f():\n\tif x:\n        pass\n\tpass\n",
    ],
    ids=[
        "unclosed-params",
        "unclosed-paren",
        "missing-indent",
        "unexpected-indent",
        "unterminated-string",
        "non-ascii-columns",
        "bad-star-star",
        "invalid-decimal",
        "await-keyword",
        "tabs",
    ],
)
def test_syntax_error_position_is_compiles(text: str) -> None:
    exc = rejected(text)
    assert isinstance(exc, SyntaxError)
    source = from_bytes(text.encode(), "a.py")
    cell, line, column, message = only_problem(source)
    assert (cell, line, column) == (None, max(exc.lineno or 1, 1), max(exc.offset or 1, 1))
    assert message == f"cannot parse this file: {exc.msg}"
    assert source.text == ""
    # compile_problem is the same check, reusable by the linter
    problem = compile_problem(text, "a.py")
    assert problem is not None and problem == source.problems[0]


def test_compile_problem_none_and_top_level_await() -> None:
    assert compile_problem("def task(input):\n    return input\n", "a.py") is None
    # an AST-only compile leaves `await` outside a coroutine to the compiler: both pass
    assert compile_problem("x = await f()\n", "a.py") is None
    assert compile_problem("async with x:\n    pass\n", "a.py", top_level_await=True) is None
    problem = compile_problem("x = (\n", "a.py", top_level_await=True)
    assert problem is not None and problem.location.line == 1


def test_invalid_escape_warning_is_not_an_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = from_bytes(b"pattern = '\\d+'\n", "a.py")
    assert source.problems == ()


def test_check_syntax_off_skips_compile() -> None:
    source = from_bytes(b"def f(:\n", "a.py", check_syntax=False)
    assert source.problems == ()
    assert source.text == "def f(:\n"
    # decoding problems are still reported
    assert from_bytes(b"\xff", "a.py", check_syntax=False).problems


NESTED = {
    "parens": "(" * 10_000 + "x" + ")" * 10_000,
    "lists": "[" * 10_000 + "]" * 10_000,
    "unary": "-" * 10_000 + "x",
    "not": "not " * 10_000 + "x",
    "lambda": "lambda: " * 10_000 + "x",
    "plus": "x" + " + x" * 10_000,
    "attributes": "x" + ".a" * 100_000,
    "subscripts": "x" + "[0]" * 100_000,
    "if-blocks": "".join(" " * i + "if x:\n" for i in range(10_000)) + " " * 10_000 + "pass",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["a.py", "nb.ipynb", "doc.md"])
@pytest.mark.parametrize("name", list(NESTED))
def test_deep_nesting_does_not_raise(name: str, kind: str) -> None:
    text = NESTED[name] + "\n"
    if kind.endswith(".ipynb"):
        data = notebook(code("y = 1\n"), code(text))
    elif kind.endswith(".md"):
        data = f"```python\ny = 1\n```\n\n```python\n{text}```\n".encode()
    else:
        data = text.encode()
    source = from_bytes(data, kind)
    # whether compile() copes depends on the interpreter's recursion limit at that moment
    broken = rejected(text, ast.PyCF_ALLOW_TOP_LEVEL_AWAIT) is not None
    assert len(source.problems) == (1 if broken else 0)
    if kind != "a.py":
        assert source.text.splitlines()[0 if kind.endswith(".ipynb") else 1] == "y = 1"
        if broken:  # the broken cell / fence is blanked, the other one still checked
            assert source.text.strip() == "y = 1"


def test_load_reads_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(b"\xef\xbb\xbfx = 1\r\n")
    source = load(path, display="src/mod.py")
    assert (source.path, source.text, source.bom, source.newline) == (
        "src/mod.py",
        "x = 1\r\n",
        True,
        "\r\n",
    )
    assert load(path).path == str(path)


def test_load_check_syntax_flag(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text("def f(:\n")
    assert load(path, wrappers=None).problems  # every problem
    assert load(path, check_syntax=False, wrappers=None).problems == ()
    # as `check` reports it: only where a hand-off could be
    assert load(path).problems == ()
    path.write_text("run_experiment(dataset=d, task=\n")
    assert load(path).problems


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_load_unreadable(tmp_path: Path, what: str) -> None:
    path = tmp_path / "gone.py"
    if what == "directory":
        path.mkdir()
    source = load(path, display="gone.py")
    cell, line, column, message = only_problem(source)
    assert (cell, line, column) == (None, 1, 1)
    assert message.startswith("cannot parse this file: cannot read it: ")
    assert source.text == ""
    assert source.problems[0].location.path == "gone.py"


# -- notebooks --------------------------------------------------------------------------------

IPYTHON_CELL = [
    "%pip install arize-phoenix-client\n",
    "!ls -l\n",
    "files = !ls\n",
    "elapsed = %time f()\n",
    "Client?\n",
    "??Client.experiments\n",
    "import asyncio\n",
    "if True:\n",
    "    !echo indented\n",
    "    %time g()\n",
    "x = (1\n",
    "  %2)\n",  # inside brackets: Python, not a magic
    "result = await asyncio.sleep(0)\n",
]


def test_notebook_masks_ipython_and_maps_back() -> None:
    data = notebook(
        markdown_cell("# Experiment\n"),
        code(IPYTHON_CELL),
        code("%%bash\nls -l\necho ${HOME}\n"),
        {"cell_type": "raw", "metadata": {}, "source": "not python"},
        code("def task(input):\n    return input\n"),
    )
    source = from_bytes(data, "nb.ipynb")
    assert source.kind == "notebook"
    assert source.problems == ()
    assert source.top_level_await
    assert rejected(source.text, ast.PyCF_ALLOW_TOP_LEVEL_AWAIT) is None
    lines = source.text.split("\n")
    # cell 2: 13 lines, cell 3: 3 lines, cell 5: 2 lines (markdown and raw cells counted)
    assert len(lines) == 13 + 3 + 2 + 1
    assert lines[:6] == ["pass", "pass", "files = None", "elapsed = None", "pass", "pass"]
    assert lines[8:12] == ["    pass", "    pass", "x = (1", "  %2)"]
    assert lines[13:16] == ["", "", ""]  # the %%bash cell
    assert source.locate(1, 1) == (2, 1, 1)
    assert source.locate(13, 10) == (2, 13, 10)
    assert source.locate(14, 1) == (3, 1, 1)
    assert source.locate(17, 5) == (5, 1, 5)  # `task` in `def task(input):`
    assert lines[16] == "def task(input):"
    loc = source.place(17, 5, 17, 9)
    assert (loc.cell, loc.line, loc.column, loc.end_line, loc.end_column) == (5, 1, 5, 1, 9)


@pytest.mark.parametrize(
    ("source_field", "expected"),
    [
        pytest.param("x = 1\ny = 2", ["x = 1", "y = 2"], id="string"),
        pytest.param(["x = 1\n", "y = 2"], ["x = 1", "y = 2"], id="list"),
        pytest.param("x = 1\r\ny = 2\r\n", ["x = 1", "y = 2"], id="crlf"),
    ],
)
def test_notebook_source_shapes(source_field: str | list[str], expected: list[str]) -> None:
    source = from_bytes(notebook(code(source_field)), "nb.ipynb")
    assert source.problems == ()
    assert source.text.split("\n")[:-1] == expected


def test_notebook_cell_numbers_count_markdown_cells() -> None:
    data = notebook(
        markdown_cell("intro"),
        markdown_cell("more"),
        code("a = 1\n"),
        markdown_cell("between"),
        code("b = 2\nc = 3\n"),
    )
    source = from_bytes(data, "nb.ipynb")
    assert [source.locate(n, 1) for n in (1, 2, 3)] == [(3, 1, 1), (5, 1, 1), (5, 2, 1)]


def test_notebook_broken_cell_is_reported_and_blanked() -> None:
    data = notebook(
        markdown_cell("# title"),
        code("def task(input):\n    return input\n"),
        code("x = 1\ndef evaluator(output:\n    return 1.0\n"),
        code("y = 2\n"),
    )
    source = from_bytes(data, "nb.ipynb")
    exc = rejected("x = 1\ndef evaluator(output:\n    return 1.0\n")
    assert isinstance(exc, SyntaxError)
    cell, line, column, message = only_problem(source)
    assert (cell, line, column) == (3, exc.lineno, exc.offset)
    assert message == f"cannot parse this cell 3: {exc.msg}"
    assert source.text.split("\n") == [
        "def task(input):",
        "    return input",
        "",
        "",
        "",
        "y = 2",
        "",
    ]
    assert source.locate(6, 1) == (4, 1, 1)


def test_notebook_cell_errors_are_independent() -> None:
    data = notebook(code("x = (\n"), code("ok = 1\n"), code("y = ]\n"))
    source = from_bytes(data, "nb.ipynb")
    assert [p.location.cell for p in source.problems] == [1, 3]
    assert source.text == "\nok = 1\n\n"


def test_notebook_leading_indent_is_removed_like_ipython() -> None:
    source = from_bytes(notebook(code("  x = 1\n  y = (x,\n    2)\n")), "nb.ipynb")
    assert source.problems == ()
    assert source.text == "x = 1\ny = (x,\n  2)\n"
    assert source.locate(2, 1) == (1, 2, 3)


def test_notebook_python_cell_magic_keeps_body() -> None:
    source = from_bytes(notebook(code("%%time\nresult = f()\n")), "nb.ipynb")
    assert source.text == "\nresult = f()\n"


def test_notebook_in_another_language_is_skipped() -> None:
    data = notebook(
        code("x <- c(1, 2)\n"), metadata={"kernelspec": {"language": "R", "name": "ir"}}
    )
    source = from_bytes(data, "nb.ipynb")
    assert (source.text, source.problems) == ("", ())


def test_notebook_without_code_has_no_text() -> None:
    source = from_bytes(notebook(markdown_cell("# nothing")), "nb.ipynb")
    assert (source.text, source.problems) == ("", ())


@pytest.mark.parametrize(
    ("data", "where", "error"),
    [
        pytest.param(
            b'{"cells": [\n  {"cell_type": "code",,}\n]}',
            (None, 2, 24),
            "invalid JSON: Expecting property name enclosed in double quotes",
            id="invalid-json",
        ),
        pytest.param(b"", (None, 1, 1), "invalid JSON: Expecting value", id="empty"),
        pytest.param(
            b"[1, 2]", (None, 1, 1), "the notebook is an array, not a JSON object", id="array"
        ),
        pytest.param(
            b'{"metadata": {}, "nbformat": 4}',
            (None, 1, 1),
            "missing `cells` (not an nbformat 4 notebook)",
            id="missing-cells",
        ),
        pytest.param(
            b'{"cells": {"0": {}}, "nbformat": 4}',
            (None, 1, 1),
            "`cells` is an object, not a list",
            id="cells-not-a-list",
        ),
        pytest.param(
            b'{"worksheets": [{"cells": []}], "nbformat": 3, "metadata": {}}',
            (None, 1, 1),
            "nbformat 3 is not supported, convert with `jupyter nbconvert --to notebook`",
            id="nbformat-3",
        ),
        pytest.param(
            notebook(code("x = 1\n"), "a string cell"),
            (2, 1, 1),
            "cell 2 is a string, not an object",
            id="cell-not-an-object",
        ),
        pytest.param(
            notebook(markdown_cell("m"), {"cell_type": "code", "source": 42}),
            (2, 1, 1),
            "cell 2: `source` is a number, not a string or list of strings",
            id="source-number",
        ),
        pytest.param(
            notebook({"cell_type": "code", "source": ["x = 1\n", None]}),
            (1, 1, 1),
            "cell 1: `source` is an array, not a string or list of strings",
            id="source-list-with-null",
        ),
        pytest.param(
            b'{"cells": [], "x": "\xff"}',
            (None, 1, 21),
            "invalid utf-8 at byte offset 20 (0xff)",
            id="not-utf-8",
        ),
        pytest.param(
            b"[" * 100_000 + b"]" * 100_000,
            (None, 1, 1),
            "invalid JSON: too deeply nested",
            id="deep-json",
        ),
    ],
)
def test_broken_notebooks(data: bytes, where: tuple[int | None, int, int], error: str) -> None:
    source = from_bytes(data, "nb.ipynb")
    cell, line, column, message = only_problem(source)
    assert (cell, line, column) == where
    assert message.endswith(": " + error), message
    assert source.text == ""


# -- Markdown ---------------------------------------------------------------------------------

MARKDOWN = """\
# Phoenix experiments

```python
def task(input):
    return input
```

Some prose with `inline` code.

1. A list item with a fence:

   ```py title="evaluators.py"
   def evaluator(output):
       return 1.0
   ```

~~~~Python3
x = 1
~~~~

```bash
pip install arize-phoenix-client
```

```pycon
>>> def f(example):
...     return example
...
>>> f(1)
1
```

```ipython
%pip install pandas
frames = !ls
await run()
```

```javascript
const x = 1;
```
"""


def test_markdown_fences_become_one_document() -> None:
    source = from_bytes(MARKDOWN.encode(), "README.md")
    assert source.kind == "markdown"
    assert source.problems == ()
    lines = source.text.split("\n")
    assert len(lines) == MARKDOWN.count("\n") + 1  # document lines ARE the Markdown lines
    expected = {
        4: "def task(input):",
        5: "    return input",
        13: "def evaluator(output):",
        14: "    return 1.0",
        18: "x = 1",
        26: "def f(example):",
        27: "    return example",
        28: "",
        29: "f(1)",
        30: "",  # output
        34: "pass",
        35: "frames = None",
        36: "await run()",
    }
    for number, text in expected.items():
        assert lines[number - 1] == text, number
    code_lines = {n for n, line in enumerate(lines, start=1) if line.strip()}
    assert code_lines == {n for n, text in expected.items() if text}
    assert source.locate(13, 5) == (None, 13, 8)  # dedented by the list fence's 3 spaces
    assert source.locate(26, 5) == (None, 26, 9)  # `>>> ` removed
    assert source.locate(4, 5) == (None, 4, 5)
    assert rejected(source.text, ast.PyCF_ALLOW_TOP_LEVEL_AWAIT) is None


@pytest.mark.parametrize(
    "info",
    ["python", "py", "python3", "ipython", "pycon", "PYTHON", "py {1,3}", "{python}"],
)
def test_markdown_python_info_strings(info: str) -> None:
    source = from_bytes(f"```{info}\nx = 1\n```\n".encode(), "doc.md")
    assert source.text.strip() in ("x = 1", ""), source.text
    assert source.problems == ()
    if info != "pycon":
        assert source.text == "\nx = 1\n\n"


@pytest.mark.parametrize("info", ["", "bash", "javascript", "text", "pythonic", "json"])
def test_markdown_other_fences_are_not_code(info: str) -> None:
    source = from_bytes(f"```{info}\nthis is not python (\n```\n".encode(), "doc.md")
    assert (source.text, source.problems) == ("", ())


def test_markdown_python_fence_holding_a_console_session_is_pycon() -> None:
    source = from_bytes(b"```python\n>>> x = 1\n>>> x\n1\n```\n", "doc.md")
    assert source.problems == ()
    assert source.text == "\nx = 1\nx\n\n\n"
    assert source.locate(3, 1) == (None, 3, 5)


def test_markdown_broken_fence_beside_a_good_one() -> None:
    text = "Intro\n\n```python\nok = 1\n```\n\n  ```python\n  def task(input:\n  ```\n"
    source = from_bytes(text.encode(), "doc.md")
    exc = rejected("def task(input:\n")
    assert isinstance(exc, SyntaxError)
    cell, line, column, message = only_problem(source)
    assert (cell, line, column) == (None, 8, (exc.offset or 1) + 2)
    assert message == f"cannot parse this code fence at line 7: {exc.msg}"
    assert source.text.split("\n")[3] == "ok = 1"
    assert source.text.strip() == "ok = 1"


def test_markdown_unclosed_fence() -> None:
    text = "```python\nok = 1\n```\n\n```python\nx = 1\n\nmore prose\n```bash\nls\n"
    source = from_bytes(text.encode(), "doc.md")
    assert only_problem(source) == (
        None,
        5,
        1,
        "cannot parse this file: unclosed code fence opened at line 5",
    )
    assert source.text.strip() == "ok = 1"


def test_markdown_unclosed_other_fence_is_not_a_problem() -> None:
    source = from_bytes(b"```python\nok = 1\n```\n```text\nnever closed\n", "doc.md")
    assert source.problems == ()
    assert source.text.strip() == "ok = 1"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param("````python\ns = '''\n```\n'''\n````\n", "s = '''\n```\n'''", id="longer"),
        pytest.param("~~~python\nx = 1\n```\n~~~\n", None, id="tilde-not-closed-by-backticks"),
        pytest.param("```python\nx = 1\n`````\n", "x = 1", id="longer-closing"),
        pytest.param("``` python `x`\nx = 1\n```\n", None, id="backtick-info-is-not-a-fence"),
    ],
)
def test_markdown_fence_closing_rules(text: str, code: str | None) -> None:
    source = from_bytes(text.encode(), "doc.mdx")
    if code is None:
        assert source.problems or source.text == ""
        if source.problems:
            assert "```" not in source.text
    else:
        assert source.text.strip() == code


def test_markdown_crlf_and_bom() -> None:
    source = from_bytes(b"\xef\xbb\xbf# t\r\n```py\r\nx = 1\r\n```\r\n", "doc.md")
    assert (source.text, source.newline) == ("\n\nx = 1\n\n", "\r\n")


def test_markdown_without_fences_is_empty() -> None:
    assert from_bytes(b"# Title\n\nprose\n", "doc.md").text == ""


# -- properties -------------------------------------------------------------------------------

PY_FRAGMENTS = st.sampled_from(
    [
        "def task(",
        "input",
        ")",
        ":",
        "\n",
        "\r\n",
        "\r",
        "    ",
        "\t",
        "x",
        " = ",
        "1",
        "'",
        '"',
        "#",
        "\\",
        "(",
        "[",
        "{",
        "}",
        "]",
        "é",
        "\x00",
        "\x0c",
        "\ufeff",
        "await ",
        "async ",
        "lambda ",
        "return ",
        "if ",
        "else",
        "f'",
        "# coding: latin-1\n",
        "# -*- coding: utf-8 -*-\n",
        "# coding: foo\n",
        "# coding=ascii\n",
        "# vim: fileencoding=cp1252\n",
    ]
)
PY_TEXT = st.lists(PY_FRAGMENTS | st.text(max_size=4), max_size=30).map("".join)


@settings(
    max_examples=4 * PROFILE_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(PY_TEXT)
def test_python_phx000_iff_compile_rejects(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    source = from_bytes(data, "a.py")
    # compile(bytes) decodes the way an import does (BOM, coding declaration)
    assert bool(source.problems) == (rejected(data) is not None)
    assert all(p.diagnostic.code == "PHX000" for p in source.problems)
    if source.problems:
        assert source.text == ""
        return
    if "coding" not in text:
        assert source.text == text.removeprefix("\ufeff")
    # the decoded document is what Python itself reads from the bytes, positions included
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = compile(source.text, "<test>", "exec", flags=FLAGS, dont_inherit=True)
        python = compile(data, "<test>", "exec", flags=FLAGS, dont_inherit=True)
    assert ast.dump(ours, include_attributes=True) == ast.dump(python, include_attributes=True)


@settings(max_examples=3 * PROFILE_EXAMPLES, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["a.py", "n.ipynb", "d.md", "x.pyi"]))
def test_random_bytes_never_raise(data: bytes, path: str) -> None:
    source = from_bytes(data, path)
    assert isinstance(source.text, str)
    assert all(p.diagnostic.code == "PHX000" for p in source.problems)


CELL_FRAGMENTS = st.sampled_from(
    [
        "%pip install x",
        "!ls",
        "x = !ls",
        "y = %time f()",
        "obj?",
        "??obj",
        "%%bash",
        "%%time",
        "def f(",
        "):",
        "    ",
        "  ",
        "return 1",
        "await g()",
        "(",
        ")",
        "'''",
        "\\",
        "# c",
        "x = 1",
        "\r",
    ]
)
CELL_SOURCE = st.lists(CELL_FRAGMENTS | st.text(max_size=3), max_size=8).map("\n".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
CELL = st.one_of(
    st.fixed_dictionaries(
        {
            "cell_type": st.sampled_from(["code", "markdown", "raw"]),
            "source": CELL_SOURCE | st.lists(CELL_SOURCE, max_size=3),
        }
    ),
    JSON,
)


@settings(
    max_examples=3 * PROFILE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(CELL, max_size=5))
def test_random_notebooks_never_raise_and_document_compiles(cells: list[object]) -> None:
    source = from_bytes(json.dumps({"cells": cells, "nbformat": 4}).encode(), "n.ipynb")
    assert all(p.diagnostic.code == "PHX000" for p in source.problems)
    if source.text:
        assert rejected(source.text, ast.PyCF_ALLOW_TOP_LEVEL_AWAIT) is None
        for number in range(1, source.text.count("\n") + 1):
            cell, line, _ = source.locate(number, 1)
            assert isinstance(cell, int) and line >= 1
            assert isinstance(cells[cell - 1], dict)
        assert_tree_is_the_documents(source)


def assert_tree_is_the_documents(source: Source) -> None:
    """The tree a reader joins from its blocks' is the one parsing the document gives."""
    if source.tree is not None:
        parsed = ast.parse(source.text)
        assert ast.dump(source.tree, include_attributes=True) == ast.dump(
            parsed, include_attributes=True
        )


MD_FRAGMENTS = st.sampled_from(
    [
        "```python",
        "```py",
        "```pycon",
        "```ipython",
        "```bash",
        "~~~python",
        "~~~",
        "```",
        "````",
        "   ```python",
        ">>> x = 1",
        "... ",
        "def f(",
        "!ls",
        "x = 1",
        "    y = 2",
        "prose",
    ]
)
MD_TEXT = st.lists(MD_FRAGMENTS | st.text(max_size=4), max_size=15).map("\n".join)


@settings(max_examples=3 * PROFILE_EXAMPLES, deadline=None)
@given(MD_TEXT)
def test_random_markdown_never_raises_and_keeps_line_numbers(text: str) -> None:
    source = from_bytes(text.encode("utf-8", "surrogatepass"), "d.md")
    assert all(p.diagnostic.code == "PHX000" for p in source.problems)
    if source.text:
        assert rejected(source.text, ast.PyCF_ALLOW_TOP_LEVEL_AWAIT) is None
        assert source.text.count("\n") == len(source.line_map)
        assert [source.locate(n, 1)[1] for n in range(1, len(source.line_map) + 1)] == list(
            range(1, len(source.line_map) + 1)
        )
        assert_tree_is_the_documents(source)


# --------------------------------------------------------------------------------------------
# PHX000 only where a hand-off could be (`wrappers`), and what is set aside instead

WRAPPERS: frozenset[str] = frozenset({"launch"})  # a configured runner's name
MARKED = "from phoenix.client.experiments import run_experiment\nrun_experiment(task=\n"
PSEUDO = "client.experiments.run(...\n"  # half a call: documentation's pseudo-code
CELL = "notebook cell that does not parse (cannot hold a hand-off)"
FENCE = "code fence that does not parse (cannot hold a hand-off)"


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        pytest.param(MARKED, True, id="runner"),
        pytest.param("launch(task=\n", True, id="configured-runner"),
        pytest.param("@create_evaluator(name='x'\ndef f(output): ...\n", True, id="decorator"),
        pytest.param("import phoenix.experiments\nx = (\n", True, id="legacy-import"),
        pytest.param(PSEUDO, False, id="pseudo-code"),
        pytest.param("import phoenix\nphoenix.launch_app(\n", False, id="phoenix-only"),
    ],
)
def test_python_phx000_only_where_a_hand_off_could_be(text: str, reported: bool) -> None:
    source = from_bytes(text.encode(), "a.py", wrappers=WRAPPERS)
    assert bool(source.problems) is reported
    assert source.candidate is reported
    # a Python file is one block: reported or not, never counted
    assert source.text == "" and source.skipped == ()
    # without `wrappers` (what `--fix` asks of a file it writes) every problem is reported
    assert from_bytes(text.encode(), "a.py").problems


def test_python_screen_stops_reading_a_file_that_cannot_hand_off() -> None:
    data = b"def task(input):\n    return input\n"
    assert from_bytes(data, "a.py", wrappers=WRAPPERS).text == data.decode()
    screened = from_bytes(data, "a.py", wrappers=WRAPPERS, screen=True)
    assert (screened.text, screened.candidate) == ("", False)
    # identifiers are read in NFKC form: a fullwidth `ｒ` still spells the runner
    spelled = "from phoenix.client.experiments import \uff52un_experiment\n".encode()
    assert from_bytes(spelled, "a.py", wrappers=WRAPPERS, screen=True).candidate


def test_notebook_broken_cells_reported_skipped_or_dropped() -> None:
    data = notebook(
        code("from phoenix.client.experiments import run_experiment\n"),
        code(PSEUDO),  # cannot hold a hand-off: counted
        code("run_experiment(task=\n"),  # could: reported
        code("def task(input):\n    return input\n"),
    )
    source = from_bytes(data, "nb.ipynb", wrappers=WRAPPERS)
    assert [p.location.cell for p in source.problems] == [3]
    assert source.skipped == (CELL,)
    assert "def task(input):" in source.text
    # no cell of this notebook could hold a hand-off: nothing is reported, nothing counted
    quiet = from_bytes(notebook(code(PSEUDO), code("x = 1\n")), "nb.ipynb", wrappers=WRAPPERS)
    assert (quiet.problems, quiet.skipped, quiet.candidate) == ((), (), False)
    assert quiet.text.strip() == "x = 1"


def test_markdown_broken_fences_reported_skipped_or_dropped() -> None:
    text = (
        "# Guide\n\n"
        "```python\nfrom phoenix.client.experiments import run_experiment\n```\n\n"
        "```python\nresult = client.experiments.get(...\n```\n\n"  # pseudo-code, line 7
        "```python\nrun_experiment(dataset=ds, task=\n```\n"  # a broken hand-off, line 11
    )
    source = from_bytes(text.encode(), "guide.md", wrappers=WRAPPERS)
    assert [p.location.line for p in source.problems] == [12]
    assert "code fence at line 11" in source.problems[0].diagnostic.message
    assert source.skipped == (FENCE,)
    pseudo_only = "Intro\n\n```python\nresult = f(...\n```\n"
    quiet = from_bytes(pseudo_only.encode(), "page.md", wrappers=WRAPPERS)
    assert (quiet.problems, quiet.skipped) == ((), ())
    assert from_bytes(pseudo_only.encode(), "page.md").problems  # without `wrappers`
    unclosed = "```python\nrun_experiment(task=t)\n"
    assert from_bytes(unclosed.encode(), "page.md", wrappers=WRAPPERS).problems
    unclosed_pseudo = "```python\nrun_experiment(task=t)\n```\n```python\nf(...\n"
    assert from_bytes(unclosed_pseudo.encode(), "page.md", wrappers=WRAPPERS).skipped == (FENCE,)


C_SHARP_NOTEBOOK = {  # what Polyglot Notebooks (.NET Interactive) writes
    "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
    "language_info": {"name": "polyglot-notebook"},
    "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": []}},
}


def dotnet_cell(source: str, language: str) -> dict[str, object]:
    cell = code(source)
    cell["metadata"] = {
        "dotnet_interactive": {"language": language},
        "polyglot_notebook": {"kernelName": language},
    }
    return cell


def test_notebook_in_csharp_is_not_python() -> None:
    data = notebook(
        dotnet_cell('var client = new HttpClient();\nConsole.WriteLine("hi");\n', "csharp"),
        dotnet_cell("using System.IO;\n", "csharp"),
        metadata=C_SHARP_NOTEBOOK,
    )
    for wrappers in (None, WRAPPERS):
        source = from_bytes(data, "nb.ipynb", wrappers=wrappers)
        assert (source.text, source.problems) == ("", ())
        assert source.skipped == ("notebook in another language (csharp)",)


def test_a_python_cell_in_a_csharp_notebook_is_python() -> None:
    """A cell's own language wins over the notebook's: a polyglot notebook mixes them."""
    data = notebook(
        dotnet_cell('var method = "GET";\n', "csharp"),
        dotnet_cell("def task(input):\n    return input\n", "python"),
        metadata=C_SHARP_NOTEBOOK,
    )
    source = from_bytes(data, "nb.ipynb", wrappers=WRAPPERS)
    assert source.text == "def task(input):\n    return input\n"
    assert source.skipped == ("notebook cell in another language (csharp)",)


def test_cells_in_another_language_are_left_out() -> None:
    """No language for the notebook, but each cell names its own (as in .NET Interactive's
    first notebooks): the C# and F# cells are not Python, the python cell is."""
    vscode = code("Console.WriteLine(1);\n")
    vscode["metadata"] = {"vscode": {"languageId": "dotnet-interactive.csharp"}}
    data = notebook(
        dotnet_cell('var method = "GET";\n', "csharp"),
        dotnet_cell("let x = 1\n", "fsharp"),
        vscode,
        dotnet_cell("def task(input):\n    return input\n", "python"),
    )
    source = from_bytes(data, "nb.ipynb")
    assert source.problems == ()
    assert source.text == "def task(input):\n    return input\n"
    assert source.locate(1, 1) == (4, 1, 1)
    assert source.skipped == (
        "notebook cell in another language (csharp)",
        "notebook cell in another language (fsharp)",
        "notebook cell in another language (csharp)",
    )


@settings(max_examples=PROFILE_EXAMPLES * 3, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text(st.sampled_from(list(" \t\f%!/,;?=x(1)'\"#.\\\x0b\x1c")), max_size=12),
        max_size=6,
    )
)
def test_ipython_lines_are_masked_only_where_the_quick_look_sees_some(lines: list[str]) -> None:
    """`mask_ipython` leaves a cell alone when `_MAYBE_IPYTHON` finds nothing in it: then no
    line is one `_mask_line` would replace."""
    if not ipython._MAYBE_IPYTHON.search("\n".join(lines)):
        assert [ipython._mask_line(line) for line in lines] == [None] * len(lines)
