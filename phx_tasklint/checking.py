"""`phx-tasklint check` without the terminal: files in, findings (and fixed files) out."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from phx_tasklint import sources
from phx_tasklint.config import Config, load_config
from phx_tasklint.findings import Finding
from phx_tasklint.sources import Source
from phx_tasklint.walk import iter_files


class UsageProblem(Exception):
    """A bad command line: exit status 2."""


@dataclass(frozen=True)
class Options:
    paths: Sequence[str] = (".",)
    select: str | None = None
    ignore: str | None = None
    extend_select: str | None = None
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    config_path: Path | None = None
    phoenix_version: str | None = None
    stdin_filename: str | None = None


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    diff: str = ""
    fixed: int = 0


def configure(options: Options) -> Config:
    config = load_config(options.config_path, Path.cwd())
    return config.with_overrides(
        select=options.select,
        ignore=options.ignore,
        extend_select=options.extend_select,
        phoenix_version=options.phoenix_version,
    )


def _load(options: Options, config: Config) -> tuple[list[Source], dict[str, Path], list[str]]:
    if list(options.paths) == ["-"]:
        name = options.stdin_filename or "-"
        data = sys.stdin.buffer.read()
        return [sources.from_bytes(data, name, sources.kind_of(name) or "python")], {}, []
    if "-" in options.paths:
        raise UsageProblem("`-` (stdin) cannot be combined with other paths")
    walked = iter_files(options.paths, config)
    if walked.missing:
        raise UsageProblem(
            "; ".join(f"{path}: no such file or directory" for path in walked.missing)
        )
    loaded = [sources.load(f.path, f.display) for f in walked.files]
    return loaded, {f.display: f.path for f in walked.files}, list(walked.messages)


def _lint(
    loaded: Sequence[Source], config: Config
) -> tuple[list[Finding], Counter[str], list[str]]:
    from phx_tasklint.lint import lint

    report = lint(loaded, config)
    kept = [f for f in report.findings if config.enabled(f.diagnostic.code, f.location.path)]
    return kept, report.skipped, report.errors


def run(options: Options) -> Outcome:
    config = configure(options)
    loaded, real_paths, messages = _load(options, config)
    findings, skipped, errors = _lint(loaded, config)
    outcome = Outcome(findings, skipped, messages + errors)
    if not (options.fix or options.diff):
        return outcome
    from phx_tasklint.lint.fixes import apply_fixes, unified_diff

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    changed = False
    for source in loaded:
        result = apply_fixes(source, by_path.get(source.path, ()), options.unsafe_fixes)
        if not result.applied:
            continue
        if options.diff:
            outcome.diff += unified_diff(source.path, source.text, result.text)
            continue
        real = real_paths.get(source.path)
        if real is None:  # stdin: print the fixed source, as ruff does
            sys.stdout.write(result.text)
            outcome.fixed += len(result.applied)
            continue
        problem = write_atomically(real, source, result.text)
        if problem:
            outcome.messages.append(problem)
        else:
            outcome.fixed += len(result.applied)
            changed = True
    if changed:
        loaded, _, _ = _load(options, config)
        outcome.findings, outcome.skipped, _ = _lint(loaded, config)
    return outcome


def write_atomically(path: Path, source: Source, text: str) -> str | None:
    """Replace `path` with `text` in one rename; refuse if the file changed since it was read."""
    try:
        current = path.read_bytes()
    except OSError as exc:
        return f"{source.path}: not fixed: {exc.strerror or exc}"
    if sources.from_bytes(current, source.path, source.kind).text != source.text:
        return f"{source.path}: not fixed: the file changed on disk while it was checked"
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
