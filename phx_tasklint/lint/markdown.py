"""The reader for Markdown: the Python code fences of a file.

The fences form one document whose line numbers are the Markdown file's own; columns map back by
adding what was removed in front (indentation, `>>> `). A fence that does not compile is left
out, and reported when it could hold a hand-off (pseudo-code in documentation cannot).
"""

from __future__ import annotations

import ast
import codecs
import re
from collections.abc import Sequence
from typing import NamedTuple

from phx_tasklint.lint.document import (
    TOP_LEVEL_AWAIT,
    CompileFailure,
    Source,
    block_tree,
    bytes_could_hold,
    cannot_parse,
    compile_failure,
    could_hold,
    decode,
    document_could_hold,
    first_newline,
    joined,
    split_lines,
    unparsed,
)
from phx_tasklint.lint.findings import Finding
from phx_tasklint.lint.ipython import dedent_cell, mask_ipython

_FENCE = re.compile(r"([ \t]*)(`{3,}|~{3,})(.*)")
_INFO_WORD = re.compile(r"[{.]*([\w+-]+)")
_FENCE_LANGUAGES: dict[str, str] = {
    "python": "python",
    "py": "python",
    "python3": "python",
    "py3": "python",
    "ipython": "ipython",
    "ipython3": "ipython",
    "pycon": "pycon",
}


def _fence_language(info: str) -> str | None:
    match = _INFO_WORD.match(info.strip())
    return _FENCE_LANGUAGES.get(match.group(1).lower()) if match else None


def _strip_indent(line: str, width: int) -> tuple[str, int]:
    removed = 0
    while removed < width and removed < len(line) and line[removed] in " \t":
        removed += 1
    return line[removed:], removed


def _fence_content(lines: list[str], language: str) -> tuple[list[str], list[int]]:
    """The Python of one fence's (dedented) lines, and the extra columns removed per line."""
    if language == "python" and next((s for s in lines if s.strip()), "").startswith(">>>"):
        language = "pycon"  # a console session in a `python` fence (common in docs)
    if language == "ipython":
        dedented, shifts = dedent_cell(lines)
        return mask_ipython(dedented), shifts
    if language != "pycon":
        return lines, [0] * len(lines)
    out: list[str] = []
    shifts = []
    for line in lines:
        if line.startswith((">>> ", "... ")):
            out.append(line[4:])
            shifts.append(4)
        else:  # output, or an empty prompt
            out.append("")
            shifts.append(0)
    return out, shifts


class _Fence(NamedTuple):
    """A Python fence: where it is, and the Python it holds."""

    open_line: int  # 1-based line of the opening fence
    column: int  # 1-based column of the opening fence
    start: int  # index of its first line of code
    closed: bool  # False: no closing fence, the rest of the file is inside it
    code: list[str]  # its lines as Python
    removed: list[int]  # per line, the columns removed in front (indentation, prompts)


def _python_fences(lines: list[str]) -> list[_Fence]:
    fences: list[_Fence] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.fullmatch(lines[index])
        index += 1
        if opening is None:
            continue
        indent, fence, info = opening.groups()
        if fence[0] == "`" and "`" in info:
            continue  # not a fence (an inline code span)
        closing = re.compile(r"[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*")
        close = next((i for i in range(index, len(lines)) if closing.fullmatch(lines[i])), None)
        language = _fence_language(info)
        if language is not None:
            stop = len(lines) if close is None else close
            content = [_strip_indent(line, len(indent)) for line in lines[index:stop]]
            code, extra = _fence_content([line for line, _ in content], language)
            removed = [width + more for (_, width), more in zip(content, extra, strict=True)]
            fences.append(_Fence(index, len(indent) + 1, index, close is not None, code, removed))
        if close is None:
            break  # the rest of the file is inside the fence: not Markdown
        index = close + 1
    return fences


def read(
    data: bytes, path: str, wrappers: frozenset[str] | None = None, screen: bool = False
) -> Source:
    """The Python fences of a Markdown file. With `wrappers`, a fence that does not compile is
    reported only when it could hold a hand-off, counted in `skipped` when another fence could,
    and dropped silently when none could; with `screen` too, a file none of whose fences could
    is not compiled."""
    if screen and not bytes_could_hold(data, wrappers):
        # the text as a whole holds no name a fence of it could: the common case, cheaply
        newline = first_newline(data[:4096].decode("latin-1"))
        return Source(path, "markdown", "", newline=newline, top_level_await=True, candidate=False)
    bom = data.startswith(codecs.BOM_UTF8)
    raw, problem = decode(data, path, "utf-8", len(codecs.BOM_UTF8) if bom else 0)
    newline = first_newline(raw)
    if problem is not None or ("```" not in raw and "~~~" not in raw):
        problems = (problem,) if problem is not None and bytes_could_hold(data, wrappers) else ()
        return Source(path, "markdown", "", problems, newline=newline, top_level_await=True)
    lines = split_lines(raw)
    fences = _python_fences(lines)
    blocks = ["\n".join(fence.code) for fence in fences]
    could = could_hold(blocks, wrappers)  # which broken fences to report
    candidate = document_could_hold(blocks, wrappers)
    if not candidate and screen:
        return Source(path, "markdown", "", newline=newline, top_level_await=True, candidate=False)
    document = [""] * len(lines)
    shifts = [0] * len(lines)
    problems_found: list[Finding] = []
    skipped: list[str] = []
    has_code = False
    trees: list[ast.Module] = []
    complete = True  # every fence kept has its tree
    for fence, reported in zip(fences, could, strict=True):
        code = fence.code
        if fence.closed:
            tree = block_tree(code, fence.start) if code else None
            failure = (
                None
                if tree is not None or not code
                else compile_failure("\n".join(code) + "\n", TOP_LEVEL_AWAIT)
            )
            if failure is None:
                document[fence.start : fence.start + len(code)] = code
                shifts[fence.start : fence.start + len(code)] = fence.removed
                has_code = has_code or any(line.strip() for line in code)
                if tree is not None:
                    trees.append(tree)
                complete = complete and (tree is not None or not code)
                continue
            problem = _fence_problem(path, fence.open_line, failure, fence.removed)
        else:
            error = f"unclosed code fence opened at line {fence.open_line}"
            problem = cannot_parse(path, "file", error, fence.open_line, fence.column)
        if reported:
            problems_found.append(problem)
        elif candidate:
            skipped.append(unparsed("code fence"))
    text = "\n".join(document) + "\n" if has_code else ""
    line_map = tuple((None, number, shift) for number, shift in enumerate(shifts, start=1))
    return Source(
        path,
        "markdown",
        text,
        tuple(problems_found),
        newline=newline,
        top_level_await=True,
        line_map=line_map if has_code else (),
        candidate=candidate,
        skipped=tuple(skipped),
        # none where a fence compiled only the second time: the engine parses the text
        tree=joined(trees) if has_code and complete else None,
    )


def _fence_problem(
    path: str, open_line: int, error: CompileFailure, removed: Sequence[int]
) -> Finding:
    line, column, end_line, end_column, message = error
    last = max(len(removed), 1)
    line, end_line = min(line, last), min(end_line, last)

    def shift(at: int) -> int:
        return removed[at - 1] if at <= len(removed) else 0

    start = (open_line + line, column + shift(line))
    end = (open_line + end_line, end_column + shift(end_line))
    unit = f"code fence at line {open_line}"
    return cannot_parse(path, unit, message, start[0], start[1], end)
