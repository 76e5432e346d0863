"""`phx-tasklint check` without the terminal: files in, findings (and fixed files) out.

A run loads the configuration, walks the paths (`walk`), looks each file up in the per-file
cache (`cache`), analyses what the cache lacks (`analysis`, in worker processes: `pool`),
stores the new results, and with `--fix` applies the fixes (`fixing`) and checks again.
"""

from __future__ import annotations

import functools
import os
import sys
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from phx_tasklint.cli import fixing, pool, writeback
from phx_tasklint.cli.analysis import Analysed, Pending, analyse_share, gc_paused
from phx_tasklint.cli.cache import Cache, Entry, Stat, code_digest, identity, stat_of
from phx_tasklint.cli.fixing import CheckedFile
from phx_tasklint.cli.walk import iter_files
from phx_tasklint.lint import kinds, merge
from phx_tasklint.lint.findings import Finding
from phx_tasklint.lint.modindex import ModuleIndex, forget_packages, project_roots
from phx_tasklint.project.config import Config, load_config, python_target

if TYPE_CHECKING:
    from phx_tasklint.lint.engine import Result

# Below this many files to analyse, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 24


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
    use_cache: bool = True
    jobs: int = max(1, min(os.cpu_count() or 1, 8))
    # False analyses every file, for tests proving the prefilter never changes a result
    prefilter: bool = True
    # Worker processes are forked from this process (`pool`): only for one known to hold no
    # other threads or at-fork hooks, the console script. Otherwise everything is done here.
    fork_workers: bool = False


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    diff: str = ""
    fixed: int = 0
    # with `--fix` on stdin: the source to print, fixed or not, in its own bytes
    source: bytes | None = None
    # display path -> the path as the operating system has it, where the display is escaped
    # (`walk.printable`): for the formats that can carry any name
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A run up to the point where files must be read."""

    config: Config
    cache: Cache | None
    files: list[CheckedFile]
    messages: list[str]  # the configuration's warnings, then the walk's
    names: dict[str, str] = field(default_factory=dict)  # the walk's (`Outcome.names`)


def configure(options: Options) -> Config:
    config = load_config(options.config_path, Path.cwd())
    return config.with_overrides(
        select=options.select,
        ignore=options.ignore,
        extend_select=options.extend_select,
        phoenix_version=options.phoenix_version,
    )


def plan(options: Options) -> Plan:
    config = configure(options)
    cache = None
    if options.use_cache and list(options.paths) != ["-"]:
        cache = cache_for(config)
    files, messages, names = _files(options, config)
    return Plan(config, cache, files, [*config.warnings, *messages], names)


def _files(options: Options, config: Config) -> tuple[list[CheckedFile], list[str], dict[str, str]]:
    if list(options.paths) == ["-"]:
        data = sys.stdin.buffer.read()
        return [CheckedFile(options.stdin_filename or "-", None, "python", data)], [], {}
    if "-" in options.paths:
        raise UsageProblem("`-` (stdin) cannot be combined with other paths")
    walked = iter_files(options.paths, config)
    problems = [f"{path}: no such file or directory" for path in walked.missing]
    problems += walked.refused  # a FIFO or a device: reading it blocks or never ends
    if problems:
        raise UsageProblem("; ".join(problems))
    files = [CheckedFile(f.display, f.raw, f.kind) for f in walked.files]
    return files, list(walked.messages), walked.names


def cache_for(config: Config) -> Cache:
    """The cache file of this run. Entries are keyed by the paths as shown, which are relative
    to the working directory (`run.py` from `a/` and from `b/` are two files), so each working
    directory has a cache file of its own. So has each installation and each user: they would
    otherwise find each other's file foreign and rewrite it whole, turn by turn (a pre-commit
    hook's copy and a virtual environment's; a file one user may read another may not)."""
    cwd = os.getcwd()
    where = zlib.crc32(cwd.encode("utf-8", "surrogateescape"))
    user, capabilities = identity()
    who = [list(part) if isinstance(part, tuple) else part for part in user]  # as JSON has it
    install = installation()
    own = zlib.crc32(repr((install, user, capabilities)).encode("utf-8", "surrogateescape"))
    return Cache(
        config.root,
        f"{config.fingerprint()}-{where:08x}-{own:08x}",
        settings=[config.settings(), cwd, [install, who, capabilities], code_digest()],
    )


def installation() -> str:
    """Where this copy of the package is installed."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(options: Options) -> Outcome:
    """Check the files of `options`; with `fix` or `diff`, fix them too."""
    planned = plan(options)
    findings, skipped, errors = _lint(planned, options)
    outcome = Outcome(findings, skipped, planned.messages + errors, names=planned.names)
    stdin = next((f for f in planned.files if f.path is None), None)
    if options.fix and not options.diff and stdin is not None:
        outcome.source = stdin.data or b""  # printed whether or not a fix applies, as by ruff
    if options.fix or options.diff:
        _fix(planned, options, outcome)
    return outcome


