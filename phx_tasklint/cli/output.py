"""How `check` prints its outcome: findings in the chosen format, messages, the summary line,
and the exit status."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from phx_tasklint.cli import report
from phx_tasklint.cli.pipeline import Outcome


@dataclass(frozen=True)
class Display:
    """How `check` prints its outcome."""

    fmt: report.Format = "text"
    quiet: bool = False
    exit_zero: bool = False
    no_color: bool = False
    show_statistics: bool = False
    diff: bool = False  # print the fixes' diff instead of the findings


def write(text: str, *, err: bool = False) -> None:
    """`text` to stdout (or stderr), flushed. A stream that cannot encode it (an ASCII-only
    PYTHONIOENCODING, say, and a non-ASCII path) gets UTF-8 bytes rather than a traceback."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # closed when the process started (`>&-`): as click, print nothing
        return
    try:
        stream.write(text)
    except UnicodeEncodeError:
        buffer = getattr(stream, "buffer", None)
        data = text.encode("utf-8", "backslashreplace")
        if buffer is None:
            stream.write(data.decode("ascii", "backslashreplace"))
        else:
            stream.flush()
            buffer.write(data)
    stream.flush()


def color_wanted(no_color_flag: bool, err: bool = False) -> bool:
    """Colour for the stream the report goes to (stderr, `err`, when stdout carries a source)."""
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = sys.stderr if err else sys.stdout
    return stream is not None and stream.isatty()


def write_bytes(data: bytes) -> None:
    """`data` to stdout as they are: a fixed source keeps its own encoding."""
    stream = sys.stdout
    if stream is None:
        return
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream (a test harness's): the nearest text there is
        write(data.decode("utf-8", "replace"))
        return
    stream.flush()
    buffer.write(data)
    buffer.flush()


def emit(outcome: Outcome, display: Display) -> int:
    """Print a check's outcome (warnings to stderr); return the exit status. With `--fix` on
    stdin, stdout carries exactly the source, fixed or not, and the report goes to stderr."""
    fmt, quiet = display.fmt, display.quiet
    if not quiet:
        for message in outcome.messages:
            write(f"phx-tasklint: warning: {message}\n", err=True)
    if display.diff:
        write(outcome.diff)
        return 0 if display.exit_zero or not outcome.diff else 1
    if outcome.source is not None:
        write_bytes(outcome.source)
    err = outcome.source is not None
    color = color_wanted(display.no_color, err) and fmt == "text"
    if display.show_statistics and fmt == "text":
        stats = report.statistics(outcome.findings, outcome.skipped)
        write(stats if not stats or stats.endswith("\n") else stats + "\n", err=err)
    else:
        write(
            report.render(
                outcome.findings,
                fmt,
                color=color,
                show_fixes=not quiet,
                show_summary=not quiet,
                names=outcome.names,
            ),
            err=err,
        )
    if fmt == "text" and not quiet and outcome.findings and outcome.fixed:
        write(f"Fixed {outcome.fixed} finding{'s' if outcome.fixed != 1 else ''}.\n", err=err)
    if fmt == "text" and not quiet and not outcome.findings and not display.show_statistics:
        fixed = f" ({outcome.fixed} fixed)" if outcome.fixed else ""
        write(f"All checks passed!{fixed}\n", err=err)
    return 0 if display.exit_zero or not outcome.findings else 1
