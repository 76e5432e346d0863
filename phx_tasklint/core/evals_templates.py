"""The fields a phoenix.evals prompt template states: its variables, read as arize-phoenix-evals
reads them, for front ends that see only the template's text (the linter, the mypy plugin).

phoenix.evals guesses the format (mustache `{{name}}` or f-string `{name}`) from the text, then
lists the variables: an f-string's replacement fields as written (`{input.question}` is a field
named `input.question`, which it looks up as a path), a mustache template's top-level tags by
their first dotted part (tags inside a section belong to the section). Every variable is a
required field whose value is coerced to text, so no annotation applies. A template this module
cannot read with certainty (partials, changed delimiters, unbalanced sections, a malformed
f-string) gives None: unknown, never reported.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from phx_tasklint.core.model import EvalsField

_MUSTACHE = re.compile(r"\{\{\s*([^}]+)\s*\}\}")
_FSTRING = re.compile(r"\{([^}]+)\}")
_JSON_HINTS = ('"', "'", ":", ",", "[", "]")
_TAG = re.compile(r"\{\{(\{)?\s*([#^/!&>=]?)\s*(.*?)\s*(\})?\}\}", re.S)


def template_format(text: str) -> str:
    """`mustache` or `f-string`, decided as phoenix.evals decides it: f-string only when the
    text has `{name}` fields and no `{{name}}` tag (JSON-looking braces aside)."""
    mustache = [m.strip() for m in _MUSTACHE.findall(text)]
    clear_mustache = [m for m in mustache if not any(c in m for c in _JSON_HINTS)]
    clear_fstring = [m for m in map(str.strip, _FSTRING.findall(text)) if _is_fstring_name(m)]
    return "f-string" if clear_fstring and not clear_mustache else "mustache"


def _is_fstring_name(content: str) -> bool:
    if any(c in content for c in _JSON_HINTS) or content in ("True", "False", "None"):
        return False
    try:
        float(content)
    except ValueError:
        return True
    return False


def template_fields(text: str) -> tuple[EvalsField, ...] | None:
    """The fields of a prompt template, in order of first use; None when not certain."""
    names = _fstring_names(text) if template_format(text) == "f-string" else _mustache_names(text)
    if names is None:
        return None
    return tuple(EvalsField(name, required=True, annotation=None) for name in names)


def messages_fields(contents: Sequence[str]) -> tuple[EvalsField, ...] | None:
    """The fields of a template written as messages, given each message's text: every
    message's variables, in order of first use; None when one of them is not certain."""
    fields: list[EvalsField] = []
    for text in contents:
        found = template_fields(text)
        if found is None:
            return None
        fields.extend(f for f in found if f.name not in {g.name for g in fields})
    return tuple(fields)


def _fstring_names(text: str) -> list[str] | None:
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    for _, field, _, _ in parsed:
        if field is not None and field not in names:
            names.append(field)
    return names


def _mustache_names(text: str) -> list[str] | None:
    names: list[str] = []
    sections: list[str] = []
    for match in _TAG.finditer(text):
        triple, sigil, key, closing = match.groups()
        if bool(triple) != bool(closing) or sigil in (">", "="):
            return None  # a partial or new delimiters: beyond this reader
        if sigil == "!":
            continue
        if sigil == "/":
            if not sections or sections.pop() != key:
                return None
            continue
        if not key:
            return None
        if not sections:
            root = key if key == "." else key.split(".")[0]
            if root not in names:
                names.append(root)
        if sigil in ("#", "^"):
            sections.append(key)
    return None if sections else names
