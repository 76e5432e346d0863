"""`--fix` and `--diff`: apply the fixes of a run's findings to the files they were found in.

`writeback` turns a fixed text into the file's bytes and writes them. A fix that cannot be made
is said once, with its reason, after the last pass (`settle`), and is no longer offered: after
`--fix`, "fixable with `--fix`" counts only what another `--fix` could fix.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from phx_tasklint.cli import writeback
from phx_tasklint.cli.writeback import NotFixed
from phx_tasklint.lint import kinds
from phx_tasklint.lint.findings import Finding

if TYPE_CHECKING:
    from phx_tasklint.lint.sources import Source

# Like ruff: fix, re-lint, and fix again what the first fixes uncovered, until nothing fixable
# is left (a rename can free the name another fix wanted), at most this many times.
PASSES = 10
# refused fixes named in one message; the rest are counted
_NAMED = 3


class CheckedFile(NamedTuple):
    display: str
    path: str | None  # None: stdin
    kind: str
    data: bytes | None = None  # stdin's bytes, read once (and replaced by the fixed ones)


class Applied(NamedTuple):
    fixed: int  # findings fixed, in files written or in stdin's source
    written: frozenset[str]  # files (display paths) whose fixes were written, stdin's included
    diff: str  # with `diff`: the fixes as a unified diff, nothing written
    refused: dict[str, str]  # display path -> why none of its fixes was made
    source: bytes | None  # stdin's source with this pass's fixes; None: not changed


def read(file: CheckedFile) -> bytes:
    """A checked file's bytes; raises `NotFixed` saying why they cannot be read."""
    if file.path is None:
        return file.data or b""
    try:
        return Path(file.path).read_bytes()
    except OSError as exc:
        raise NotFixed(exc.strerror or str(exc)) from None


def fix_pass(
    findings: Sequence[Finding],
    files: Sequence[CheckedFile],
    unsafe: bool,
    diff: bool,
    roots: Sequence[str],
    target: tuple[int, int] | None = None,
) -> Applied:
    """Apply the fixes of `findings` once (with `diff`, only show them). Files are written only
    within `roots` (`writeback.target`); stdin's fixed source is returned, not printed.
    `target`: the oldest Python the project supports (`config.python_target`)."""
    from phx_tasklint.lint.fixes import fixable

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if fixable(finding, unsafe):
            by_path.setdefault(finding.location.path, []).append(finding)
    fixed, written, shown, refused = 0, set(), "", {}
    source_out = None
    for file in files:
        wanted = by_path.get(file.display)
        if not wanted:
            continue
        try:
            before = read(file)
            source, text, applied = _fixed_text(file, before, wanted, unsafe, target)
            after = writeback.fixed_bytes(before, source, text)
            real = None if file.path is None else writeback.target(file.path, roots)
            if diff:
                shown += _diff(source, text)
                continue
            if real is not None:
                problem = write_fixed(Path(real), before, after)
                if problem is not None:
                    raise NotFixed(problem)
        except NotFixed as exc:
            refused[file.display] = str(exc)
            continue
        if real is None:
            source_out = after
        fixed += applied
        written.add(file.display)
    return Applied(fixed, frozenset(written), shown, refused, source_out)


def _fixed_text(
    file: CheckedFile,
    data: bytes,
    findings: list[Finding],
    unsafe: bool,
    target: tuple[int, int] | None,
) -> tuple[Source, str, int]:
    """The file read as the linter reads it, its text with the fixes applied, and how many
    findings that fixes; raises `NotFixed` when none could be applied."""
    from phx_tasklint.lint import sources
    from phx_tasklint.lint.fixes import apply_fixes

    # no syntax check: the file was just linted, and what is written is parsed (`writeback`)
    kind = kinds.kind_of(file.display) or "python"
    source = sources.from_bytes(data, file.display, kind, check_syntax=False)
    result = apply_fixes(source, findings, unsafe, target=target)
    if not result.applied:
        raise NotFixed(_why_refused(source, findings))
    return source, result.text, len(result.applied)


def _diff(source: Source, text: str) -> str:
    from phx_tasklint.lint.fixes import unified_diff

    return unified_diff(source.path, source.text, text)


def write_fixed(path: Path, before: bytes, after: bytes) -> str | None:
    """Write `after` into file `path`, which must still hold `before`; return why it was not
    written, or None."""
    try:
        writeback.write_in_place(str(path), before, after)
    except NotFixed as exc:
        return str(exc)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _why_refused(source: Source, findings: Sequence[Finding]) -> str:
    """Why `apply_fixes` made none of the fixes of `findings` in `source`."""
    if source.kind != "python":
        return "fixes are made in Python files only"
    problem = _libcst_problem(source.text)
    if problem is not None:
        return problem
    named = ", ".join(
        f"{f.diagnostic.code} at {f.location.line}:{f.location.column}" for f in findings[:_NAMED]
    )
    if len(findings) > _NAMED:
        named += f" and {len(findings) - _NAMED} more"
    fixes = "fix" if len(findings) == 1 else "fixes"
    return (
        f"the {fixes} of {named} could change what the code means or would not leave valid "
        "Python; change the code by hand"
    )


def _libcst_problem(text: str) -> str | None:
    """What keeps libcst from editing `text` without changing its other bytes, if anything."""
    import libcst

    try:
        code = libcst.parse_module(text).code
    except Exception as exc:  # libcst's parser errors have no common base but Exception
        return f"libcst cannot parse the file ({type(exc).__name__})"
    if code == text:
        return None
    if re.search(r"\r(?!\n)", text):
        return "libcst cannot write back a file whose lines end in a lone `\\r` (old Mac style)"
    return "libcst cannot write the file back byte for byte"


def settle(
    findings: Sequence[Finding], refused: dict[str, str], unsafe: bool
) -> tuple[list[Finding], list[str]]:
    """After the last pass: one `<path>: not fixed: <reason>` message per file whose fixes were
    not made, and its findings without the fix on offer, so that they are not counted as
    fixable."""
    from phx_tasklint.lint.fixes import fixable

    messages = [f"{path}: not fixed: {reason}" for path, reason in refused.items()]
    kept = [
        finding._replace(diagnostic=dataclasses.replace(finding.diagnostic, fix=None))
        if finding.location.path in refused and fixable(finding, unsafe)
        else finding
        for finding in findings
    ]
    return kept, messages
