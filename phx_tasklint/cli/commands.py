"""The `phx-tasklint` command line (click): the console script's one parser."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from phx_tasklint import __version__
from phx_tasklint.cli import report
from phx_tasklint.cli.report import FORMATS
from phx_tasklint.core.spec import PROFILES, RULES


@dataclass(frozen=True)
class _Process:
    """What the command line knows of the process it runs in."""

    # The console script (and `python -m phx_tasklint`) runs nothing but this tool: workers may
    # be forked from it. Anywhere else (click's test runner in a process that imported Phoenix)
    # a forked child would inherit at-fork hooks and locks of code we do not control.
    fork_workers: bool = False


def entry() -> None:
    """The `phx-tasklint` console script."""
    main(obj=_Process(fork_workers=sys.platform == "linux"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="phx-tasklint")
def main() -> None:
    """Find broken Arize Phoenix experiment tasks and evaluators before the experiment runs."""


_PHOENIX_VERSIONS = click.Choice([*reversed(PROFILES)])  # newest first


@main.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="text: one line per rule; markdown: the full rule reference (docs/rules.md).",
)
def rules_command(fmt: str) -> None:
    """List every rule."""
    from phx_tasklint.core import docs

    click.echo(docs.rules_table_text() if fmt == "text" else docs.rules_markdown(), nl=False)


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Show the documentation of one rule, by code (PHX002) or name (unbindable-parameter)."""
    from phx_tasklint.core import docs, spec

    try:
        found = spec.rule(code)
    except KeyError:
        raise click.UsageError(f"unknown rule {code!r}; `phx-tasklint rules` lists them") from None
    click.echo(docs.rule_text(found), nl=False)


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--select",
    help="Rule codes or prefixes to enable (comma-separated); replaces the configured selection.",
)
@click.option("--ignore", help="Rule codes or prefixes to disable (comma-separated).")
@click.option("--extend-select", help="Rule codes or prefixes to enable on top of the selection.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--fix",
    is_flag=True,
    help="Apply safe fixes in place. With `-`: print the source, fixed, and report on stderr.",
)
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option(
    "--statistics",
    "show_statistics",
    is_flag=True,
    help="Count findings per rule, and hand-offs that could not be resolved statically.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="pyproject.toml to read [tool.phx-tasklint] from.",
)
@click.option(
    "--phoenix-version",
    type=_PHOENIX_VERSIONS,
    help="Phoenix release line to check against (default: latest).",
)
@click.option(
    "--stdin-filename", help="The file name to report when reading source from `-` (stdin)."
)
@click.option("--no-color", is_flag=True, help="Never colour the output (also: NO_COLOR=1).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write .phx-tasklint-cache/.")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print findings only: no summary, no messages about skipped files.",
)
def check_command(
    paths: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    fmt: report.Format,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    exit_zero: bool,
    show_statistics: bool,
    config_path: Path | None,
    phoenix_version: str | None,
    stdin_filename: str | None,
    no_color: bool,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Check Python files, notebooks and Markdown for broken Phoenix tasks and evaluators.

    PATHS default to the current directory; `-` reads one file from stdin. Exit status: 0 no
    findings, 1 findings reported, 2 usage or configuration error.
    """
    from phx_tasklint.cli import output, pipeline
    from phx_tasklint.project.config import ConfigError

    process = click.get_current_context().find_root().obj
    try:
        outcome = pipeline.run(
            pipeline.Options(
                paths=paths or (".",),
                select=select,
                ignore=ignore,
                extend_select=extend_select,
                fix=fix or (unsafe_fixes and not diff),
                unsafe_fixes=unsafe_fixes,
                diff=diff,
                config_path=config_path,
                phoenix_version=phoenix_version,
                stdin_filename=stdin_filename,
                use_cache=not no_cache,
                fork_workers=isinstance(process, _Process) and process.fork_workers,
            )
        )
    except ConfigError as exc:
        click.echo(f"phx-tasklint: error: {exc}", err=True)
        sys.exit(2)
    except pipeline.UsageProblem as exc:
        click.echo(f"phx-tasklint: error: {exc}", err=True)
        sys.exit(2)
    display = output.Display(fmt, quiet, exit_zero, no_color, show_statistics, diff)
    sys.exit(output.emit(outcome, display))


@main.command("clean")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def clean_command(config_path: Path | None) -> None:
    """Delete the cache directory (.phx-tasklint-cache/) of this project."""
    from phx_tasklint.cli import cache
    from phx_tasklint.project.config import ConfigError, load_config

    try:
        root = load_config(config_path, Path.cwd()).root
    except ConfigError as exc:
        click.echo(f"phx-tasklint: error: {exc}", err=True)
        sys.exit(2)
    removed = cache.clean(root)
    click.echo(f"Removed {root / cache.DIRECTORY}" if removed else "No cache to remove")


def _profile(phoenix_version: str | None) -> str:
    """The Phoenix version given, else the configuration's; a bad configuration exits 2."""
    if phoenix_version is not None:
        return phoenix_version
    from phx_tasklint.project.config import ConfigError, load_config

    try:
        return load_config(None, Path.cwd()).phoenix_version
    except ConfigError as exc:
        click.echo(f"phx-tasklint: error: {exc}", err=True)
        sys.exit(2)


@main.command("explain")
@click.argument("target", metavar="MODULE:CALLABLE")
@click.option(
    "--role",
    type=click.Choice(["task", "evaluator"]),
    default="task",
    show_default=True,
    help="How the callable is handed to Phoenix.",
)
@click.option(
    "--client",
    type=click.Choice(["sync", "async"]),
    help="The runner it is handed to (Client or AsyncClient); default: not known.",
)
@click.option(
    "--phoenix-version",
    type=_PHOENIX_VERSIONS,
    help="Phoenix release line (default: [tool.phx-tasklint] phoenix-version, else latest).",
)
def explain_command(
    target: str, role: str, client: str | None, phoenix_version: str | None
) -> None:
    """Show how Phoenix will bind each parameter of a task or evaluator, and its findings.

    This IMPORTS your module (its top-level code runs; an `if __name__ == "__main__":` block does
    not). MODULE is a dotted module importable from the current directory, which is put first on
    sys.path as `python -m` does (`pkg.experiment:task`), or a path to a Python file
    (`path/to/experiment.py:task`, `.py` optional). CALLABLE may be dotted (`Grader.score`).

    Exit status: 0 no error-level finding, 1 an error-level finding, 2 the module or callable
    cannot be imported.
    """
    from phx_tasklint.runtime import explain

    profile = _profile(phoenix_version)
    sys.exit(explain.command(target, role, profile, client))  # type: ignore[arg-type]


# `run` refuses what Phoenix gets nothing from (`Rule.phoenix_refuses`) and reports the rest
_RUN_REFUSES = ", ".join(r.code for r in RULES if r.phoenix_refuses)
_RUN_REPORTS = ", ".join(r.code for r in RULES if not r.phoenix_refuses)


_RUN_HELP = f"""Dry-run an experiment locally: the task and evaluators on every example, no server.

    This IMPORTS your modules (MODULE as for `explain`: `pkg.experiment:task` from the current
    directory, or `path/to/experiment.py:task`). Signatures are checked first. A finding
    Phoenix fails the experiment on stops the run, since Phoenix would not run it or would fail
    every example: {_RUN_REFUSES}. Any other finding is only reported and the run goes on, as
    Phoenix's would: {_RUN_REPORTS} (for PHX201 the output is stored converted, as Phoenix's
    jsonify converts it, and the
    evaluators see the converted value; for PHX203 each evaluation fails or not on the value
    returned). Each example is bound and run exactly as Phoenix does; what Phoenix would
    silently change (a converted output, dropped tuple items, an empty result that records no
    evaluation) is listed after the summary table. `async def` callables run concurrently on
    asyncio, sync ones in a thread pool. A CSV is mapped as Phoenix's upload maps it: the
    --input-keys / --output-keys / --metadata-keys columns each become a dict of strings (none
    given: inferred as the client does). Examples without an id get `example-N`.

    Exit status: 0 every example passed (silent changes included), 1 a task or evaluator failed
    or the run was refused, 2 a module or the dataset cannot be loaded.
    """


@main.command("run", help=_RUN_HELP)
@click.argument("target", metavar="MODULE:TASK")
@click.option(
    "--dataset",
    required=True,
    type=click.Path(dir_okay=False),
    help="Examples: .jsonl / .json (Phoenix's {id, input, output, metadata} records) or .csv.",
)
@click.option(
    "--evaluator",
    "evaluators",
    multiple=True,
    metavar="MODULE:FN",
    help="An evaluator to run on every output (repeatable).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Run only the first N examples.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Examples in flight at once (asyncio tasks or threads).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    help="Write one JSON line per example (id, input, output, error, evaluations, notes).",
)
@click.option("--input-keys", help="CSV: comma-separated columns that make up `input`.")
@click.option("--output-keys", help="CSV: comma-separated columns that make up `output`.")
@click.option("--metadata-keys", help="CSV: comma-separated columns that make up `metadata`.")
@click.option("--example-id-key", help="CSV: the column holding each example's id.")
@click.option(
    "--phoenix-version",
    type=_PHOENIX_VERSIONS,
    help="Phoenix release line (default: [tool.phx-tasklint] phoenix-version, else latest).",
)
def run_command(
    target: str,
    dataset: str,
    evaluators: tuple[str, ...],
    limit: int | None,
    concurrency: int,
    output: str | None,
    input_keys: str | None,
    output_keys: str | None,
    metadata_keys: str | None,
    example_id_key: str | None,
    phoenix_version: str | None,
) -> None:
    from phx_tasklint.runtime import localrun

    profile = _profile(phoenix_version)
    sys.exit(
        localrun.command(
            target,
            dataset,
            evaluators,
            limit=limit,
            concurrency=concurrency,
            output=output,
            profile=profile,
            input_keys=input_keys,
            output_keys=output_keys,
            metadata_keys=metadata_keys,
            example_id_key=example_id_key,
        )
    )
