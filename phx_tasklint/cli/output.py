"""How the console script answers a plain `check`, and how `check` prints its outcome.

The script starts in `replay`, which prints the last identical run's output when nothing it
depended on has changed. Next comes this module: a `check` in the plain form a hook or CI uses
(`quick_check`) is answered here (`pipeline.answer`), from the cache of per-file results when
every file is unchanged (the linter is then not even imported), and by a run of the files that
changed otherwise; click alone takes longer to import than the first of those answers. Any
other command line goes to the click command line (`cli`), which parses it again in full. Both
print through `emit`, so the output is the same byte for byte, and a plain `check` records what
it consulted and printed for `replay`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from phx_tasklint.cli import replay
from phx_tasklint.cli.replay import write

# imported when a `check` is to be answered: `--version` and the other commands go to click
if TYPE_CHECKING:
    from phx_tasklint.cli import pipeline

_FLAGS = {
    "-q": "quiet",
    "--quiet": "quiet",
    "--exit-zero": "exit_zero",
    "--no-color": "no_color",
    "--statistics": "show_statistics",
}
_VALUED = ("--format", "--select", "--ignore", "--extend-select", "--phoenix-version")


def entry() -> None:
    """The console script after `replay`: a plain `check` is answered here, the rest by click."""
    argv = sys.argv[1:]
    code = replay.guarded(lambda: answer(argv))
    if code is not None:
        sys.exit(code)
    from phx_tasklint.cli.commands import main

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


def quick_check(argv: Sequence[str]) -> tuple[pipeline.Options, Display] | None:
    """A `check` command line in the plain form a repeated run uses: paths, the flags in
    `_FLAGS`, `--no-cache`, and the `_VALUED` options, each given once, with an allowed value.
    None for anything else (click then parses it, and says what is wrong with it)."""
    if not argv or argv[0] != "check":
        return None
    from phx_tasklint.cli import pipeline, report
    from phx_tasklint.core.spec import PROFILES

    choices = {"--format": report.FORMATS, "--phoenix-version": tuple(PROFILES)}
    paths: list[str] = []
    given: dict[str, str] = {}
    flags: set[str] = set()
    no_cache = False
    rest = iter(argv[1:])
    for token in rest:
        if token in _FLAGS:
            if _FLAGS[token] in flags:
                return None
            flags.add(_FLAGS[token])
            continue
        if token == "--no-cache":  # a CI job's cold run: click cost it 12 ms of imports
            if no_cache:
                return None
            no_cache = True
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
    options = pipeline.Options(
        paths=tuple(paths) or (".",),
        select=given.get("--select"),
        ignore=given.get("--ignore"),
        extend_select=given.get("--extend-select"),
        phoenix_version=given.get("--phoenix-version"),
        use_cache=not no_cache,
    )
    display = Display(given.get("--format", "text"), **{flag: True for flag in flags})
    return options, display


def answer(argv: Sequence[str]) -> int | None:
    """Print the outcome of `argv` and return the exit status when it is a plain `check`
    (`quick_check`); None, with nothing printed or written, otherwise, and when the command
    line or configuration is wrong (click then says what is wrong, exit status 2)."""
    request = quick_check(argv)
    if request is None:
        return None
    from phx_tasklint.cli import pipeline
    from phx_tasklint.project.config import ConfigError

    options, display = request
    started = time.time_ns()
    if options.use_cache:  # `--no-cache` neither reads nor writes a record
        replay.start_recording()
    try:
        try:
            outcome = pipeline.answer(replace(options, start_method=start_method()))
        except (ConfigError, pipeline.UsageProblem):
            return None
        code = emit(outcome, display)
        if outcome.replayable and outcome.cache_root is not None:
            replay.record(list(argv), outcome.cache_root, code, started)
        return code
    finally:
        replay.stop_recording()


def start_method() -> str | None:
    """Fork workers straight from this process when it is the console script and runs nothing
    but the main thread: no fresh interpreter (50 ms and more) is started for them. Anywhere
    else (click's test runner inside a process that imported Phoenix, say) a fork server is
    used: a forked child inherits at-fork hooks and locks of code we do not control, and hung
    in a test run that way."""
    import threading

    if replay.STANDALONE and sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return None


def color_wanted(no_color_flag: bool) -> bool:
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout is not None and sys.stdout.isatty()


def emit(outcome: pipeline.Outcome, display: Display) -> int:
    """Print a check's outcome (warnings to stderr); return the exit status."""
    from phx_tasklint.cli import report

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
