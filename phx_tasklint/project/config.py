"""`[tool.phx-tasklint]` in pyproject.toml: finding it, validating it, and rule selection.

Rule selection follows ruff: `select`, `extend-select` and `ignore` take rule codes, code prefixes
(`PHX1`), rule names (`unbindable-parameter`) or `ALL`. Within one source the most specific
selector wins (`ALL` < `PHX` < `PHX0` < `PHX00` < `PHX002` = a rule name) and `ignore` wins a
tie. Command-line flags are a later source: `--select` starts over from its own selectors (the
file's `select`, `extend-select` and `ignore` are dropped), while `--ignore` / `--extend-select`
alone adjust the file's result. `per-file-ignores` always apply on top.

Globs (`exclude`, `extend-exclude`, `per-file-ignores` keys) use gitignore syntax, matched as
git matches it (`globs`): `*` and `?` never cross `/`, `**` does, `[...]` is a bracket
expression. A glob without a `/` matches a file or directory name at any depth; one with a `/`
is relative to the directory of the pyproject.toml (`root`). A glob that matches a directory
covers everything inside it. A glob git would match nothing with (an unclosed `[`, an unknown
`[:class:]`, a trailing `\\`), or with a reversed range (`[z-a]`), is a ConfigError: in a
`.gitignore` git says nothing, but a configured glob that quietly matches nothing is a mistake.

`module-roots` lists directories modules are imported from besides the default roots (see
`lint.modindex`), relative to the directory of the pyproject.toml, like mypy's `mypy_path`. For
the same reason as a glob, one that is no directory is a ConfigError.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from phx_tasklint.core import spec
from phx_tasklint.project.globs import (
    GLOB_SPECIAL,
    clean_glob,
    glob_matches,
    glob_matches_exactly,
    glob_problem,
    glob_regex,
    path_text,
)

SECTION = "phx-tasklint"
ALL = "ALL"
CODE_PREFIX = "PHX"

# ruff's default `exclude`, narrowed to what can hold Python sources, plus our own cache.
# Setting `exclude` replaces this list; `extend-exclude` adds to it.
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "build",
    "dist",
    "site-packages",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".phx-tasklint-cache",
    "*.egg-info",
)

KEYS: tuple[str, ...] = (
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "phoenix-version",
    "phoenix-evals-version",
    "mypy-warnings-as",
    "task-runners",
    "evaluator-runners",
    "module-roots",
)


class ConfigError(ValueError):
    """A configuration the tool refuses to run with (the CLI exits 2).

    `str()` names the file (when there is one) and the key: `pyproject.toml: [tool.phx-tasklint]
    unknown key 'selct' (did you mean 'select'?)`.
    """

    def __init__(self, message: str, *, source: Path | None = None, key: str | None = None):
        self.detail = message
        self.source = source
        self.key = key
        where = "" if source is None else f"{display_path(source)}: [tool.{SECTION}] "
        super().__init__(where + message)


def display_path(path: str | os.PathLike[str]) -> str:
    """`path` relative to the current directory when it is under it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    try:
        if os.path.commonpath([absolute, cwd]) == cwd:
            return os.path.relpath(absolute, cwd)
    except ValueError:  # different drives on Windows
        pass
    return absolute


# --------------------------------------------------------------------------------------------
# Rule selectors


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    folded = {c.casefold(): c for c in candidates}
    import difflib  # only for a message about a bad key

    close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def _normalize_selector(value: str) -> str | None:
    """The canonical selector for `value` (a code, a code prefix, `ALL`), or None if unknown."""
    text = value.strip()
    if text.upper() == ALL:
        return ALL
    by_name = spec.RULES_BY_NAME.get(text.lower())
    if by_name is not None:
        return by_name.code
    upper = text.upper()
    if upper.startswith(CODE_PREFIX) and any(code.startswith(upper) for code in spec.RULES_BY_CODE):
        return upper
    return None


