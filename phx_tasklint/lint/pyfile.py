"""The reader for `.py` / `.pyi` files.

A file is decoded the way `compile(bytes)` decodes it (BOM, PEP 263 declaration on line 1 or 2)
and kept byte-for-byte otherwise (line endings are not translated), so a `--fix` can write
`Source.encode(new_text)` back.
"""

from __future__ import annotations

import codecs
import re

from phx_tasklint.lint import prefilter
from phx_tasklint.lint.document import (
    Source,
    cannot_parse,
    compile_problem,
    decode,
    first_newline,
    position,
)
from phx_tasklint.lint.findings import Finding

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK = re.compile(rb"^[ \t\f]*(?:#|$)")
_BYTES_NEWLINE = re.compile(rb"\r\n|\r|\n")


def _normal_encoding(name: str) -> str:
    """CPython's tokenizer `get_normal_name`: utf-8 and latin-1 spellings -> canonical."""
    head = name[:12].lower().replace("_", "-")
    if head == "utf-8" or head.startswith("utf-8-"):
        return "utf-8"
    if head in ("latin-1", "iso-8859-1", "iso-latin-1") or head.startswith(
        ("latin-1-", "iso-8859-1-", "iso-latin-1-")
    ):
        return "iso-8859-1"
    return name


def _declared_encoding(body: bytes, bom: bool) -> tuple[str, str | None]:
    """(encoding, error) from a PEP 263 declaration, read the way `compile(bytes)` reads it.

    Only line 1, or line 2 after a blank or comment-only line 1, is looked at (lines end at
    \\r\\n, \\r or \\n). An unknown codec is left for the decode to report.
    """
    first_end = body.find(b"\n")
    second_end = body.find(b"\n", first_end + 1) if first_end >= 0 else -1
    # cheap pre-check: the first two b"\\n" lines hold the first two lines of any kind
    if b"coding" not in body[: second_end if second_end >= 0 else len(body)]:
        return "utf-8", None
    lines = _BYTES_NEWLINE.split(body, maxsplit=2)
    match = _COOKIE.match(lines[0])
    if match is None and len(lines) > 1 and _BLANK.match(lines[0]):
        match = _COOKIE.match(lines[1])
    if match is None:
        return "utf-8", None
    name = _normal_encoding(match.group(1).decode("ascii"))
    if bom and name != "utf-8":
        return "utf-8", f"encoding problem: {name} with BOM"
    return name, None


def read(
    data: bytes,
    path: str,
    check_syntax: bool,
    wrappers: frozenset[str] | None = None,
    screen: bool = False,
) -> Source:
    """A Python file. With `wrappers`, its problems are reported only when it could hold a
    hand-off (a Python file is one block: it is reported or dropped, never counted); with
    `screen` too, a file that could not is not decoded at all."""
    candidate = wrappers is None or prefilter.mentions(data, wrappers)
    if not candidate and screen and data.isascii():
        return Source(path, "python", "", candidate=False)  # the common case, cheaply
    bom = data.startswith(codecs.BOM_UTF8)
    skip = len(codecs.BOM_UTF8) if bom else 0
    encoding, error = _declared_encoding(data[skip:], bom)
    problem: Finding | None
    if error is not None:
        text, problem = "", cannot_parse(path, "file", error)
    else:
        text, problem = decode(data, path, encoding, skip)
    if not candidate:  # identifiers as Python reads them (NFKC) may still spell a name
        readable = text or data[skip:].decode("utf-8", "replace")
        utf8 = data[skip:] if encoding == "utf-8" or not text else None
        candidate = prefilter.normalized_mentions(readable, wrappers or frozenset(), utf8)
        if not candidate and screen:
            return Source(path, "python", "", candidate=False)
    if problem is not None:
        problems = (problem,) if candidate else ()
        return Source(path, "python", "", problems, encoding, bom, candidate=candidate)
    newline = first_newline(text)
    nul = text.find("\0")
    if nul >= 0:
        line, column = position(text, nul)
        problem = cannot_parse(path, "file", "source contains a NUL byte", line, column)
    elif check_syntax:
        problem = compile_problem(text, path)
    if problem is not None:
        problems = (problem,) if candidate else ()
        return Source(path, "python", "", problems, encoding, bom, newline, candidate=candidate)
    return Source(path, "python", text, (), encoding, bom, newline, candidate=candidate)
