"""Globs match as git matches them: `.gitignore` lines and configured globs against the `git`
binary (`git check-ignore --no-index` in a scratch repository is the oracle), bracket
expressions and POSIX classes above all.

The table's cases are checked here without git, and against git when it is installed; the
generated patterns and paths (Hypothesis) only against git, and are marked slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence, Set
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phx_tasklint.cli.walk import GitIgnore
from phx_tasklint.project.globs import glob_regex

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="needs the git binary as the oracle")
byte_names = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="needs file names of arbitrary bytes"
)

# (a .gitignore line, a path relative to it, whether git ignores the path)
CASES: list[tuple[str, str, bool]] = [
    # a reversed range: git's range also holds its first byte
    ("[z-a]", "z", True),
    ("[z-a]", "a", False),
    ("[z-a]", "m", False),
    ("x[b-a]y", "xby", True),
    # POSIX classes, ASCII only; \v and \f are no space for git
    ("x[[:digit:]]", "x7", True),
    ("x[[:digit:]]", "xa", False),
    ("x[[:alpha:][:digit:]]", "xQ", True),
    ("x[![:alnum:]]", "x-", True),
    ("x[![:alnum:]]", "x0", False),
    ("x[[:space:]]", "x\t", True),
    ("x[[:space:]]", "x\v", False),
    ("x[[:upper:]]", "x\u00c9", False),
    ("x[[:punct:]]", "x]", True),
    # malformed: git matches nothing rather than reading it literally
    ("x[[:foo:]]", "x[[:foo:]]", False),
    ("x[[:foo:]]", "xf", False),
    ("x[[:digit:]", "x1", False),
    ("x[ab", "x[ab", False),
    ("x[ab", "xa", False),
    ("ab\\", "ab\\", False),
    # `[:` without `:]` is an ordinary `[`
    ("x[[:]]", "x:]", True),
    ("x[[:]]", "x[]", True),
    # a `]` first is a member; `-` first, last or after a range is literal
    ("x[]a]", "x]", True),
    ("x[!]a]", "xb", True),
    ("x[!]a]", "x]", False),
    ("x[-a]", "x-", True),
    ("x[a-]", "x-", True),
    ("x[a-c-e]", "x-", True),
    ("x[a-c-e]", "xd", False),
    ("x[]-a]", "x_", True),
    # escapes inside and outside brackets
    ("x[\\]]", "x]", True),
    ("x[a-\\z]", "xm", True),
    ("x\\[a]", "x[a]", True),
    ("x\\*", "xy", False),
    # `^` negates as `!` does; a class never matches `/`
    ("x[^a]", "xb", True),
    ("x[^a]", "xa", False),
    ("a[!b]c", "a/c", False),
    ("a[/]c", "a/c", False),
    # bytes, not characters: `?` is one byte, a range compares bytes
    ("?.py", "\u00e9.py", False),
    ("??.py", "\u00e9.py", True),
    ("x[\u00e9]", "x\u00e9", False),
    ("x[\u00e9][\u00e9]", "x\u00e9", True),
    ("x[!a]", "x\u00e9", False),
    ("x[!a][!a]", "x\u00e9", True),
    # `**` only as a whole segment; git compares a literal prefix first
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**", "a/x/y", True),
    ("a**b/c", "axyb/c", True),
    ("a/x**/b", "a/xb", True),
    ("a/x**/b", "a/xq/r/b", True),
    ("a/*/b", "a/x/y/b", False),
    ("**/b", "x/y/b", True),
    ("/b", "x/b", False),
]


def ours(gitignore: str, path: str, is_dir: bool = False) -> bool:
    """Whether our walk would leave `path` out: it or a parent directory is ignored."""
    base = os.path.abspath(os.sep + "repo")
    ignores = GitIgnore().extended(gitignore, base)
    parts = path.split("/")
    return any(
        ignores.ignored(os.path.join(base, *parts[:i]), is_dir or i < len(parts))
        for i in range(1, len(parts) + 1)
    )


@pytest.mark.parametrize(("pattern", "path", "ignored"), CASES)
def test_gitignore_line(pattern: str, path: str, ignored: bool) -> None:
    assert ours(pattern + "\n", path) is ignored


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("oracle")
    subprocess.run([GIT or "git", "init", "-q", str(root)], check=True, env=_git_env())
    return root


def _git_env() -> dict[str, str]:
    """No global or system configuration (a global excludes file, core.ignoreCase)."""
    return {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git_ignored(
    repo: Path,
    gitignore: bytes,
    paths: Sequence[bytes],
    directories: Set[bytes] = frozenset(),
    *,
    on_disk: bool = True,
) -> set[bytes]:
    """The `paths` git ignores under a .gitignore of `gitignore`, the paths created in `repo`
    first when `on_disk` (only `dir/` patterns need them, to tell directories): `directories`
    and the parents of paths as directories, the others as files."""
    _clear(repo)
    base = os.fsencode(repo)
    for path in paths if on_disk else ():
        target = os.path.join(base, path)
        os.makedirs(target if path in directories else os.path.dirname(target), exist_ok=True)
        if path not in directories:
            open(target, "wb").close()
    with open(os.path.join(base, b".gitignore"), "wb") as handle:
        handle.write(gitignore)
    result = subprocess.run(
        [GIT or "git", "check-ignore", "--no-index", "--stdin", "-z"],
        cwd=repo,
        # `./`: a name starting with `:` is no pathspec magic
        input=b"".join(b"./" + path + b"\0" for path in paths),
        capture_output=True,
        env=_git_env(),
    )
    assert result.returncode in (0, 1), result.stderr
    return {path.removeprefix(b"./") for path in result.stdout.split(b"\0") if path}


def _clear(repo: Path) -> None:
    for entry in os.scandir(repo):
        if entry.name == ".git":
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


@needs_git
@byte_names
def test_the_table_agrees_with_git(repo: Path) -> None:
    wrong = []
    for pattern, path, ignored in CASES:
        found = git_ignored(repo, os.fsencode(pattern + "\n"), [os.fsencode(path)], on_disk=False)
        if bool(found) is not ignored:
            wrong.append((pattern, path, bool(found)))
    assert wrong == []


# Every byte a name can hold (not `/`, not NUL), one-byte names decoded as Python decodes them.
_BYTES = [os.fsdecode(bytes([byte])) for byte in range(1, 256) if byte != ord("/")]
BRACKETS = [
    *(f"x[[:{name}:]]" for name in ("alnum", "alpha", "blank", "cntrl", "digit", "graph")),
    *(f"x[[:{name}:]]" for name in ("lower", "print", "punct", "space", "upper", "xdigit")),
    "x[![:alpha:]0-4]",
    "x[z-a]",
    "x[a-c-e]",
    "x[]-a]",
    "x[!a-z]",
    "x[\\]-a]",
    "x[--0]",
    "x[a-\\z]",
    "x[\u00e9-\u00ff]",
    "x[!\u00e9]",
    "x?",
]


@needs_git
@byte_names
@pytest.mark.parametrize("pattern", BRACKETS)
def test_brackets_agree_with_git_on_every_byte(repo: Path, pattern: str) -> None:
    names = [f"x{byte}" for byte in _BYTES]
    found = git_ignored(
        repo, os.fsencode(pattern + "\n"), [os.fsencode(n) for n in names], on_disk=False
    )
    assert [n for n in names if ours(pattern, n)] == [n for n in names if os.fsencode(n) in found]


# --------------------------------------------------------------------------------------------
# generated patterns and paths against git

# One small alphabet for the patterns' literals, their brackets' members and the file names, so
# that generated patterns often match generated names; `\udce9` is a byte that is not UTF-8
# (0xE9), as Python decodes it from a file name.
_ALPHABET = "az0-]:!^ .\u00e9\udce9"
_CHAR = st.sampled_from(_ALPHABET)
_MEMBER = st.one_of(
    _CHAR,
    st.tuples(_CHAR, _CHAR).map("-".join),  # ranges, reversed ones too
    st.sampled_from(["[:alpha:]", "[:digit:]", "[:space:]", "[:punct:]", "[:foo:]", "[:"]),
    st.sampled_from(["[:]", "\\]", "\\\\", "\\-", "-", "/"]),
)


_NEAR = 3  # texts per atom, so paths per line


def _texts(text: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(text, min_size=_NEAR, max_size=_NEAR)


def _bracket(negation: str, members: list[str], close: str) -> st.SearchStrategy[Atom]:
    """A bracket expression, and bytes that may or may not match it: its own bytes (a range's
    ends, a class's name) more often than not."""
    own = [c for c in "".join(members) if c not in "[]:\\"] or ["a"]
    near = st.one_of(st.sampled_from(own), _CHAR, st.sampled_from(_BYTES))
    return st.tuples(st.just(f"[{negation}{''.join(members)}{close}"), _texts(near))


Atom = tuple[str, list[str]]

# An atom of a pattern, and texts that it may match, so that generated paths are often near
# the edge of what a generated pattern matches.
_ATOM: st.SearchStrategy[Atom] = st.one_of(
    st.tuples(_CHAR, st.just([])).map(lambda atom: (atom[0], [atom[0]] * _NEAR)),
    st.tuples(_CHAR, st.just([])).map(lambda atom: ("\\" + atom[0], [atom[0]] * _NEAR)),
    st.tuples(st.just("?"), _texts(_CHAR)),
    st.tuples(st.just("*"), _texts(st.text(_ALPHABET, max_size=2))),
    st.tuples(st.just("**"), _texts(st.sampled_from(["", "a", "a/z", "z/"]))),
    st.just(("/", ["/"] * _NEAR)),
    st.just(("\\", ["\\"] * _NEAR)),
    st.builds(
        _bracket,
        st.sampled_from(["", "!", "^"]),
        st.lists(_MEMBER, min_size=1, max_size=3),
        st.sampled_from(["]", "]", "]", ""]),  # sometimes never closed
    ).flatmap(lambda strategy: strategy),
)


def _line() -> st.SearchStrategy[tuple[str, list[str]]]:
    """A .gitignore line and paths it may match."""
    return st.builds(
        lambda negation, anchor, atoms, directory: (
            f"{negation}{anchor}{''.join(p for p, _ in atoms)}{directory}",
            ["".join(texts[i] for _, texts in atoms) for i in range(_NEAR)],
        ),
        st.sampled_from(["", "", "!"]),
        st.sampled_from(["", "", "/"]),
        st.lists(_ATOM, min_size=1, max_size=5),
        st.sampled_from(["", "", "/"]),
    )


def _name() -> st.SearchStrategy[str]:
    return st.text(_ALPHABET, min_size=1, max_size=3).filter(_usable)


def _usable(name: str) -> bool:
    return name not in ("", ".", "..", ".git", ".gitignore")


def _paths() -> st.SearchStrategy[list[str]]:
    path = st.lists(_name(), min_size=1, max_size=3).map("/".join)
    return st.lists(path, min_size=1, max_size=8, unique=True)


def _files(paths: list[str]) -> list[str]:
    """`paths`, less any that is also a parent directory of another (it is a directory)."""
    parents = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    return [p for p in paths if p not in parents]


@pytest.mark.slow
@needs_git
@byte_names
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_line(), min_size=1, max_size=3), paths=_paths())
def test_gitignore_agrees_with_git(
    repo: Path, lines: list[tuple[str, list[str]]], paths: list[str]
) -> None:
    near = ["/".join(filter(None, text.split("/"))) for _, texts in lines for text in texts]
    near = [p for p in near if p and all(_usable(part) for part in p.split("/"))]
    files = _files(list(dict.fromkeys([*paths, *near])))
    directories = {"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)}
    everything = sorted(directories.union(files))
    text = "\n".join(line for line, _ in lines) + "\n"
    found = git_ignored(
        repo,
        os.fsencode(text),
        [os.fsencode(p) for p in everything],
        {os.fsencode(p) for p in directories},
    )
    expected = {os.fsdecode(p) for p in found}
    assert {p for p in everything if ours(text, p, p in directories)} == expected


_LINES = st.lists(
    st.tuples(
        st.booleans(),  # negated
        st.sampled_from(["a", "b", "*.py", "a/*", "**/b", "/a", "x*", "a/**/c", "?"]),
        st.booleans(),  # directories only
    ),
    max_size=8,
)
_PATHS = st.lists(st.sampled_from(["a", "b", "c", "x.py", "xa"]), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_LINES, _PATHS, st.booleans())
def test_a_gitignore_of_many_lines_decides_by_its_last_match(
    lines: list[tuple[bool, str, bool]], parts: list[str], is_dir: bool
) -> None:
    """The runs of like patterns `GitIgnore` matches at once decide as git's rule does, one
    pattern after the other: the last pattern that matches, negated or not."""
    text = "".join(
        f"{'!' if neg else ''}{glob}{'/' if dirs else ''}\n" for neg, glob, dirs in lines
    )
    base = os.path.abspath(os.sep + "repo")
    path = os.path.join(base, *parts)
    expected = False
    for negate, glob, dirs in lines:
        if dirs and not is_dir:
            continue
        if glob_regex(glob).fullmatch("/".join(parts)):
            expected = not negate
    assert GitIgnore().extended(text, base).ignored(path, is_dir) is expected