def _type_name(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return names.get(type(value), type(value).__name__)


def _string_list(
    values: object, key: str, source: Path | None, label: str | None = None
) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        got = _type_name(values)
        if isinstance(values, list):
            got = "an array containing " + ", ".join(
                sorted({_type_name(v) for v in values if not isinstance(v, str)})
            )
        raise ConfigError(
            f"{label or key} must be an array of strings, not {got}", source=source, key=key
        )
    return list(values)


def parse_codes(
    values: object, key: str, *, source: Path | None = None, label: str | None = None
) -> frozenset[str]:
    """Validate a list of rule selectors and return them canonical (codes upper-case, rule names
    turned into codes, `ALL`).

    `key` names the setting in errors (`select`, or `--select` from `Config.with_overrides`);
    `label`, when given, is what the message shows instead (`per-file-ignores 'tests/*'`).
    """
    shown = label or key
    out: set[str] = set()
    for value in _string_list(values, key, source, label):
        selector = _normalize_selector(value)
        if selector is None:
            raise ConfigError(
                f"{shown}: unknown rule code, prefix or name {value!r}{_selector_hint(value)}",
                source=source,
                key=key,
            )
        out.add(selector)
    return frozenset(out)


_CODE_LIKE = re.compile(rf"{CODE_PREFIX}[0-9A-Z]*")


def _selector_hint(value: str) -> str:
    """What to say after an unknown selector. A code or prefix gets a suggestion only when
    exactly one code or prefix is one edit away (`PHX2O1` -> PHX201); otherwise it matches no
    rule, and a neighbour that merely looks alike (`PHX9` and PHX406) is no help. A name gets
    the nearest rule name."""
    upper = value.strip().upper()
    if not _CODE_LIKE.fullmatch(upper):
        return _did_you_mean(value, [*spec.RULES_BY_NAME, ALL])
    selectors = {code[:end] for code in spec.RULES_BY_CODE for end in range(4, len(code) + 1)}
    near = sorted(s for s in selectors if _one_edit_apart(upper, s))
    if len(near) == 1:
        return f" (did you mean {near[0]!r}?)"
    return f": no rule code starts with {upper} (`phx-tasklint rules` lists them)"


def _one_edit_apart(a: str, b: str) -> bool:
    """One character substituted, inserted or deleted turns `a` into `b`."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _specificity(selector: str) -> int:
    return 0 if selector == ALL else len(selector)


def _selects(selector: str, code: str) -> bool:
    return selector == ALL or code.startswith(selector)


@dataclass(frozen=True)
class RuleSelection:
    """One source of `select` / `ignore` / `extend-select` (the file, or the command line).

    `select=None` means the source did not set `select`, so it adjusts what came before.
    """

    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    extend_select: frozenset[str] = frozenset()


def resolve(selections: Sequence[RuleSelection]) -> frozenset[str]:
    """The enabled rule codes after applying `selections` in order (ruff's algorithm)."""
    enabled: set[str] = {rule.code for rule in spec.RULES}
    for selection in selections:
        updates: dict[str, bool] = {}
        selectors = [*(selection.select or ()), *selection.extend_select]
        levels = sorted({_specificity(s) for s in [*selectors, *selection.ignore]})
        for level in levels:
            for selector in selectors:
                if _specificity(selector) == level:
                    updates.update((c, True) for c in spec.RULES_BY_CODE if _selects(selector, c))
            for selector in selection.ignore:
                if _specificity(selector) == level:
                    updates.update((c, False) for c in spec.RULES_BY_CODE if _selects(selector, c))
        if selection.select is not None:
            enabled = {code for code, on in updates.items() if on}
        else:
            for code, on in updates.items():
                (enabled.add if on else enabled.discard)(code)
    return frozenset(enabled)


# --------------------------------------------------------------------------------------------
# The configuration


@dataclass(frozen=True)
class Config:
    """The effective settings. Build it with `load_config()`; `Config()` is the defaults."""

    select: frozenset[str] = frozenset({ALL})
    ignore: frozenset[str] = frozenset()
    extend_select: frozenset[str] = frozenset()
    # glob -> selectors, in file order
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    phoenix_version: str = spec.DEFAULT_PROFILE
    # the arize-phoenix-evals release line phoenix.evals evaluators are judged by
    phoenix_evals_version: str = spec.DEFAULT_EVALS_PROFILE
    # how the mypy plugin reports warning-level rules: as errors (mypy has no warnings) or notes
    mypy_warnings_as: str = "error"
    task_runners: tuple[str, ...] = ()
    evaluator_runners: tuple[str, ...] = ()
    # extra directories modules are imported from, as written (relative to `root`), like
    # mypy's `mypy_path`: `module_root_dirs` makes them absolute
    module_roots: tuple[str, ...] = ()
    # the directory relative globs are resolved against (where the pyproject.toml is)
    root: Path = field(default_factory=lambda: Path(os.getcwd()))
    source: Path | None = None  # the pyproject.toml read, or None for the defaults
    # command-line selections, applied after the file's, in order
    overrides: tuple[RuleSelection, ...] = ()
    # what is accepted but surely not what was meant (`runner_warnings`), for the front ends to
    # print once; no setting, so no part of the fingerprint
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @functools.cached_property
    def codes(self) -> frozenset[str]:
        """The enabled rule codes, before per-file-ignores."""
        file_selection = RuleSelection(self.select, self.ignore, self.extend_select)
        return resolve([file_selection, *self.overrides])

    def enabled(self, code: str, path: str | os.PathLike[str] | None = None) -> bool:
        """Whether `code` is reported for `path` (relative to the current directory, or
        absolute); `path=None` skips per-file-ignores."""
        if code not in self.codes:
            return False
        if path is None or not self.per_file_ignores:
            return True
        return not any(
            any(_selects(s, code) for s in selectors) and glob_matches(glob, path, self.root)
            for glob, selectors in self.per_file_ignores
        )

    @functools.cached_property
    def exclusions(self) -> tuple[frozenset[str], re.Pattern[str] | None, tuple[str, ...]]:
        """Plain names (a set lookup), the other name globs merged into one regex, and the
        globs that contain a `/`."""
        cleaned = [clean_glob(p) for p in (*self.exclude, *self.extend_exclude)]
        plain = frozenset(c for c in cleaned if not GLOB_SPECIAL.intersection(c))
        names = [glob_regex(c).pattern for c in cleaned if "/" not in c and c not in plain]
        merged = re.compile("|".join(f"(?:{n})" for n in names)) if names else None
        return plain, merged, tuple(c for c in cleaned if "/" in c)

    def is_excluded(self, path: str | os.PathLike[str]) -> bool:
        """Whether `exclude` / `extend-exclude` match `path` itself (its name, or its path
        relative to `root`). The walker prunes excluded directories, so parents are not tested."""
        text = os.fspath(path)
        name = os.path.basename(text)
        if not name or name in (".", ".."):
            name = os.path.basename(os.path.abspath(text))
        plain, names, paths = self.exclusions
        if name in plain or (names is not None and names.fullmatch(path_text(name))):
            return True
        return any(glob_matches_exactly(clean, path, self.root) for clean in paths)

    def module_root_dirs(self) -> tuple[str, ...]:
        """`module-roots` as absolute directories."""
        return tuple(os.path.normpath(os.path.join(self.root, r)) for r in self.module_roots)

    def with_overrides(
        self,
        *,
        select: str | Iterable[str] | None = None,
        ignore: str | Iterable[str] | None = None,
        extend_select: str | Iterable[str] | None = None,
        phoenix_version: str | None = None,
    ) -> Config:
        """Command-line flags on top of the file, validated like the file's. Each flag takes a
        string or strings, split on commas (`--select PHX0,PHX101`, or a repeated option)."""
        selection = RuleSelection(
            None if select is None else parse_codes(_split(select), "--select"),
            parse_codes(_split(ignore or ()), "--ignore"),
            parse_codes(_split(extend_select or ()), "--extend-select"),
        )
        changes: dict[str, Any] = {}
        if selection != RuleSelection():
            changes["overrides"] = (*self.overrides, selection)
        if phoenix_version is not None:
            changes["phoenix_version"] = _parse_profile(phoenix_version, "--phoenix-version", None)
        return replace(self, **changes) if changes else self

    def settings(self) -> dict[str, object]:
        """The effective settings as plain JSON data (what `fingerprint()` hashes)."""
        return {
            "codes": sorted(self.codes),
            "per-file-ignores": sorted(
                [glob, sorted(c for c in spec.RULES_BY_CODE if any(_selects(s, c) for s in sel))]
                for glob, sel in self.per_file_ignores
            ),
            "exclude": list(self.exclude),
            "extend-exclude": list(self.extend_exclude),
            "phoenix-version": self.phoenix_version,
            "phoenix-evals-version": self.phoenix_evals_version,
            "mypy-warnings-as": self.mypy_warnings_as,
            "task-runners": sorted(self.task_runners),
            "evaluator-runners": sorted(self.evaluator_runners),
            "module-roots": list(self.module_roots),
        }

    def fingerprint(self) -> str:
        """A stable 64-bit hash of the effective settings: equal for configurations that behave
        alike (`select=["PHX"]` and the defaults), independent of `root` and of the process.
        zlib's two checksums, not hashlib: hashlib loads OpenSSL, a cost a run answered from the
        cache notices. It only names a cache file, and the file records the settings it was made for
        (`cache.Cache` compares them), so a collision cannot mix two configurations' results."""
        data = json.dumps(self.settings(), sort_keys=True, separators=(",", ":")).encode()
        return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _split(values: str | Iterable[str]) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


# --------------------------------------------------------------------------------------------
# Reading pyproject.toml


def _parse_profile(
    value: object,
    key: str,
    source: Path | None,
    profiles: Mapping[str, object] = spec.PROFILES,
    what: str = "Phoenix",
) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise ConfigError(
            f'{key} must be a string: write {key} = "{value}"', source=source, key=key
        )
    if not isinstance(value, str):
        raise ConfigError(
            f"{key} must be a string, not {_type_name(value)}", source=source, key=key
        )
    if value not in profiles:
        choices = ", ".join(repr(p) for p in profiles)
        raise ConfigError(
            f"{key}: unknown {what} version {value!r}{_did_you_mean(value, profiles)}; "
            f"expected one of {choices}",
            source=source,
            key=key,
        )
    return value


def _parse_choice(value: object, key: str, choices: Sequence[str], source: Path | None) -> str:
    if not isinstance(value, str) or value not in choices:
        shown = repr(value) if isinstance(value, str) else _type_name(value)
        expected = " or ".join(repr(c) for c in choices)
        raise ConfigError(f"{key} must be {expected}, not {shown}", source=source, key=key)
    return value


def _check_glob(glob: str, key: str, source: Path | None) -> None:
    if not glob.strip():
        raise ConfigError(f"{key}: empty glob", source=source, key=key)
    problem = glob_problem(clean_glob(glob))
    if problem is not None:
        raise ConfigError(f"{key}: glob {glob!r}: {problem}", source=source, key=key)


def _parse_globs(values: object, key: str, source: Path | None) -> tuple[str, ...]:
    globs = _string_list(values, key, source)
    for glob in globs:
        _check_glob(glob, key, source)
    return tuple(globs)


def runner_warnings(names: Sequence[str], key: str, source: Path | None) -> list[str]:
    """A runner named without its module (`my_wrapper`) matches nothing: calls are matched by
    their fully qualified name, which always has a module part. Said, not refused: the rest of
    the configuration works, and a CI run should not stop over a wrapper it merely misses."""
    where = "" if source is None else f"{display_path(source)}: [tool.{SECTION}] "
    return [
        f"{where}{key}: {name!r} has no module part, so it matches no call; write the qualified "
        f"name, e.g. 'experiments.run.{name}' for a `def {name}` in experiments/run.py"
        for name in names
        if "." not in name
    ]


def _parse_names(values: object, key: str, source: Path | None) -> tuple[str, ...]:
    names = _string_list(values, key, source)
    for name in names:
        if not name or not all(part.isidentifier() for part in name.split(".")):
            raise ConfigError(
                f"{key}: {name!r} is not a qualified name like 'myproj.experiments.run'",
                source=source,
                key=key,
            )
    return tuple(dict.fromkeys(names))


def _parse_roots(values: object, key: str, root: Path, source: Path | None) -> tuple[str, ...]:
    """Directories relative to the configuration's directory (or absolute); each must be one:
    a root that names nothing would quietly resolve nothing."""
    roots = _string_list(values, key, source)
    for value in roots:
        if not value.strip():
            raise ConfigError(f"{key}: empty path", source=source, key=key)
        if not os.path.isdir(os.path.join(root, value)):
            raise ConfigError(
                f"{key}: {value!r} is not a directory (relative to {display_path(root)})",
                source=source,
                key=key,
            )
    return tuple(dict.fromkeys(roots))


def _parse_per_file_ignores(
    value: object, key: str, source: Path | None
) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{key} must be a table of glob = [codes], not {_type_name(value)}",
            source=source,
            key=key,
        )
    out: list[tuple[str, frozenset[str]]] = []
    for glob, codes in value.items():
        _check_glob(glob, key, source)
        out.append((glob, parse_codes(codes, key, source=source, label=f"{key} {glob!r}")))
    return tuple(out)


def config_from_table(table: Mapping[str, object], *, root: Path, source: Path | None) -> Config:
    """Validate the contents of `[tool.phx-tasklint]` and build the Config."""
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        key = unknown[0]
        raise ConfigError(f"unknown key {key!r}{_did_you_mean(key, KEYS)}", source=source, key=key)
    kwargs: dict[str, Any] = {"root": root, "source": source}
    warnings: list[str] = []
    for key, value in table.items():
        attr = key.replace("-", "_")
        if key in ("select", "ignore", "extend-select"):
            kwargs[attr] = parse_codes(value, key, source=source)
        elif key == "per-file-ignores":
            kwargs[attr] = _parse_per_file_ignores(value, key, source)
        elif key in ("exclude", "extend-exclude"):
            kwargs[attr] = _parse_globs(value, key, source)
        elif key == "phoenix-version":
            kwargs[attr] = _parse_profile(value, key, source)
        elif key == "phoenix-evals-version":
            kwargs[attr] = _parse_profile(value, key, source, spec.EVALS_PROFILES, "phoenix-evals")
        elif key == "mypy-warnings-as":
            kwargs[attr] = _parse_choice(value, key, ("error", "note"), source)
        elif key == "module-roots":
            kwargs[attr] = _parse_roots(value, key, root, source)
        else:  # task-runners, evaluator-runners
            kwargs[attr] = _parse_names(value, key, source)
            warnings.extend(runner_warnings(kwargs[attr], key, source))
    return Config(**kwargs, warnings=tuple(warnings))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{display_path(path)}: cannot read: {exc.strerror or exc}") from None
    return _parse_toml(data, path)


def _parse_toml(data: bytes, path: Path) -> dict[str, Any]:
    # imported here: a tree without a pyproject.toml never pays for importing it
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display_path(path)}: not UTF-8: {exc.reason}") from None
    try:
        parsed: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display_path(path)}: invalid TOML: {exc}") from None
    return parsed


