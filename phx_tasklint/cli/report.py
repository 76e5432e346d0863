"""Output formats for findings: text, json, sarif, github; and `--statistics`.

Every format sorts findings by path, cell, line, column, code. Lines and columns are 1-based
(columns count characters). For a notebook, `line` is the line inside cell `cell` (1-based, in
nbformat order, markdown cells counted).

* text: `path:line:col: CODE message [name]`; a notebook finding reads
  `nb.ipynb:cell 3:2:5: CODE message [name]` (ruff's form). With `show_fixes`, a finding with a
  fix is followed by an indented `help:` line naming the fix and its safety. Then one summary
  line, `Found 2 errors and 1 warning (1 fixable with `--fix`).`; no findings render as the
  empty string (the CLI decides what to say then).
* Every format words a finding about a definition with the calls that hand it over
  (`Finding.message`: `... (handed to run_experiment at a.py:9, b.py:4 and 28 more)`); json
  lists them all in `handoffs`, sarif in `relatedLocations`.
* json: one array of objects (`FIELDS`, plus `cell` for notebook findings). `path` is the
  file's name exactly whenever it is text, control characters included (as JSON escapes); a
  name with bytes that are not (not UTF-8) shows them as `\\xNN` there and is given exactly
  in `path_bytes`, percent-encoded.
* sarif: SARIF 2.1.0, one run, every rule of the rule table in `tool.driver.rules`; an
  artifact's `uri` percent-encodes the bytes of the file's name (RFC 3986).
* json and sarif escape every character that is not printable (`\\u202e`, say), so that the
  output is safe to show and still names the file.
* github: one workflow command per finding (`::error file=...::message`); a notebook finding
  carries no line (the cell's line is not a line of the .ipynb file) and names cell, line and
  column at the start of the message.

The text and github formats show the paths the walk made printable (`walk.printable`); `names`
maps such a display path back to the file's name, for json and sarif.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal, get_args

from phx_tasklint import __version__
from phx_tasklint.core import docs, spec
from phx_tasklint.core.diagnostics import Fix
from phx_tasklint.lint.findings import Finding, HandOffSite

Format = Literal["text", "json", "sarif", "github"]
FORMATS: tuple[Format, ...] = get_args(Format)

FIELDS = (
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "severity",
    "message",
    "role",
    "function",
    "fix",
    "handoffs",
)
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/phx-tasklint/"
FIX_FLAG = "`--fix`"
UNSAFE_FIX_FLAG = "`--fix --unsafe-fixes`"

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def _applicability(fix: Fix) -> Literal["safe", "unsafe"]:
    return "safe" if fix.safe else "unsafe"


def render(
    findings: Sequence[Finding],
    fmt: Format,
    *,
    color: bool = False,
    show_fixes: bool = True,
    show_summary: bool = True,
    names: Mapping[str, str] | None = None,
) -> str:
    """The whole output for `findings` in `fmt`, ending with a newline (text: "" when empty).
    `names`: display path -> the file's name, where the display is escaped."""
    if fmt == "text":
        return _text(findings, color=color, show_fixes=show_fixes, show_summary=show_summary)
    if fmt == "json":
        return json_text(to_json(findings, names)) + "\n"
    if fmt == "sarif":
        return json_text(to_sarif(findings, names)) + "\n"
    if fmt == "github":
        return "".join(github_line(f) + "\n" for f in _sorted(findings))
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------------------------
# text


def _position(finding: Finding) -> str:
    loc = finding.location
    cell = f"cell {loc.cell}:" if loc.cell is not None else ""
    return f"{loc.path}:{cell}{loc.line}:{loc.column}:"


def text_line(finding: Finding, *, color: bool = False) -> str:
    d = finding.diagnostic
    position, code, name = _position(finding), d.code, f"[{d.name}]"
    if color:
        position = f"{_BOLD}{position}{_RESET}"
        code = f"{_BOLD}{_RED if d.severity == 'error' else _YELLOW}{code}{_RESET}"
    return f"{position} {code} {finding.message()} {name}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(findings: Sequence[Finding]) -> str:
    """`Found 2 errors and 1 warning (1 fixable with `--fix`).`; "" for no findings."""
    if not findings:
        return ""
    severities = Counter(f.diagnostic.severity for f in findings)
    parts = [_plural(severities[s], s) for s in ("error", "warning") if severities[s]]
    fixes = [f.diagnostic.fix for f in findings if f.diagnostic.fix is not None]
    safe = sum(1 for fix in fixes if fix.safe)
    unsafe = len(fixes) - safe
    notes = []
    if safe:
        notes.append(f"{safe} fixable with {FIX_FLAG}")
    if unsafe:
        notes.append(f"{unsafe} {'more' if safe else 'fixable'} with {UNSAFE_FIX_FLAG}")
    note = f" ({', '.join(notes)})" if notes else ""
    return f"Found {' and '.join(parts)}{note}."


