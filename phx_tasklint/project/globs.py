"""gitignore-style globs: translation to regexes, and matching paths under a root.

`*` and `?` never cross `/`, `**` does, `[...]` is a character class. A glob without a `/`
matches a file or directory name at any depth; one with a `/` is relative to `root`. Used for
the configuration's `exclude` and `per-file-ignores` globs and for `.gitignore` files.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

# A pattern with none of these (wildcard, class, escape, `/`) is a plain name.
GLOB_SPECIAL = frozenset("*?[\\/")


@functools.lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a gitignore-style glob (no leading `!`, no trailing `/`) to a regex that
    matches a whole `/`-separated relative path.

    A pattern without `/` matches at any depth; one with a `/` (a leading `/` is dropped) is
    anchored at the start.
    """
    anchored = "/" in pattern
    body = pattern[1:] if pattern.startswith("/") else pattern
    parts = body.split("/")
    out: list[str] = [] if anchored else ["(?:.*/)?"]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            if last:
                # `dir/**` matches everything inside dir (a lone `**`: everything)
                out.append(".*" if i == 0 else ".+")
            else:
                out.append("(?:.*/)?")
            continue
        out.append(_translate_segment(part))
        if not last:
            out.append("/")
    # `a/**` was emitted as `a/` + `.+`; `**/b` as `(?:.*/)?` + `b`.
    return re.compile("".join(out), re.DOTALL)


def _translate_segment(segment: str) -> str:
    out: list[str] = []
    i, n = 0, len(segment)
    while i < n:
        char = segment[i]
        if char == "\\" and i + 1 < n:
            out.append(re.escape(segment[i + 1]))
            i += 2
            continue
        if char == "*":
            while i < n and segment[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            end = _class_end(segment, i)
            if end < 0:
                out.append(re.escape(char))
            else:
                inner = segment[i + 1 : end]
                negate = inner[:1] in ("!", "^")
                if negate:
                    inner = inner[1:]
                body = "".join("-" if c == "-" else re.escape(c) for c in inner)
                # a class never matches `/`, negated or not
                out.append(f"[^/{body}]" if negate else f"(?!/)[{body}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _class_end(segment: str, start: int) -> int:
    """Index of the `]` closing the class opened at `start`, or -1."""
    i = start + 1
    if i < len(segment) and segment[i] in "!^":
        i += 1
    if i < len(segment) and segment[i] == "]":  # `[]abc]`: a leading `]` is literal
        i += 1
    while i < len(segment):
        if segment[i] == "]":
            return i
        i += 1
    return -1


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
    parts = target.split("/")
    return any(regex.fullmatch("/".join(parts[:i])) for i in range(len(parts), 0, -1))


def glob_matches_exactly(pattern: str, path: str | os.PathLike[str], root: Path) -> bool:
    """Whether the cleaned glob `pattern` matches `path` itself (not one of its parents)."""
    absolute = os.path.abspath(path)
    if os.path.isabs(pattern):
        target = Path(absolute).as_posix().lstrip("/")
        return bool(glob_regex(Path(pattern).as_posix()).fullmatch(target))
    try:
        rel = Path(os.path.relpath(absolute, os.path.abspath(root))).as_posix()
    except ValueError:
        return False
    return not rel.startswith("../") and bool(glob_regex(pattern).fullmatch(rel))
