"""docs/rules.md is generated from the rule table and committed: it must never drift from it.

Regenerate it with:

    phx-tasklint rules --format markdown > docs/rules.md
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from phx_tasklint.cli.commands import main
from phx_tasklint.core import docs, spec

RULES_MD = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
REGENERATE = "phx-tasklint rules --format markdown > docs/rules.md"


def test_committed_rules_md_matches_the_rule_table() -> None:
    committed = RULES_MD.read_text(encoding="utf-8")
    generated = docs.rules_markdown()
    assert committed == generated, (
        f"docs/rules.md differs from what the rule table in phx_tasklint/spec.py generates; "
        f"regenerate it with `{REGENERATE}` and commit the result"
    )


def test_the_rules_command_writes_exactly_the_generated_markdown() -> None:
    result = CliRunner().invoke(main, ["rules", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output == docs.rules_markdown()


def _github_anchor(heading: str) -> str:
    # GitHub's slug: lower case, punctuation dropped, spaces become hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_rule_has_a_section_and_every_table_link_resolves() -> None:
    text = RULES_MD.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    anchors = {_github_anchor(h) for h in headings}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert [f"{r.code} {r.name}" for r in spec.RULES] == headings
    assert len(links) == len(spec.RULES)
    assert set(links) <= anchors, sorted(set(links) - anchors)


def test_readme_rule_table_matches_the_rule_table() -> None:
    readme = (RULES_MD.parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", readme, re.S)
    assert block is not None, "README.md lost its <!-- rules:start/end --> markers"
    assert block.group(1) == docs.rules_table_markdown("docs/rules.md"), (
        "README.md's rule table differs from the rule table; regenerate the block between the "
        "markers from phx_tasklint.core.docs.rules_table_markdown('docs/rules.md')"
    )


def test_the_readme_states_the_version_pyproject_toml_holds() -> None:
    """pyproject.toml's `version` is the single source: the package and the README's
    published-package forms (`phx-tasklint==X`, `rev: vX`) must say the same."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    import phx_tasklint

    root = RULES_MD.parent.parent
    version = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    assert phx_tasklint.__version__ == version
    readme = (root / "README.md").read_text(encoding="utf-8")
    pinned = re.findall(r"phx-tasklint==([^\s`\"]+)", readme)
    tagged = re.findall(r"`rev: v(\d[^\s`]*)`", readme)
    stated = re.findall(r"version (\d+\.\d+\.\d+) will install", readme)
    assert pinned and tagged and stated, "README.md lost its published-package forms"
    assert set(pinned) == set(tagged) == set(stated) == {version}
    # and no form that fails today is shown as a command to run
    assert "pip install phx-tasklint\n" not in readme
    hook = re.search(r"repo: https://github.com/OWNER/phx-tasklint\n\s*rev: (\S+)", readme)
    assert hook is not None and hook.group(1) == "COMMIT", "pin the hook with a commit sha"


def _readme_console(command: str, end: str) -> list[str]:
    """The lines the README shows after `$ <command>`, up to the line starting with `end`."""
    text = (RULES_MD.parent.parent / "README.md").read_text(encoding="utf-8")
    lines = text.split("\n")
    start = lines.index(f"$ {command}") + 1
    stop = next(i for i in range(start, len(lines)) if lines[i].startswith(end))
    return lines[start:stop]


def test_the_readme_tour_shows_what_check_and_fix_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tour's `check` and `--fix` outputs are pasted from real runs on the tour's file."""
    text = (RULES_MD.parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    tour = next(b for b in blocks if b.startswith("# experiment.py\n"))
    # the caption line is not part of the file (the README's line numbers count without it)
    (tmp_path / "experiment.py").write_text(tour.split("\n", 1)[1], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    checked = runner.invoke(main, ["check", "."])
    assert checked.exit_code == 1
    assert checked.stdout.splitlines() == _readme_console("phx-tasklint check .", "$ echo")
    fixed = runner.invoke(main, ["check", ".", "--fix", "--unsafe-fixes"])
    shown = _readme_console("phx-tasklint check . --fix --unsafe-fixes", "```")
    assert fixed.stdout.splitlines() == shown