def _text(
    findings: Sequence[Finding], *, color: bool, show_fixes: bool, show_summary: bool = True
) -> str:
    if not findings:
        return ""
    lines: list[str] = []
    for finding in _sorted(findings):
        lines.append(text_line(finding, color=color))
        fix = finding.diagnostic.fix
        if show_fixes and fix is not None:
            help_ = f"help: {fix.title} ({_applicability(fix)} fix)"
            lines.append("  " + (f"{_CYAN}{help_}{_RESET}" if color else help_))
    if show_summary:
        lines.append(summary(findings))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# json

# What json.dumps leaves unescaped and may not be printable: anything outside printable ASCII
# (it escapes C0 controls itself).
_MAYBE_UNPRINTABLE = re.compile(r"[^\x20-\x7e\n]")


def json_text(data: object) -> str:
    """`data` as indented JSON, non-ASCII text kept readable and every character that is not
    printable (DEL, C1 controls, bidirectional overrides, line separators) escaped: a name
    holding them names the file exactly and cannot reorder or hide what a terminal shows."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _MAYBE_UNPRINTABLE.sub(_escape_unprintable, text)


def _escape_unprintable(match: re.Match[str]) -> str:
    char = match.group()
    if char.isprintable():
        return char
    return json.dumps(char, ensure_ascii=True)[1:-1]  # `\uXXXX`; a surrogate pair above the BMP


def _name(path: str, names: Mapping[str, str] | None) -> str:
    """The file's name behind the display path `path`."""
    return names.get(path, path) if names else path


def _is_text(name: str) -> bool:
    """Whether `name` holds no undecodable byte (a lone surrogate, as Python keeps one)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _percent_encoded(path: str, safe: str) -> str:
    """RFC 3986 percent-encoding of the bytes of `path` as the file system has them."""
    return urllib.parse.quote(os.fsencode(path), safe=safe)


def fix_json(fix: Fix | None) -> dict[str, object] | None:
    if fix is None:
        return None
    return {
        "title": fix.title,
        "applicability": _applicability(fix),
        "edits": [
            {"action": edit.action, "param": edit.param, "new_name": edit.new_name}
            for edit in fix.edits
        ],
    }


def _path_json(path: str, names: Mapping[str, str] | None) -> dict[str, object]:
    """`path`, and `path_bytes` when the file's name is not text."""
    name = _name(path, names)
    if _is_text(name):
        return {"path": name}
    return {"path": path, "path_bytes": _percent_encoded(name, safe="/")}


def handoff_json(site: HandOffSite, names: Mapping[str, str] | None = None) -> dict[str, object]:
    out: dict[str, object] = {"runner": site.runner, **_path_json(site.path, names)}
    out |= {"line": site.line, "column": site.column}
    if site.cell is not None:
        out["cell"] = site.cell
    return out


def finding_json(finding: Finding, names: Mapping[str, str] | None = None) -> dict[str, object]:
    loc, d = finding.location, finding.diagnostic
    out = _path_json(loc.path, names)
    out |= {
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "code": d.code,
        "name": d.name,
        "severity": d.severity,
        "message": finding.message(),
        "role": d.role,
        "function": finding.function,
        "fix": fix_json(d.fix),
        "handoffs": [handoff_json(site, names) for site in finding.handoffs],
    }
    if loc.cell is not None:
        out["cell"] = loc.cell
    return out


def to_json(
    findings: Sequence[Finding], names: Mapping[str, str] | None = None
) -> list[dict[str, object]]:
    return [finding_json(f, names) for f in _sorted(findings)]


# --------------------------------------------------------------------------------------------
# sarif


def _level(severity: str) -> str:
    return "error" if severity == "error" else "warning"


def _rule_markdown(rule: spec.Rule) -> str:
    parts = [f"**{rule.code} {rule.name}** ({rule.severity})"]
    for title, body in docs.sections(rule, fence=True):
        parts += [f"## {title}", body]
    return "\n\n".join(parts) + "\n"


def sarif_rule(rule: spec.Rule) -> dict[str, object]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what_it_does},
        "help": {"text": docs.rule_text(rule), "markdown": _rule_markdown(rule)},
        "defaultConfiguration": {"level": _level(rule.severity)},
        "properties": {"tags": [rule.name]},
    }


def artifact_uri(path: str) -> str:
    """A SARIF artifact URI for the file named `path` (its name, not an escaped display):
    relative paths as forward-slash URI references, absolute ones as `file://` URIs, the bytes
    of the name percent-encoded."""
    posix = path.replace(os.sep, "/") if os.sep != "/" else path
    if os.path.isabs(path):
        if not posix.startswith("/"):
            posix = "/" + posix  # a Windows drive path
        return "file://" + _percent_encoded(posix, safe="/:")
    return _percent_encoded(posix, safe="/")


