"""gitignore-style globs, matched as git matches them: translation to regexes, and matching
paths under a root.

`*` and `?` never cross `/`, `**` does, `[...]` is a bracket expression. A glob without a `/`
matches a file or directory name at any depth; one with a `/` is relative to `root`. Used for
the configuration's `exclude` and `per-file-ignores` globs and for `.gitignore` files.

git's rules (its `wildmatch` and `.gitignore` matching), which `tests/test_globs.py` checks
against the `git` binary:

* Matching is by bytes, not characters: `?` is one byte of the name's file-system encoding, and
  a range compares byte values. The regexes therefore match `path_text(path)`, which holds one
  character per byte.
* A bracket expression starts with `[`, `[!` or `[^`; a `]` right after that is a member. Inside,
  `\\` escapes the next byte, `a-z` is a range (which also holds its first byte, so a reversed
  `[z-a]` matches `z` only), `[:digit:]` and the other POSIX classes are ASCII-only. It never
  matches `/`.
* A glob that git cannot match anything with matches nothing here either, rather than being
  read some other way: an unclosed `[`, an unknown class such as `[:foo:]`, a trailing lone
  `\\`. `glob_problem` names these (and reversed ranges) so that the configuration can refuse
  them; a `.gitignore` line is never an error, as for git.
* `**` crosses `/` only as a whole segment (`**/x`, `x/**/y`, `x/**`); elsewhere it is `*`. In a
  glob with a `/`, git compares the part before the first wildcard literally and matches the
  rest as a glob of its own, so `a**/b` behaves as `a` followed by `**/b`.
"""

from __future__ import annotations

import functools
import os
import re
import string
from collections.abc import Sequence
from pathlib import Path

# A pattern with none of these (wildcard, class, escape, `/`) is a plain name.
GLOB_SPECIAL = frozenset("*?[\\/")

# The bytes git stops a glob's literal prefix at.
_WILDCARDS = b"*?[\\"
_SLASH = ord("/")
_NEVER = "(?!)"


def _bytes(chars: str) -> frozenset[int]:
    return frozenset(chars.encode("ascii"))


# git's character classes are ASCII-only whatever the locale.
_CLASSES: dict[bytes, frozenset[int]] = {
    b"alnum": _bytes(string.ascii_letters + string.digits),
    b"alpha": _bytes(string.ascii_letters),
    b"blank": _bytes(" \t"),
    b"cntrl": frozenset([*range(0x20), 0x7F]),
    b"digit": _bytes(string.digits),
    b"graph": frozenset(range(0x21, 0x7F)),
    b"lower": _bytes(string.ascii_lowercase),
    b"print": frozenset(range(0x20, 0x7F)),
    b"punct": _bytes(string.punctuation),
    b"space": _bytes(" \t\n\r"),  # not \v or \f: git's own ctype leaves them out
    b"upper": _bytes(string.ascii_uppercase),
    b"xdigit": _bytes(string.hexdigits),
}
_ALL_BYTES = frozenset(range(256))


_UNCLOSED = "the '[' at offset {offset} is never closed (write '\\[' for a literal '[')"


