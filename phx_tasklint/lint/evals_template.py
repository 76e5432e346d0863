"""The variables of a phoenix.evals prompt template, read from its text.

An `LLMEvaluator` (and so a `ClassificationEvaluator`, `create_classifier`) given a template
string makes one required input field per variable. arize-phoenix-evals first guesses the
template's format (`detect_template_format`: mustache `{{x}}` wins whenever a clear mustache
variable is present, else f-string `{x}`), then lists the variables: for f-strings every field
`string.Formatter` parses, for mustache the top-level tags of pystache's parse tree (a tag inside
a section is the section's business; a dotted tag counts by its root). This module repeats those
two steps on the text; anything it does not read with certainty (a partial, a delimiter change,
a variable that is no plain name) makes the answer None, so unknown, never a guess.
"""

from __future__ import annotations

import re
import string

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The package's own detection patterns, and the characters that make a match "JSON, not a name".
_MUSTACHE_MATCH = re.compile(r"\{\{\s*([^}]+)\s*\}\}")
_FSTRING_MATCH = re.compile(r"\{([^}]+)\}")
_NOT_A_NAME = ('"', "'", ":", ",", "[", "]")
# Mustache tags: `{{{x}}}` (unescaped), `{{&x}}`, `{{#x}}`, `{{^x}}`, `{{/x}}`, `{{!...}}`,
# `{{>x}}` (partial), `{{=...=}}` (delimiters), `{{x}}`.
_TAG = re.compile(r"\{\{(\{[^}]*\}|[^}]*)\}\}")


def template_variables(text: str) -> tuple[str, ...] | None:
    """The input fields a template string makes, in order of appearance; None when not sure."""
    if _is_mustache(text):
        return _mustache_variables(text)
    return _fstring_variables(text)


def _is_mustache(text: str) -> bool:
    clear_mustache = [
        m.strip()
        for m in _MUSTACHE_MATCH.findall(text)
        if not any(c in m.strip() for c in _NOT_A_NAME)
    ]
    clear_fstring = []
    for match in _FSTRING_MATCH.findall(text):
        content = match.strip()
        if any(c in content for c in _NOT_A_NAME) or content in ("True", "False", "None"):
            continue
        try:
            float(content)
            continue
        except ValueError:
            pass
        clear_fstring.append(content)
    # the package's other branches all choose mustache, but one: escaped JSON beside f-string
    # variables, which this test answers too
    return not (clear_fstring and not clear_mustache)


def _fstring_variables(text: str) -> tuple[str, ...] | None:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:  # an unbalanced brace: the package fails on it too, somewhere
        return None
    names: list[str] = []
    for _, field_name, _, _ in parsed:
        if field_name is None:
            continue
        if _IDENTIFIER.fullmatch(field_name) is None:
            return None  # `{0}`, `{}`, `{a.b}`, `{a[0]}`: fields named oddly, not followed
        if field_name not in names:
            names.append(field_name)
    return tuple(names)


def _mustache_variables(text: str) -> tuple[str, ...] | None:
    names: list[str] = []
    depth = 0
    for match in _TAG.finditer(text):
        tag = match.group(1)
        if tag.startswith("{"):
            sigil, key = "&", tag[1:-1]
        elif tag[:1] in "#^/!>=&":
            sigil, key = tag[:1], tag[1:]
        else:
            sigil, key = "", tag
        key = key.strip()
        if sigil in (">", "="):
            return None  # a partial or a delimiter change: not followed
        if sigil == "!":
            continue
        if sigil == "/":
            depth -= 1
            if depth < 0:
                return None
            continue
        if depth == 0:
            root = key.split(".")[0]
            if _IDENTIFIER.fullmatch(root) is None:
                return None  # `{{.}}` and the like
            if root not in names:
                names.append(root)
        if sigil in ("#", "^"):
            depth += 1
    return tuple(names) if depth == 0 else None
