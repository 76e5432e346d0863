"""Writing a fix back: the fixed file's bytes, which file receives them, and how.

The bytes: only the lines a fix changed are encoded afresh, in the file's own encoding; every
other line keeps its bytes. A codec may spell one character several ways (utf-7) or hide line
breaks in escapes (unicode_escape), so encoding the whole fixed text would rewrite lines no fix
touched. A file whose lines cannot be told apart in its bytes is not fixed, and the message says
why. The bytes must read back, as the linter reads a file, as the fixed code, and it must parse.

The file: the one the user's path names. A symbolic link is followed to its target, which keeps
the link; a target outside the paths being checked is refused (a fix of `check --fix src` stays
in `src`).

The write goes into the file itself, never into a new file renamed over it, so the file keeps its
inode (and so its hard links), owner, group and mode. Nothing is written when the file's bytes
are no longer those that were checked, or when the user may not write it. Only the bytes from the
first difference on are written, growth first: a full disk fails before an old byte is touched,
and a failure after that puts the old bytes back.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
import stat
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from phx_tasklint.cli.walk import printable

if TYPE_CHECKING:
    from phx_tasklint.lint.sources import Source

# a line and its ending as Python counts lines (\r\n, \r, \n), or a last line without one
_TEXT_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_BYTE_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
# Codecs in which the byte lines are the text lines: every line break is one of these bytes and
# no such byte is part of another character, so no line needs decoding alone to show it.
_LINE_FAITHFUL = frozenset({"utf-8", "iso-8859-1"})

_OPEN_FLAGS = (
    os.O_RDWR
    | getattr(os, "O_NOFOLLOW", 0)  # the target was resolved: a link swapped in is not followed
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in must not block the run
    | getattr(os, "O_BINARY", 0)  # Windows: no newline translation
)


class NotFixed(Exception):
    """Why a fix is not written: the `<reason>` of `<path>: not fixed: <reason>`."""


# --------------------------------------------------------------------------------------------
# the bytes


def fixed_bytes(before: bytes, source: Source, text: str) -> bytes:
    """`before` (the bytes `source` was read from) with the lines that differ between
    `source.text` and `text` replaced by `text`'s, encoded in the file's encoding."""
    from phx_tasklint.lint import sources

    encoding = source.encoding
    head = codecs.BOM_UTF8 if source.bom else b""
    byte_lines = _BYTE_LINE.findall(before[len(head) :])
    old = _TEXT_LINE.findall(source.text)
    if not _aligned(byte_lines, old, encoding):
        raise NotFixed(
            f"its encoding ({encoding}) does not keep each line of code on a line of its own in "
            "the file, so a fix could not leave the other lines' bytes alone"
        )
    new = _TEXT_LINE.findall(text)
    out = [head]
    for tag, i1, i2, j1, j2 in _line_opcodes(old, new):
        if tag == "equal":
            out += byte_lines[i1:i2]
        else:
            out += (_encode_line(line, encoding) for line in new[j1:j2])
    data = b"".join(out)
    reread = sources.from_bytes(data, source.path, source.kind)
    if reread.problems:
        problem = reread.problems[0]
        where = problem.location
        raise NotFixed(
            f"the result would not parse ({where.line}:{where.column}: "
            f"{problem.diagnostic.message})"
        )
    if reread.text != text:
        raise NotFixed(f"its encoding ({encoding}) would not read the fixed lines back as written")
    return data


def _aligned(byte_lines: list[bytes], text_lines: list[str], encoding: str) -> bool:
    """Whether each line of the file's bytes decodes, alone, to the same line of its text."""
    if len(byte_lines) != len(text_lines):
        return False
    if encoding in _LINE_FAITHFUL:
        return True
    try:
        return all(
            codecs.decode(raw, encoding) == line
            for raw, line in zip(byte_lines, text_lines, strict=True)
        )
    except (UnicodeDecodeError, LookupError):
        return False


