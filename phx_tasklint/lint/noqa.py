"""`# noqa` and `# noqa: PHX002, PHX101` comments, as flake8 and ruff read them."""

from __future__ import annotations

import re

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+\d+(?:[\s,]+[A-Z]+\d+)*))?", re.I)


def suppresses(line: str, code: str) -> bool:
    if "noqa" not in line.lower():
        return False
    match = _NOQA.search(line)
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    return code in {c.upper() for c in re.split(r"[\s,]+", codes) if c}
