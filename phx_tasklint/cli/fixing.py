"""`--fix` and `--diff`: apply the fixes of a run's findings to the files they were found in."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from phx_tasklint.lint import kinds
from phx_tasklint.lint.findings import Finding

if TYPE_CHECKING:
    from phx_tasklint.lint.sources import Source

# Like ruff: fix, re-lint, and fix again what the first fixes uncovered, until nothing fixable
# is left (a rename can free the name another fix wanted), at most this many times.
PASSES = 10


class CheckedFile(NamedTuple):
    display: str
    path: str | None  # None: stdin
    kind: str
    data: bytes | None = None  # stdin's bytes, read once


class Applied(NamedTuple):
    fixed: int  # findings fixed in files written
    changed: bool  # whether a file on disk changed
    diff: str  # with `diff`: the fixes as a unified diff, nothing written
    messages: tuple[str, ...]  # files that could not be written, and why


def read(file: CheckedFile) -> bytes | Source:
    """A checked file's bytes, or a Source carrying the PHX000 that says why it cannot be read."""
    from phx_tasklint.lint import sources

    if file.path is None:
        return file.data or b""
    try:
        return Path(file.path).read_bytes()
    except OSError:
        return sources.load(Path(file.path), file.display)


def fix_pass(
    findings: Sequence[Finding], files: Sequence[CheckedFile], unsafe: bool, diff: bool
) -> Applied:
    """Apply the fixes of `findings` once (with `diff`, only show them)."""
    from phx_tasklint.lint import sources
    from phx_tasklint.lint.fixes import apply_fixes, unified_diff

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    fixed, changed, shown, messages = 0, False, "", []
    for file in files:
        if file.display not in by_path:
            continue
        data = read(file)
        if not isinstance(data, bytes):
            continue
        source = sources.from_bytes(data, file.display, kinds.kind_of(file.display) or "python")
        result = apply_fixes(source, by_path[file.display], unsafe)
        if not result.applied:
            continue
        if diff:
            shown += unified_diff(source.path, source.text, result.text)
            continue
        if file.path is None:  # stdin: print the fixed source, as ruff does
            sys.stdout.write(result.text)
            fixed += len(result.applied)
            continue
        problem = write_fixed(Path(file.path), source, result.text)
        if problem:
            messages.append(problem)
        else:
            fixed += len(result.applied)
            changed = True
    return Applied(fixed, changed, shown, tuple(messages))


def write_fixed(path: Path, source: Source, text: str) -> str | None:
    """Replace `path` with `text` in one rename; refuse if the file changed since it was read.
    Returns why it was not written, or None."""
    from phx_tasklint.lint import sources

    try:
        current = path.read_bytes()
    except OSError as exc:
        return f"{source.path}: not fixed: {exc.strerror or exc}"
    if sources.from_bytes(current, source.path, source.kind).text != source.text:
        return f"{source.path}: not fixed: the file changed on disk while it was checked"
    import tempfile  # only a fix writes

    data = source.encode(text)
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".phx-tasklint", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        return f"{source.path}: not fixed: {exc.strerror or exc}"
    return None