def _shown(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


class _Unmatchable(Exception):
    """The glob matches nothing (git aborts the match); the argument says why."""


def path_text(path: str) -> str:
    """`path` (a `/`-separated relative path or a name) as the glob regexes match it: one
    character per byte of its file-system encoding."""
    if path.isascii():
        return path
    return os.fsencode(path).decode("latin-1")


@functools.lru_cache(maxsize=1024)
def _translate(pattern: str) -> tuple[str, str | None]:
    """The regex source for `pattern`, and what is wrong with it for a configuration (None when
    nothing is)."""
    data = os.fsencode(pattern)
    if b"/" in data:
        # matched against the whole relative path; git drops one leading `/` and compares the
        # part before the first wildcard as it is
        if data.startswith(b"/"):
            data = data[1:]
        literal = next((i for i, byte in enumerate(data) if byte in _WILDCARDS), len(data))
        head, rest, pathname = "".join(map(_literal, data[:literal])), data[literal:], True
    else:
        # a name at any depth (git matches the last component only)
        head, rest, pathname = "(?:.*/)?", data, False
    warnings: list[str] = []
    try:
        body = _wildcards(rest, pathname, warnings)
    except _Unmatchable as exc:
        return _NEVER, str(exc)
    return head + body, (warnings[0] if warnings else None)


def _literal(byte: int) -> str:
    return re.escape(chr(byte))


def _wildcards(data: bytes, pathname: bool, warnings: list[str]) -> str:
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == ord("\\"):
            if i + 1 == n:
                raise _Unmatchable("a lone '\\' at the end (write '\\\\' for a backslash)")
            out.append(_literal(data[i + 1]))
            i += 2
        elif byte == ord("*"):
            end = i
            while end < n and data[end] == ord("*"):
                end += 1
            regex, i = _stars(data, i, end, pathname)
            out.append(regex)
        elif byte == ord("?"):
            out.append("[^/]")
            i += 1
        elif byte == ord("["):
            members, i = _bracket(data, i, warnings)
            out.append(_byte_class(members - {_SLASH}))
        else:
            out.append(_literal(byte))
            i += 1
    return "".join(out)


def _stars(data: bytes, start: int, end: int, pathname: bool) -> tuple[str, int]:
    """The regex for the run of `*` at data[start:end], and the index after what it takes."""
    whole_segment = pathname and end - start >= 2 and (start == 0 or data[start - 1] == _SLASH)
    if whole_segment:
        if end == len(data):
            return ".*", end  # `x/**`: everything inside
        if data[end] == _SLASH:
            return "(?:.*/)?", end + 1  # `**/`: zero or more directories, and the `/`
        if data[end : end + 2] == b"\\/":
            return ".*", end  # git skips its zero-directory case when the `/` is escaped
    return "[^/]*", end


def _bracket(data: bytes, start: int, warnings: list[str]) -> tuple[frozenset[int], int]:
    """The bytes the bracket expression opening at `start` matches, and the index after it."""
    i, n = start + 1, len(data)
    negated = i < n and data[i] in b"!^"
    if negated:
        i += 1
    members: set[int] = set()
    previous: int | None = None  # a byte a following `-` makes a range from
    first = True
    while True:
        if i >= n:
            raise _Unmatchable(_UNCLOSED.format(offset=start))
        byte = data[i]
        if byte == ord("]") and not first:
            break
        first = False
        if byte == ord("\\"):
            i += 1
            if i >= n:
                raise _Unmatchable(_UNCLOSED.format(offset=start))
            previous = data[i]
            members.add(previous)
            i += 1
        elif byte == ord("-") and previous is not None and i + 1 < n and data[i + 1] != ord("]"):
            i += 1
            last = data[i]
            if last == ord("\\"):
                i += 1
                if i >= n:
                    raise _Unmatchable(_UNCLOSED.format(offset=start))
                last = data[i]
            if last < previous:
                warnings.append(
                    f"reversed range '{_shown(bytes([previous, ord('-'), last]))}' "
                    f"(git matches '{_shown(bytes([previous]))}' only; "
                    f"write '{_shown(bytes([last, ord('-'), previous]))}')"
                )
            members.update(range(previous, last + 1))
            previous = None
            i += 1
        elif byte == ord("[") and i + 1 < n and data[i + 1] == ord(":"):
            close = data.find(b"]", i + 2)
            if close < 0:
                raise _Unmatchable(_UNCLOSED.format(offset=start))
            if close - (i + 2) < 1 or data[close - 1] != ord(":"):
                members.add(byte)  # no `:]`: an ordinary `[`
                previous = byte
                i += 1
                continue
            name = data[i + 2 : close - 1]
            if name not in _CLASSES:
                raise _Unmatchable(
                    f"unknown character class '[:{_shown(name)}:]' "
                    f"(known: {', '.join(c.decode() for c in _CLASSES)})"
                )
            members.update(_CLASSES[name])
            previous = None
            i = close + 1
        else:
            members.add(byte)
            previous = byte
            i += 1
    return (_ALL_BYTES - members if negated else frozenset(members)), i + 1


def _byte_class(members: frozenset[int]) -> str:
    """A regex class of the characters of `path_text` standing for these bytes."""
    if not members:
        return _NEVER
    ranges: list[list[int]] = []
    for byte in sorted(members):
        if ranges and ranges[-1][1] == byte - 1:
            ranges[-1][1] = byte
        else:
            ranges.append([byte, byte])
    body = "".join(f"\\x{lo:02x}" if lo == hi else f"\\x{lo:02x}-\\x{hi:02x}" for lo, hi in ranges)
    return f"[{body}]"


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a gitignore-style glob (no leading `!`, no trailing `/`) to a regex that
    matches a whole `/`-separated relative path, as `path_text` gives it.

    A pattern without `/` matches at any depth; one with a `/` (a leading `/` is dropped) is
    anchored at the start. A glob git matches nothing with gives a regex that matches nothing.
    """
    return _compiled(pattern)


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate(pattern)[0], re.DOTALL)


def any_glob_regex(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex matching what any of `patterns` (as `glob_regex` takes them) matches."""
    sources = "|".join(f"(?:{_translate(p)[0]})" for p in patterns)
    return re.compile(sources, re.DOTALL)


def glob_problem(pattern: str) -> str | None:
    """Why `pattern` is no good as a configured glob: git would match nothing with it (an
    unclosed `[`, an unknown `[:class:]`, a trailing `\\`) or it holds a reversed range; None
    when it is fine."""
    return _translate(pattern)[1]


def clean_glob(pattern: str) -> str:
    text = pattern.strip()
    if os.sep == "\\":
        text = text.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    if len(text) > 1:
        text = text.rstrip("/")
    return text


def glob_matches(pattern: str, path: str | os.PathLike[str], root: Path) -> bool:
    """Whether the config glob `pattern` matches `path` or one of its parent directories."""
    absolute = os.path.abspath(path)
    clean = clean_glob(pattern)
    if os.path.isabs(clean):
        target = Path(absolute).as_posix().lstrip("/")
        regex = glob_regex(Path(clean).as_posix())
    else:
        try:
            target = Path(os.path.relpath(absolute, os.path.abspath(root))).as_posix()
        except ValueError:  # another drive
            target = Path(absolute).as_posix()
        if target.startswith("../") or target == "..":
            # outside the root: only name patterns (no `/`) can match
            if "/" in clean:
                return False
            target = Path(absolute).as_posix().lstrip("/")
        regex = glob_regex(clean)
    parts = path_text(target).split("/")
    return any(regex.fullmatch("/".join(parts[:i])) for i in range(len(parts), 0, -1))


def glob_matches_exactly(pattern: str, path: str | os.PathLike[str], root: Path) -> bool:
    """Whether the cleaned glob `pattern` matches `path` itself (not one of its parents)."""
    absolute = os.path.abspath(path)
    if os.path.isabs(pattern):
        target = Path(absolute).as_posix().lstrip("/")
        return bool(glob_regex(Path(pattern).as_posix()).fullmatch(path_text(target)))
    try:
        rel = Path(os.path.relpath(absolute, os.path.abspath(root))).as_posix()
    except ValueError:
        return False
    return not rel.startswith("../") and bool(glob_regex(pattern).fullmatch(path_text(rel)))