def _line_opcodes(old: list[str], new: list[str]) -> Iterable[tuple[str, int, int, int, int]]:
    """difflib's opcodes from `old` lines to `new` lines. Fixes leave most lines alone, and
    usually the number of lines too: the common ends are skipped and a middle of equal length
    is compared line by line, so a big file costs no quadratic matching."""
    n, m = len(old), len(new)
    start = 0
    while start < min(n, m) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(n, m) - start and old[n - 1 - end] == new[m - 1 - end]:
        end += 1
    if start:
        yield "equal", 0, start, 0, start
    if n - end - start == m - end - start:
        for k in range(start, n - end):
            yield ("equal" if old[k] == new[k] else "replace"), k, k + 1, k, k + 1
    else:
        matcher = difflib.SequenceMatcher(
            None, old[start : n - end], new[start : m - end], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            yield tag, start + i1, start + i2, start + j1, start + j2
    if end:
        yield "equal", n - end, n, m - end, m


def _encode_line(line: str, encoding: str) -> bytes:
    body = line.rstrip("\r\n")
    try:
        data = codecs.encode(body, encoding)
    except UnicodeEncodeError as exc:
        raise NotFixed(f"{exc.object[exc.start]!r} cannot be written in {encoding}") from None
    if b"\r" in data or b"\n" in data:
        raise NotFixed(f"its encoding ({encoding}) would break a fixed line in two")
    # line endings are written as bytes: `_aligned` showed the file's are plain ASCII ones
    return data + line[len(body) :].encode("ascii")


# --------------------------------------------------------------------------------------------
# the file


def checked_roots(paths: Sequence[str]) -> tuple[str, ...]:
    """The real paths of the paths being checked: the only places a fix writes to."""
    return tuple(os.path.normcase(os.path.realpath(path)) for path in paths)


def target(path: str, roots: Sequence[str]) -> str:
    """The file a fix of `path` writes: `path` with its links resolved, when that lies within
    `roots`. A path named on the command line is a root of its own, so a link named there is
    followed wherever it points."""
    real = os.path.realpath(path)
    key = os.path.normcase(real)
    if any(_within(key, root) for root in roots):
        return real
    shown = os.path.relpath(real) if _within(key, os.path.normcase(os.getcwd())) else real
    raise NotFixed(
        f"it is a symbolic link (or lies under one) to {printable(shown)}, outside the checked "
        "paths; check that file to fix it"
    )


def _within(path: str, root: str) -> bool:
    root = root.rstrip(os.sep)
    return path == root or path.startswith(root + os.sep)


def may_write(st: os.stat_result) -> bool:
    """Whether the user may write the file `st` describes. The kernel answers for everyone but
    root, when the file is opened. Root may write any file, and so would write one its owner
    made read-only; a fix should not, so for root the owner's write bit decides."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    return euid != 0 or bool(st.st_mode & stat.S_IWUSR)


def write_in_place(path: str, before: bytes, after: bytes) -> None:
    """Turn file `path`'s bytes from `before` into `after` where it is, or raise `NotFixed`
    (or OSError) and leave it holding `before`."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotFixed("not a regular file")
        if not may_write(st):
            raise NotFixed(
                f"the file is read-only ({stat.filemode(st.st_mode)}); make it writable to fix it"
            )
        if _read_all(fd, st.st_size) != before:
            raise NotFixed("the file changed on disk while it was checked")
        _overwrite(fd, before, after)
    finally:
        os.close(fd)


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, max(size + 1, 1 << 16)):
        chunks.append(chunk)
    return b"".join(chunks)


def _overwrite(fd: int, before: bytes, after: bytes) -> None:
    start = _common_prefix(before, after)
    old_size, new_size = len(before), len(after)
    try:
        if new_size > old_size:
            _write_at(fd, old_size, after[old_size:])
        _write_at(fd, start, after[start : min(old_size, new_size)])
        if new_size < old_size:
            os.ftruncate(fd, new_size)
        os.fsync(fd)
    except BaseException:
        try:
            _write_at(fd, start, before[start:])
            os.ftruncate(fd, old_size)
        except OSError:
            pass  # the first error is the one to report
        raise


def _common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix, by bisection: comparisons of slices run in C."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _write_at(fd: int, offset: int, data: bytes) -> None:
    os.lseek(fd, offset, os.SEEK_SET)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