def _section(document: Mapping[str, Any], path: Path) -> Mapping[str, object] | None:
    tool = document.get("tool")
    if not isinstance(tool, dict) or SECTION not in tool:
        return None
    section = tool[SECTION]
    if not isinstance(section, dict):
        raise ConfigError(
            f"{display_path(path)}: [tool.{SECTION}] must be a table, not {_type_name(section)}"
        )
    return section


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a `[tool.phx-tasklint]` section.

    The search stops after the directory holding `.git` (the repository root) or at the
    filesystem root. A pyproject.toml that mentions the section but does not parse is a
    ConfigError: it is the user's configuration, just broken.
    """
    current = Path(os.path.abspath(start))
    if not current.is_dir():
        current = current.parent
    while True:
        candidate = current / "pyproject.toml"
        try:
            data = candidate.read_bytes() if candidate.is_file() else None
        except OSError:
            data = None
        if (
            data is not None
            and SECTION.encode() in data
            and _section(_parse_toml(data, candidate), candidate) is not None
        ):
            return candidate
        if (current / ".git").exists() or current.parent == current:
            return None
        current = current.parent


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """The configuration for a run.

    `explicit` (`--config`): that file; a missing `[tool.phx-tasklint]` section means defaults.
    Otherwise the nearest pyproject.toml with the section at or above `start` (default: the
    current directory); none found means defaults with `root=start`.
    """
    if explicit is not None:
        path = Path(os.path.abspath(explicit))
        section = _section(_read_toml(path), path)
        return config_from_table(section or {}, root=path.parent, source=path)
    base = Path(os.path.abspath(start if start is not None else os.getcwd()))
    found = find_pyproject(base)
    if found is None:
        return Config(root=base if base.is_dir() else base.parent)
    section = _section(_read_toml(found), found) or {}
    return config_from_table(section, root=found.parent, source=found)


# --------------------------------------------------------------------------------------------
# The oldest Python the project runs on (for `--fix`: `X | None` or `Optional[X]`)

PythonVersion = tuple[int, int]
# Each tool's own files in its own order of precedence; pyproject.toml is read in between.
_RUFF_FILES = (".ruff.toml", "ruff.toml")
_MYPY_FILES = ("mypy.ini", ".mypy.ini")
_TARGET_FILES = (*_RUFF_FILES, *_MYPY_FILES, "pyproject.toml", "setup.cfg")
_RUFF_TARGET = re.compile(r"py(\d)(\d+)")
_VERSION = re.compile(r"(\d+)\.(\d+)")
_SPECIFIER = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*v?(\d+)(?:\.(\d+))?[\w.*+!-]*\s*")


def python_target(config: Config) -> PythonVersion | None:
    """The oldest Python the project supports, as its own tools state it: ruff's
    `target-version`, else mypy's `python_version`, else the lowest version `requires-python`
    admits (ruff's order: a tool's own setting before the package metadata). Read from the
    nearest directory, at or above the configuration's, that holds one of their files; None when
    none says. A file that cannot be read or parsed says nothing here: its own tool reports it.
    There is no setting of our own: a project that states none of these can only be assumed to
    run anywhere, and then `Optional[X]` is the spelling that does. The target changes what
    `--fix` writes, never what is reported or offered (the linter offers a widening only where
    Optional can be spelled), so it is no part of `settings()` and the cache's fingerprint."""
    directory = _target_directory(config.root)
    if directory is None:
        return None
    pyproject = _quiet_toml(directory / "pyproject.toml")
    tool = pyproject.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    tool_ruff = tool.get("ruff")
    ruff = [_quiet_toml(directory / name) for name in _RUFF_FILES]
    ruff.append(tool_ruff if isinstance(tool_ruff, dict) else {})
    for table in ruff:
        found = _ruff_version(table.get("target-version"))
        if found is not None:
            return found
    for value in (
        *(_ini_value(directory / name, "mypy", "python_version") for name in _MYPY_FILES),
        tool["mypy"].get("python_version") if isinstance(tool.get("mypy"), dict) else None,
        _ini_value(directory / "setup.cfg", "mypy", "python_version"),
    ):
        match = _VERSION.fullmatch(str(value).strip()) if isinstance(value, str) else None
        if match:
            return int(match[1]), int(match[2])
    project = pyproject.get("project")
    requires = project.get("requires-python") if isinstance(project, dict) else None
    return lowest_admitted(requires) if isinstance(requires, str) else None


