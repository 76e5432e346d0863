"""The rule table: complete, documented, and every snippet judged as it says."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from phx_tasklint.cli.commands import main
from phx_tasklint.core import spec
from phx_tasklint.core.spec import RULES, Snippet
from phx_tasklint.runtime.binder import check_callable
from tests.snippets import NOT_SEEN, as_module, cases, check_seen, load

KNOWN_FIELDS = {
    "role",
    "role_title",
    "param",
    "suggest",
    "s",
    "names",
    "valid",
    "advice",
    "kind",
    "is_are",
    "reason",
    "consequence",
    "hint",
    "type",
    "origin",
    "detail",
    "shape",
    "annotation",
    "value",
    "callee",
    "args",
    "module",
    "replacement",
    "first",
    "second",
    "evaluator",
    "unit",
    "error",
    "when",
    "cause",
    "name",
    "removed_in",
    "source",
    "root",
    "path",
    "unbound",
}
DESIGN_CODES = [
    "PHX000",
    "PHX001",
    "PHX002",
    "PHX003",
    "PHX004",
    "PHX005",
    "PHX006",
    "PHX007",
    "PHX101",
    "PHX102",
    "PHX201",
    "PHX202",
    "PHX203",
    "PHX301",
    "PHX401",
    "PHX402",
    "PHX403",
    "PHX404",
    "PHX405",
    "PHX406",
    "PHX407",
    "PHX408",
    "PHX501",
    "PHX502",
    "PHX503",
    "PHX504",
    "PHX505",
    "PHX506",
    "PHX507",
    "PHX508",
    "PHX509",
]


def test_every_design_rule_is_in_the_table_once() -> None:
    assert [r.code for r in RULES] == DESIGN_CODES
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule: spec.Rule) -> None:
    assert re.fullmatch(r"PHX\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.severity in ("error", "warning")
    assert rule.what_it_does and rule.why_is_this_bad and rule.summary
    assert rule.bad and rule.good
    for snippet in rule.good + (() if rule.code == "PHX000" else rule.bad):
        compile(snippet.code, rule.code, "exec")
    # every field a template names is one the judge or a call-site check fills
    fields = {f for _, f, _, _ in string.Formatter().parse(rule.message) if f}
    assert fields <= KNOWN_FIELDS, fields - KNOWN_FIELDS
    assert (rule.fix_title is None) == (rule.fix_safety is None)


# --------------------------------------------------------------------------------------------
# Every example through the runtime binder and the linter (the mypy leg: tests/test_mypy_plugin.py)


@pytest.mark.parametrize(("code", "verdict", "snippet"), cases())
def test_snippet_through_runtime(
    code: str, verdict: str, snippet: Snippet, request: pytest.FixtureRequest
) -> None:
    case = request.node.callspec.id
    if snippet.scope == "module":
        assert verdict == "good" or case in NOT_SEEN["runtime"], case
        return
    assert snippet.role is not None
    found = check_callable(
        load(snippet), snippet.role, sync_client=snippet.sync_runner, profile=snippet.profile
    )
    check_seen("runtime", case, code, verdict, {d.code for d in found})
    if verdict == "good":
        assert not [d for d in found if d.severity == "error"], found


@pytest.mark.parametrize(("code", "verdict", "snippet"), cases())
def test_snippet_through_the_linter(
    project: Path, code: str, verdict: str, snippet: Snippet, request: pytest.FixtureRequest
) -> None:
    """`check` on the example as a file (a signature example handed to its runner) reports the
    rule's code and nothing else on a bad example, nothing at all on a good one."""
    case = request.node.callspec.id
    text, _ = as_module(snippet)
    (project / "example.py").write_text(text)
    argv = ["check", "--no-cache", "--exit-zero", "--format", "json", "example.py"]
    if snippet.profile != spec.DEFAULT_PROFILE:
        argv += ["--phoenix-version", snippet.profile]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    reported = {f["code"] for f in json.loads(result.stdout)}
    check_seen("linter", case, code, verdict, reported)
    expected = {code} if verdict == "bad" and case not in NOT_SEEN["linter"] else set()
    assert reported == expected, text


@pytest.mark.parametrize("front_end", sorted(NOT_SEEN))
def test_listed_differences_name_bad_examples(front_end: str) -> None:
    bad = {p.id for p in cases() if p.values[1] == "bad"}
    assert set(NOT_SEEN[front_end]) <= bad, sorted(set(NOT_SEEN[front_end]) - bad)


def test_cli_rules_lists_every_rule() -> None:
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    for rule in RULES:
        assert f"{rule.code}  {rule.name}" in result.output


@pytest.mark.parametrize("key", ["PHX002", "phx002", "unbindable-parameter"])
def test_cli_rule_prints_four_sections(key: str) -> None:
    result = CliRunner().invoke(main, ["rule", key])
    assert result.exit_code == 0
    sections = re.findall(r"^## (.+)$", result.output, re.M)
    assert sections[:4] == ["What it does", "Why is this bad?", "Example", "Use instead"]
    assert "def f(input, question):" in result.output


def test_cli_unknown_rule_is_usage_error() -> None:
    result = CliRunner().invoke(main, ["rule", "PHX999"])
    assert result.exit_code == 2
    assert "unknown rule 'PHX999'" in result.output


def test_version_does_not_import_libcst() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from phx_tasklint.cli.commands import main\n"
        "try: main(['--version'])\nexcept SystemExit: pass\n"
        "print('libcst' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
