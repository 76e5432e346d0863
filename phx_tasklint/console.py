"""The `phx-tasklint` console script, and how `check` prints its outcome.

A `check` of a tree whose every file is unchanged since the last run (a pre-commit hook or CI run
a second time) is answered from the cache right here: click alone takes longer to import than
that whole answer, and the linter is not needed. Any other command line, and any run with a file
to analyse, goes to the click command line (`cli`), which parses it again in full. Both print
through `emit`, so the output is the same byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

# imported when a `check` is to be answered: `--version` and the other commands go to click
if TYPE_CHECKING:
    from phx_tasklint import checking

# Set by `entry`: this process is the console script and ours alone (see cli._start_method).
STANDALONE = False

_FLAGS = {
    "-q": "quiet",
    "--quiet": "quiet",
    "--exit-zero": "exit_zero",
    "--no-color": "no_color",
    "--statistics": "show_statistics",
}
_VALUED = ("--format", "--select", "--ignore", "--extend-select", "--phoenix-version")


def entry() -> None:
    """The `phx-tasklint` console script."""
    global STANDALONE
    STANDALONE = True
    # what click's own main does with a reader that went away and with Ctrl-C
    try:
        code = answer_from_cache(sys.argv[1:])
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):  # so the exit's own flush cannot fail
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        write("\nAborted!\n", err=True)
        sys.exit(1)
    if code is not None:
        sys.exit(code)
    from phx_tasklint.cli import main

    main()


@dataclass(frozen=True)
class Display:
    """How `check` prints its outcome."""

    fmt: str = "text"
    quiet: bool = False
    exit_zero: bool = False
    no_color: bool = False
    show_statistics: bool = False
    diff: bool = False  # print the fixes' diff instead of the findings


def quick_check(argv: Sequence[str]) -> tuple[checking.Options, Display] | None:
    """A `check` command line in the plain form a repeated run uses: paths, the flags in
    `_FLAGS`, and the `_VALUED` options, each given once, with an allowed value. None for
    anything else (click then parses it, and says what is wrong with it)."""
    if not argv or argv[0] != "check":
        return None
    from phx_tasklint import checking, report
    from phx_tasklint.spec import PROFILES

    choices = {"--format": report.FORMATS, "--phoenix-version": tuple(PROFILES)}
    paths: list[str] = []
    given: dict[str, str] = {}
    flags: set[str] = set()
    rest = iter(argv[1:])
    for token in rest:
        if token in _FLAGS:
            if _FLAGS[token] in flags:
                return None
            flags.add(_FLAGS[token])
            continue
        if token and not token.startswith("-"):
            paths.append(token)
            continue
        name, equals, value = token.partition("=")
        if name not in _VALUED:
            return None  # "" or `-` (stdin), `--`, --fix, --help, ...: click's to handle
        if not equals:
            value = next(rest, "")
        if name in given or not value or value.startswith("-"):
            return None
        if name in choices and value not in choices[name]:
            return None
        given[name] = value
    options = checking.Options(
        paths=tuple(paths) or (".",),
        select=given.get("--select"),
        ignore=given.get("--ignore"),
        extend_select=given.get("--extend-select"),
        phoenix_version=given.get("--phoenix-version"),
    )
    display = Display(given.get("--format", "text"), **{flag: True for flag in flags})
    return options, display


def answer_from_cache(argv: Sequence[str]) -> int | None:
    """Print the outcome of `argv` and return the exit status when it is a plain `check` that
    the cache answers entirely; None, with nothing printed or written, otherwise."""
    request = quick_check(argv)
    if request is None:
        return None
    from phx_tasklint import checking
    from phx_tasklint.config import ConfigError

    options, display = request
    try:
        outcome = checking.from_cache(options)
    except (ConfigError, checking.UsageProblem):  # the full command line reports these
        return None
    if outcome is None:
        return None
    return emit(outcome, display)


def color_wanted(no_color_flag: bool) -> bool:
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def write(text: str, *, err: bool = False) -> None:
    """`text` to stdout (or stderr), flushed. A stream that cannot encode it (an ASCII-only
    PYTHONIOENCODING, say, and a non-ASCII path) gets UTF-8 bytes, as click gives it."""
    stream = sys.stderr if err else sys.stdout
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


def emit(outcome: checking.Outcome, display: Display) -> int:
    """Print a check's outcome (warnings to stderr); return the exit status."""
    from phx_tasklint import report

    fmt, quiet = display.fmt, display.quiet
    if not quiet:
        for message in outcome.messages:
            write(f"phx-tasklint: warning: {message}\n", err=True)
    if display.diff:
        write(outcome.diff)
        return 0 if display.exit_zero or not outcome.diff else 1
    color = color_wanted(display.no_color) and fmt == "text"
    if display.show_statistics and fmt == "text":
        stats = report.statistics(outcome.findings, outcome.skipped)
        write(stats if not stats or stats.endswith("\n") else stats + "\n")
    else:
        write(
            report.render(
                outcome.findings,
                fmt,  # type: ignore[arg-type]
                color=color,
                show_fixes=not quiet,
                show_summary=not quiet,
            )
        )
    if fmt == "text" and not quiet and outcome.findings and outcome.fixed:
        write(f"Fixed {outcome.fixed} finding{'s' if outcome.fixed != 1 else ''}.\n")
    if fmt == "text" and not quiet and not outcome.findings and not display.show_statistics:
        fixed = f" ({outcome.fixed} fixed)" if outcome.fixed else ""
        write(f"All checks passed!{fixed}\n")
    return 0 if display.exit_zero or not outcome.findings else 1