def _artifact(path: str, names: Mapping[str, str] | None) -> dict[str, object]:
    name = _name(path, names)
    artifact: dict[str, object] = {"uri": artifact_uri(name)}
    if not os.path.isabs(name):
        artifact["uriBaseId"] = "%SRCROOT%"
    return artifact


def _related(index: int, site: HandOffSite, names: Mapping[str, str] | None) -> dict[str, object]:
    """A hand-off as a SARIF related location: the call, and what it calls."""
    related: dict[str, object] = {
        "id": index,
        "physicalLocation": {
            "artifactLocation": _artifact(site.path, names),
            "region": {"startLine": site.line, "startColumn": site.column},
        },
        "message": {"text": f"handed to {site.runner}"},
    }
    if site.cell is not None:
        related["properties"] = {"cell": site.cell}  # the region's line is a line of this cell
    return related


def sarif_result(finding: Finding, names: Mapping[str, str] | None = None) -> dict[str, object]:
    loc, d = finding.location, finding.diagnostic
    location: dict[str, object] = {
        "physicalLocation": {
            "artifactLocation": _artifact(loc.path, names),
            "region": {
                "startLine": loc.line,
                "startColumn": loc.column,
                "endLine": loc.end_line,
                "endColumn": loc.end_column,
            },
        }
    }
    if finding.function is not None:
        short = finding.function.rsplit(".", 1)[-1]
        location["logicalLocations"] = [
            {"name": short, "fullyQualifiedName": finding.function, "kind": "function"}
        ]
    result: dict[str, object] = {
        "ruleId": d.code,
        "ruleIndex": _RULE_INDEX[d.code],
        "level": _level(d.severity),
        "message": {"text": finding.message()},
        "locations": [location],
    }
    if finding.handoffs:
        result["relatedLocations"] = [
            _related(index, site, names) for index, site in enumerate(finding.handoffs)
        ]
    properties: dict[str, object] = {}
    if loc.cell is not None:
        properties["cell"] = loc.cell  # the region's lines are lines of this cell
    if d.role is not None:
        properties["role"] = d.role
    if finding.function is not None:
        properties["function"] = finding.function
    if d.fix is not None:
        properties["fix"] = fix_json(d.fix)
    if properties:
        result["properties"] = properties
    return result


_RULE_INDEX = {rule.code: index for index, rule in enumerate(spec.RULES)}


def to_sarif(
    findings: Sequence[Finding], names: Mapping[str, str] | None = None
) -> dict[str, object]:
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "phx-tasklint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [sarif_rule(rule) for rule in spec.RULES],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [sarif_result(f, names) for f in _sorted(findings)],
            }
        ],
    }


# --------------------------------------------------------------------------------------------
# github


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as `escape_data`, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(finding: Finding) -> str:
    loc, d = finding.location, finding.diagnostic
    command = "error" if d.severity == "error" else "warning"
    props = [("file", loc.path.replace(os.sep, "/"))]
    message = finding.message()
    if loc.cell is None:
        props += [
            ("line", str(loc.line)),
            ("col", str(loc.column)),
            ("endLine", str(loc.end_line)),
            ("endColumn", str(loc.end_column)),
        ]
    else:
        message = f"cell {loc.cell}, line {loc.line}, column {loc.column}: {message}"
    props.append(("title", f"{d.code} ({d.name})"))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{command} {rendered}::{escape_data(message)}"


# --------------------------------------------------------------------------------------------
# statistics


def statistics(findings: Sequence[Finding], skipped: Mapping[str, int]) -> str:
    """A ruff-like `--statistics` table: one row per rule (count, code, `[*]` when a safe fix is
    available, name), most frequent first; then one row per reason something was skipped, with
    `skipped` in the code column: a hand-off left unresolved, or a block set aside unchecked (one
    that does not parse and cannot hold a hand-off, a notebook in another language). "" when
    both are empty."""
    counts = Counter(f.diagnostic.code for f in findings)
    names = {f.diagnostic.code: f.diagnostic.name for f in findings}
    fixable = {f.diagnostic.code for f in findings if f.diagnostic.fix and f.diagnostic.fix.safe}
    rows: list[tuple[int, str, str]] = [
        (count, code, ("[*] " if code in fixable else "    ") + names[code])
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    rows += [
        (count, "skipped", "    " + reason)
        for reason, count in sorted(skipped.items(), key=lambda item: (-item[1], item[0]))
        if count
    ]
    if not rows:
        return ""
    count_width = max(len(str(count)) for count, _, _ in rows)
    code_width = max(len(code) for _, code, _ in rows)
    return "".join(
        f"{count:>{count_width}}  {code:<{code_width}}  {name}\n" for count, code, name in rows
    )
