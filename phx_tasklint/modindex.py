"""Dotted module names of the checked files, so the linter can follow imports between them."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=4096)
def _is_package(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "__init__.py"))


def module_name(path: str | Path) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod` while the directories are packages (have __init__.py)."""
    p = Path(path)
    parts = [] if p.stem == "__init__" else [p.stem]
    parent = os.path.dirname(os.path.abspath(p))
    while _is_package(parent):
        parts.insert(0, os.path.basename(parent))
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    return ".".join(parts) or p.stem