def lowest_admitted(specifiers: str) -> PythonVersion | None:
    """The lowest `major.minor` a `requires-python` specifier set admits (`>=3.9,<4` -> 3.9,
    `~=3.10` -> 3.10, `>3.8` -> 3.8, which admits 3.8.1); None when it sets no lower bound or
    cannot be read."""
    lows: list[PythonVersion] = []
    for clause in specifiers.split(","):
        match = _SPECIFIER.fullmatch(clause)
        if match is None:
            return None
        if match[1] in ("~=", "===", "==", ">=", ">"):
            lows.append((int(match[2]), int(match[3] or 0)))
    return max(lows) if lows else None


def _target_directory(start: Path) -> Path | None:
    current = Path(os.path.abspath(start))
    while True:
        if any((current / name).is_file() for name in _TARGET_FILES):
            return current
        if (current / ".git").exists() or current.parent == current:
            return None
        current = current.parent


def _quiet_toml(path: Path) -> dict[str, Any]:
    try:
        return _parse_toml(path.read_bytes(), path)
    except (OSError, ConfigError):
        return {}


def _ruff_version(value: object) -> PythonVersion | None:
    match = _RUFF_TARGET.fullmatch(value) if isinstance(value, str) else None
    return (int(match[1]), int(match[2])) if match else None


def _ini_value(path: Path, section: str, key: str) -> str | None:
    import configparser  # only when a fix asks

    parser = configparser.ConfigParser(interpolation=None)
    try:
        if not parser.read(path, encoding="utf-8"):
            return None
    except (configparser.Error, UnicodeDecodeError):
        return None
    return parser.get(section, key, fallback=None)
