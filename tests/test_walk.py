"""File discovery: suffixes, order, exclusions, .gitignore, explicit paths, links, odd names."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from phx_tasklint.cli.commands import main
from phx_tasklint.cli.walk import iter_files, parse_gitignore
from phx_tasklint.project.config import DEFAULT_EXCLUDE, Config

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


def make(root: Path, *names: str) -> None:
    """Create files (and their directories); a name ending in `/` is an empty directory."""
    for name in names:
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x = 1\n", encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def found(*paths: str, config: Config | None = None) -> list[str]:
    result = iter_files(list(paths) or ["."], config or Config(root=Path.cwd()))
    assert not result.missing
    return [f.display for f in result.files]


# --------------------------------------------------------------------------------------------
# suffixes and order


def test_suffixes_and_sorted_depth_first_order(tree: Path) -> None:
    make(
        tree, "b.py", "a.pyi", "c.ipynb", "d.md", "e.mdx", "f.txt", "g.pyc", "sub/z.py", "sub/a.py"
    )
    make(tree, "A.PY")
    assert found() == ["A.PY", "a.pyi", "b.py", "c.ipynb", "d.md", "e.mdx", "sub/a.py", "sub/z.py"]
    kinds = {f.display: f.kind for f in iter_files(["."], Config(root=tree)).files}
    assert kinds["c.ipynb"] == "notebook"
    assert kinds["e.mdx"] == "markdown"
    assert kinds["a.pyi"] == "python"


def test_directory_named_like_a_python_file(tree: Path) -> None:
    make(tree, "x.py/inner.py", "x.py/notes.txt")
    assert found() == ["x.py/inner.py"]
    assert found("x.py") == ["x.py/inner.py"]


# --------------------------------------------------------------------------------------------
# .gitignore


@pytest.mark.parametrize(
    ("gitignore", "files", "kept"),
    [
        pytest.param("*.ipynb\n", ["a.ipynb", "s/b.ipynb", "c.py"], ["c.py"], id="star-any-depth"),
        pytest.param(
            "*.ipynb\n!keep.ipynb\n",
            ["a.ipynb", "s/keep.ipynb", "keep.ipynb"],
            ["keep.ipynb", "s/keep.ipynb"],
            id="negation",
        ),
        pytest.param("/top.py\n", ["top.py", "s/top.py"], ["s/top.py"], id="leading-slash"),
        pytest.param(
            "s/top.py\n",
            ["top.py", "s/top.py", "t/s/top.py"],
            ["t/s/top.py", "top.py"],
            id="inner-slash-anchors",
        ),
        pytest.param(
            "out/\n",
            ["out/a.py", "s/out/b.py", "outfile.py"],
            ["outfile.py"],
            id="trailing-slash-dir",
        ),
        pytest.param("gen/\n", ["gen", "s/gen/a.py"], [], id="dir-only-skips-files-too"),
        pytest.param("a.py/\n", ["a.py", "b/a.py"], ["a.py", "b/a.py"], id="dir-only-keeps-files"),
        pytest.param(
            "**/gen/*.py\n",
            ["gen/a.py", "x/y/gen/b.py", "x/gen/c/d.py"],
            ["x/gen/c/d.py"],
            id="leading-double-star",
        ),
        pytest.param(
            "docs/**\n",
            ["docs/a.md", "docs/x/b.md", "docsx/c.md"],
            ["docsx/c.md"],
            id="trailing-double-star",
        ),
        pytest.param(
            "a/**/z.py\n",
            ["a/z.py", "a/b/c/z.py", "b/a/z.py"],
            ["b/a/z.py"],
            id="middle-double-star",
        ),
        pytest.param("t?.py\n", ["t1.py", "t12.py", "s/t2.py"], ["t12.py"], id="question-mark"),
        pytest.param("[ab]*.py\n", ["a1.py", "b.py", "c.py"], ["c.py"], id="class"),
        pytest.param(
            "[!ab]*.py\n", ["a1.py", "b.py", "c.py"], ["a1.py", "b.py"], id="negated-class"
        ),
        pytest.param("# c.py\n\n\\#h.py\n", ["c.py", "#h.py"], ["c.py"], id="comment-escape"),
        pytest.param("\\!bang.py\n", ["!bang.py", "bang.py"], ["bang.py"], id="escaped-bang"),
        pytest.param("sp.py   \n", ["sp.py"], [], id="trailing-spaces"),
        pytest.param(
            "skip/\n!skip/keep.py\n", ["skip/keep.py"], [], id="no-reinclude-under-ignored-dir"
        ),
    ],
)
def test_gitignore_patterns(tree: Path, gitignore: str, files: list[str], kept: list[str]) -> None:
    make(tree, *files)
    (tree / ".gitignore").write_text(gitignore, encoding="utf-8")
    assert found() == kept


def test_nested_gitignore_overrides_and_anchors_to_its_directory(tree: Path) -> None:
    make(tree, "x.py", "y.py", "pkg/x.py", "pkg/y.py", "pkg/sub/y.py", "other/y.py")
    (tree / ".gitignore").write_text("x.py\n", encoding="utf-8")
    (tree / "pkg" / ".gitignore").write_text("!x.py\n/y.py\n", encoding="utf-8")
    assert found() == ["other/y.py", "pkg/sub/y.py", "pkg/x.py", "y.py"]


def test_gitignore_above_a_named_directory(tree: Path) -> None:
    make(tree, "src/gen/a.py", "src/b.py", "src/pkg/gen/c.py")
    (tree / ".gitignore").write_text("/src/gen/\n", encoding="utf-8")
    assert found("src") == ["src/b.py", "src/pkg/gen/c.py"]
    os.chdir(tree / "src")
    assert found(".") == ["b.py", "pkg/gen/c.py"]


def test_parse_gitignore_fields() -> None:
    patterns = parse_gitignore("# c\n\n!keep/\n/a/b\n", "/base")
    assert [(p.regex_source, p.negate, p.dir_only) for p in patterns] == [
        ("keep", True, True),
        ("/a/b", False, False),
    ]


# --------------------------------------------------------------------------------------------
# exclusions


@pytest.mark.parametrize("name", [n.replace("*", "pkg") for n in DEFAULT_EXCLUDE])
def test_default_exclusions(tree: Path, name: str) -> None:
    make(tree, f"{name}/a.py", f"src/{name}/b.py", "keep.py")
    assert found() == ["keep.py"]


def test_exclude_replaces_defaults_and_extend_exclude_adds(tree: Path) -> None:
    make(tree, "build/a.py", "gen/b.py", "src/gen_c.py", "src/d.py", "venv/e.py")
    config = Config(exclude=("gen",), extend_exclude=("src/gen_*.py",), root=tree)
    assert found(config=config) == ["build/a.py", "src/d.py", "venv/e.py"]
    assert found(config=Config(extend_exclude=("gen",), root=tree)) == ["src/d.py", "src/gen_c.py"]


@pytest.mark.parametrize(
    ("setup", "named", "kind"),
    [
        pytest.param("build/x.py", "build/x.py", "python", id="default-excluded"),
        pytest.param("ignored.py", "ignored.py", "python", id="gitignored"),
        pytest.param("gen/y.py", "gen/y.py", "python", id="config-excluded"),
        pytest.param("tool/script", "tool/script", "python", id="unknown-suffix"),
        pytest.param("notes/doc.txt", "notes/doc.txt", "python", id="other-suffix"),
    ],
)
def test_named_file_is_always_checked(tree: Path, setup: str, named: str, kind: str) -> None:
    make(tree, setup)
    (tree / ".gitignore").write_text("ignored.py\n", encoding="utf-8")
    config = Config(extend_exclude=("gen",), root=tree)
    result = iter_files([named], config)
    assert [(f.display, f.kind, f.explicit) for f in result.files] == [(named, kind, True)]
    assert named not in found(config=config)


def test_named_excluded_directory_is_walked(tree: Path) -> None:
    make(tree, "build/a.py", "build/__pycache__/b.py")
    assert found("build") == ["build/a.py"]


# --------------------------------------------------------------------------------------------
# arguments


def test_missing_paths(tree: Path) -> None:
    make(tree, "a.py")
    result = iter_files(["nope.py", "a.py", "gone/"], Config(root=tree))
    assert result.missing == ["nope.py", "gone/"]
    assert [f.display for f in result.files] == ["a.py"]


def test_duplicates_are_checked_once(tree: Path) -> None:
    make(tree, "a.py", "src/b.py")
    result = iter_files(
        ["a.py", "./a.py", str(tree / "a.py"), "src/b.py", ".", "src"], Config(root=tree)
    )
    assert [(f.display, f.explicit) for f in result.files] == [
        ("a.py", True),
        ("src/b.py", True),
    ]


def test_display_relative_to_cwd_else_as_given(tree: Path) -> None:
    make(tree, "inside/a.py", "outside/b.py")
    os.chdir(tree / "inside")
    result = iter_files([str(tree / "inside"), "../outside"], Config(root=tree))
    assert [f.display for f in result.files] == ["a.py", os.path.join("..", "outside", "b.py")]
    assert all(f.path.exists() for f in result.files)


def test_walk_from_above_the_cwd_shows_files_under_it_relative(tree: Path) -> None:
    make(tree, "proj/sub/deep/a.py", "proj/other/b.py", "proj/c.py")
    os.chdir(tree / "proj" / "sub")
    assert found("..") == [
        os.path.join("..", "c.py"),
        os.path.join("..", "other", "b.py"),
        os.path.join("deep", "a.py"),
    ]
    assert found(str(tree / "proj")) == [
        str(tree / "proj" / "c.py"),
        str(tree / "proj" / "other" / "b.py"),
        os.path.join("deep", "a.py"),
    ]


# --------------------------------------------------------------------------------------------
# links, unreadable directories, odd names


@needs_symlinks
def test_symlink_loop_to_parent(tree: Path) -> None:
    make(tree, "pkg/a.py")
    os.symlink("..", tree / "pkg" / "loop")
    result = iter_files(["."], Config(root=tree))
    assert [f.display for f in result.files] == ["pkg/a.py"]
    assert result.messages == [
        "pkg/loop: skipped: symbolic link loop (links to a parent directory)"
    ]


@needs_symlinks
def test_self_referencing_link(tree: Path) -> None:
    make(tree, "a.py")
    os.symlink("self.py", tree / "self.py")
    result = iter_files(["."], Config(root=tree))
    assert [f.display for f in result.files] == ["a.py"]
    assert result.messages == ["self.py: skipped: symbolic link loop"]
    named = iter_files(["self.py"], Config(root=tree))
    assert (named.files, named.missing) == ([], ["self.py"])


@needs_symlinks
def test_broken_symlink(tree: Path) -> None:
    make(tree, "a.py")
    os.symlink("nowhere.py", tree / "broken.py")
    result = iter_files(["."], Config(root=tree))
    assert [f.display for f in result.files] == ["a.py"]
    assert result.messages == ["broken.py: skipped: broken symbolic link"]
    assert iter_files(["broken.py"], Config(root=tree)).missing == ["broken.py"]


@needs_symlinks
def test_links_to_files_and_sibling_directories_are_followed_once(tree: Path) -> None:
    make(tree, "real/a.py", "b.py")
    os.symlink("real", tree / "zlink")
    os.symlink("b.py", tree / "c.py")
    result = iter_files(["."], Config(root=tree))
    assert [f.display for f in result.files] == ["b.py", "real/a.py"]
    assert result.messages == []


def test_unreadable_directory(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tree, "a.py", "locked/b.py")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(os.path.normpath(path)) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # walk.py calls os.scandir
    result = iter_files(["."], Config(root=tree))
    assert [f.display for f in result.files] == ["a.py"]
    assert result.messages == ["locked: cannot read directory: Permission denied"]


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs byte file names")
def test_non_utf8_file_name(tree: Path) -> None:
    raw = os.path.join(os.fsencode(tree), b"caf\xe9.py")
    with open(raw, "wb") as handle:
        handle.write(b"x = 1\n")
    result = iter_files(["."], Config(root=tree))
    [source] = result.files
    assert source.display == "caf\\xe9.py"
    source.display.encode("utf-8")  # printable: no lone surrogates
    assert source.path.read_bytes() == b"x = 1\n"
    assert os.fsencode(source.path) == b"caf\xe9.py"
    assert iter_files([os.fsdecode(raw)], Config(root=tree)).files[0].display == "caf\\xe9.py"


@pytest.mark.skipif(sys.platform == "win32", reason="needs control characters in file names")
def test_control_characters_in_a_file_name_are_escaped(tree: Path) -> None:
    """A terminal escape sequence in a file name must not reach the terminal or a CI log."""
    (tree / "\x1b[31mred.py").write_text("x = 1\n")
    (tree / "sub\x07").mkdir()
    (tree / "sub\x07" / "tab\there.py").write_text("x = 1\n")
    result = iter_files(["."], Config(root=tree))
    assert sorted(f.display for f in result.files) == [
        "\\x1b[31mred.py",
        "sub\\x07/tab\\x09here.py",
    ]
    assert all(f.path.read_text() == "x = 1\n" for f in result.files)
    assert iter_files(["\x1b[31mred.py"], Config(root=tree)).files[0].display == "\\x1b[31mred.py"


# --------------------------------------------------------------------------------------------
# bracket expressions as git reads them (tests/test_globs.py checks them against git itself)


def test_gitignore_brackets_follow_git_and_never_crash(tree: Path) -> None:
    """`[z-a]` is a reversed range: git matches its first byte, `z`; an unclosed `[` or an
    unknown class matches nothing. None of them may crash the walk."""
    make(tree, "z/a.py", "a/a.py", "m.py", "x1.py", "xa.py", "gen[1.py", "k.py")
    (tree / ".gitignore").write_text("[z-a]\nx[[:digit:]].py\ngen[1.py\n[[:nope:]]*\n")
    assert found() == ["a/a.py", "gen[1.py", "k.py", "m.py", "xa.py"]


def test_gitignore_bracket_in_the_cli_does_not_crash(tree: Path) -> None:
    make(tree, "a.py")
    (tree / ".gitignore").write_text("[z-a]\n")
    result = CliRunner().invoke(main, ["check", "--no-cache", "."])
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n"), result.output


# --------------------------------------------------------------------------------------------
# paths named on the command line: what is read is what is shown


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and devices")
def test_named_fifo_and_device_are_refused(tree: Path) -> None:
    """Reading a FIFO blocks, reading /dev/zero never ends: refused unread, as a walk skips
    them (the CLI exits 2)."""
    make(tree, "a.py")
    os.mkfifo(tree / "pipe.py")
    result = iter_files(["pipe.py", "/dev/zero", "a.py"], Config(root=tree))
    assert [f.display for f in result.files] == ["a.py"]
    assert result.refused == [
        "pipe.py: a FIFO, not a regular file or directory",
        "/dev/zero: a character device, not a regular file or directory",
    ]


@needs_symlinks
def test_dotdot_after_a_link_is_resolved_as_the_os_does(tree: Path) -> None:
    """`pkg/../x.py` with `pkg -> real/sub` opens real/x.py: that is the file shown."""
    make(tree, "real/sub/", "real/x.py", "x.py")
    (tree / "real" / "x.py").write_text("real = 1\n")
    os.symlink(os.path.join("real", "sub"), tree / "pkg")
    [named] = iter_files([os.path.join("pkg", "..", "x.py")], Config(root=tree)).files
    assert named.display == os.path.join("real", "x.py")
    assert named.path.read_text() == "real = 1\n"
    walked = iter_files([os.path.join("pkg", "..")], Config(root=tree)).files
    assert [f.display for f in walked] == [os.path.join("real", "x.py")]
    assert [f.path.read_text() for f in walked] == ["real = 1\n"]


@needs_symlinks
def test_a_link_up_does_not_leave_the_named_directory(tree: Path) -> None:
    make(tree, "outside.py", "cyc/inside.py")
    os.symlink("..", tree / "cyc" / "up")
    os.symlink(os.path.abspath(os.sep), tree / "cyc" / "root")
    result = iter_files(["cyc"], Config(root=tree))
    assert [f.display for f in result.files] == [os.path.join("cyc", "inside.py")]
    loop = "skipped: symbolic link loop (links to a parent directory)"
    assert result.messages == [f"cyc/root: {loop}", f"cyc/up: {loop}"]


@pytest.mark.skipif(sys.platform == "win32", reason="needs control characters in file names")
def test_escaped_displays_map_back_to_the_names(tree: Path) -> None:
    (tree / "\x1b[31mred.py").write_text("x = 1\n")
    (tree / "plain.py").write_text("x = 1\n")
    result = iter_files(["."], Config(root=tree))
    assert result.names == {"\\x1b[31mred.py": "\x1b[31mred.py"}