def _fix(planned: Plan, options: Options, outcome: Outcome) -> None:
    """Fix, re-lint and fix again until nothing changes; then say what could not be fixed."""
    from phx_tasklint.lint.fixes import fixable

    roots = writeback.checked_roots(options.paths)
    target = python_target(planned.config)
    refused: dict[str, str] = {}
    for _ in range(fixing.PASSES):
        with gc_paused():  # a big file's trees, parsed to fix it and to check the result
            applied = fixing.fix_pass(
                outcome.findings, planned.files, options.unsafe_fixes, options.diff, roots, target
            )
        outcome.fixed += applied.fixed
        outcome.diff += applied.diff
        for path in applied.written:
            refused.pop(path, None)
        refused.update(applied.refused)
        if applied.source is not None:  # stdin's source, fixed in memory and checked again
            planned.files[:] = [
                f._replace(data=applied.source) if f.path is None else f for f in planned.files
            ]
            outcome.source = applied.source
        if not applied.written:
            break
        outcome.findings, outcome.skipped, _errors = _lint(planned, options)
        if not any(fixable(f, options.unsafe_fixes) for f in outcome.findings):
            break
    outcome.findings, messages = fixing.settle(outcome.findings, refused, options.unsafe_fixes)
    outcome.messages.extend(messages)


def _lint(planned: Plan, options: Options) -> tuple[list[Finding], Counter[str], list[str]]:
    """Look every file up in the cache, analyse the rest, store what was analysed."""
    with gc_paused():  # results and the cache's rows are many small objects, none cyclic
        return _lint_paused(planned, options)


def _lint_paused(planned: Plan, options: Options) -> tuple[list[Finding], Counter[str], list[str]]:
    forget_packages()  # which directories are packages is looked at afresh by each pass
    index = ModuleIndex(
        roots(options, planned.config),
        [(f.display, f.path) for f in planned.files if f.kind == "python" and f.path is not None],
    )
    cache = planned.cache
    cached, pending = _lookup(planned.files, cache, index)
    analysed = _analyse(planned.config, index, pending, options) if pending else []
    problems: list[Finding] = []
    results: list[Result] = []
    for item, (found, result, read, dep_stats) in zip(pending, analysed, strict=True):
        problems.extend(found)
        if result is not None:
            results.append(result)
        if cache is None or not read or (result is not None and result.errors):
            continue
        if result is None:
            cache.store(item.display, item.stat, found)
        else:
            cache.store(
                item.display,
                item.stat,
                found + tuple(result.findings),
                result.skipped,
                _dep_modules(result, index, dep_stats),
                result.misses,
                result.name,
            )
    if cache is not None:
        cache.save()
    report = merge([*problems, *(f for e in cached for f in e.findings)], results)
    for entry in cached:
        if entry.skipped:
            report.skipped.update(entry.skipped)
    config = planned.config
    kept = [f for f in report.findings if config.enabled(f.diagnostic.code, f.location.path)]
    return kept, report.skipped, report.errors


def roots(options: Options, config: Config) -> tuple[str, ...]:
    """The module roots of a run (`modindex.project_roots`): the directories named on the
    command line, the configuration's directory, its `src/`, the `module-roots` setting."""
    named = [str(p) for p in options.paths if p != "-"]
    return project_roots(named, config.root, config.module_root_dirs())


def _lookup(
    files: list[CheckedFile], cache: Cache | None, index: ModuleIndex
) -> tuple[list[Entry], list[Pending]]:
    """The cache's valid entries, and the files to analyse (with their stats, to store)."""
    cached: list[Entry] = []
    pending: list[Pending] = []
    for file in files:
        stat = None
        if file.path is not None and cache is not None:
            stat = stat_of(file.path)
            entry = cache.lookup(file.display, stat, index)
            if entry is not None:
                cached.append(entry)
                continue
        kind = kinds.kind_of(file.display) or file.kind
        data = file.data if file.path is None else None
        pending.append(Pending(file.display, kind, file.path, data, stat))
    return cached, pending


def _analyse(
    config: Config, index: ModuleIndex, pending: list[Pending], options: Options
) -> list[Analysed]:
    # reading and screening happen in the workers too: on a big tree they are most of the work
    work = functools.partial(analyse_share, config, index, options.prefilter)
    if not options.fork_workers or options.jobs <= 1 or len(pending) < _PARALLEL_THRESHOLD:
        return work(pending, None)
    import phx_tasklint.lint.engine  # noqa: F401  (imported once, before the fork)

    return pool.map_shares(work, pending, options.jobs)


def _dep_modules(
    result: Result, index: ModuleIndex, stats: dict[str, Stat | None]
) -> tuple[tuple[str, str, Stat | None, str], ...]:
    """(absolute path, module name, stat before it was read, its own module name) of the files
    a result depends on: display paths mapped back to the files through the module index."""
    out = []
    for name, display in result.found:
        path = index.path_of(display)
        out.append((path, name, stats.get(display), index.module_name(path)))
    return tuple(out)
