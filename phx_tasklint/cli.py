"""The `phx-tasklint` command line (click)."""

from __future__ import annotations

import click

from phx_tasklint import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="phx-tasklint")
def main() -> None:
    """Find broken Arize Phoenix experiment tasks and evaluators before the experiment runs."""


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
    from phx_tasklint import docs

    click.echo(docs.rules_table_text() if fmt == "text" else docs.rules_markdown(), nl=False)


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Show the documentation of one rule, by code (PHX002) or name (unbindable-parameter)."""
    from phx_tasklint import docs, spec

    try:
        found = spec.rule(code)
    except KeyError:
        raise click.UsageError(f"unknown rule {code!r}; `phx-tasklint rules` lists them") from None
    click.echo(docs.rule_text(found), nl=False)
