"""`[tool.phx-tasklint]`: discovery, validation, rule selection, per-file-ignores, fingerprint."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from phx_tasklint.cli.commands import main
from phx_tasklint.core import spec
from phx_tasklint.project.config import (
    ALL,
    DEFAULT_EXCLUDE,
    Config,
    ConfigError,
    find_pyproject,
    load_config,
    parse_codes,
)

ALL_CODES = frozenset(rule.code for rule in spec.RULES)


def write(directory: Path, body: str, name: str = "pyproject.toml") -> Path:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # stop the pyproject search here, not in the real repo
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config_of(tmp: Path, section: str) -> Config:
    write(tmp, "[tool.phx-tasklint]\n" + section)
    return load_config(start=tmp)


# --------------------------------------------------------------------------------------------
# defaults and parsing


def test_defaults_without_pyproject(in_tmp: Path) -> None:
    config = load_config(start=in_tmp)
    assert config.source is None
    assert config.root == in_tmp
    assert config.codes == ALL_CODES
    assert config.select == frozenset({ALL})
    assert config.exclude == DEFAULT_EXCLUDE
    assert config.extend_exclude == ()
    assert config.phoenix_version == "latest"
    assert config.task_runners == config.evaluator_runners == ()
    assert config.per_file_ignores == ()
    assert config == Config(root=in_tmp)


def test_pyproject_without_section_is_skipped(in_tmp: Path) -> None:
    write(in_tmp, '[tool.phx-tasklint]\nselect = ["PHX1"]\n')
    sub = in_tmp / "pkg"
    sub.mkdir()
    write(sub, '[project]\nname = "pkg"\ndependencies = ["phx-tasklint"]\n')
    assert find_pyproject(sub) == in_tmp / "pyproject.toml"
    config = load_config(start=sub)
    assert config.root == in_tmp
    assert config.codes == {"PHX101", "PHX102"}


def test_search_stops_at_repository_root(tmp_path: Path) -> None:
    write(tmp_path, '[tool.phx-tasklint]\nselect = ["PHX1"]\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    assert find_pyproject(repo / "src") is None
    assert load_config(start=repo / "src").codes == ALL_CODES


def test_every_key_parsed(in_tmp: Path) -> None:
    config = config_of(
        in_tmp,
        """
select = ["PHX0", "never-bound-parameter"]
ignore = ["PHX002"]
extend-select = ["PHX2"]
exclude = ["generated"]
extend-exclude = ["legacy/*.py"]
phoenix-version = "2.3"
task-runners = ["myproj.experiments.run"]
evaluator-runners = ["myproj.experiments.score", "myproj.x.y"]

[tool.phx-tasklint.per-file-ignores]
"tests/*" = ["PHX1", "unbindable-parameter"]
""",
    )
    assert config.source == in_tmp / "pyproject.toml"
    assert config.root == in_tmp
    assert config.select == {"PHX0", "PHX101"}
    assert config.ignore == {"PHX002"}
    assert config.extend_select == {"PHX2"}
    assert config.per_file_ignores == (("tests/*", frozenset({"PHX1", "PHX002"})),)
    assert config.exclude == ("generated",)
    assert config.extend_exclude == ("legacy/*.py",)
    assert config.phoenix_version == "2.3"
    assert config.task_runners == ("myproj.experiments.run",)
    assert config.evaluator_runners == ("myproj.experiments.score", "myproj.x.y")
    assert config.codes == (
        {"PHX000", "PHX001", "PHX003", "PHX004", "PHX005", "PHX006", "PHX007", "PHX101"}
        | {"PHX201", "PHX202", "PHX203"}
    )


def test_explicit_config_file(in_tmp: Path) -> None:
    other = in_tmp / "conf"
    other.mkdir()
    path = write(other, '[tool.phx-tasklint]\nignore = ["PHX4"]\n', "custom.toml")
    write(in_tmp, '[tool.phx-tasklint]\nselect = ["PHX1"]\n')
    config = load_config(explicit=path)
    assert config.source == path
    assert config.root == other
    assert config.codes == ALL_CODES - {c for c in ALL_CODES if c.startswith("PHX4")}


def test_explicit_config_missing(in_tmp: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read"):
        load_config(explicit=in_tmp / "nope.toml")


# --------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("section", "key", "fragment"),
    [
        pytest.param('selct = ["PHX0"]', "selct", "did you mean 'select'?", id="unknown-key"),
        pytest.param(
            "per_file_ignores = {}", "per_file_ignores", "'per-file-ignores'", id="snake-case-key"
        ),
        pytest.param('select = "PHX002"', "select", "array of strings", id="select-not-list"),
        pytest.param("ignore = [2]", "ignore", "an integer", id="ignore-int-item"),
        pytest.param('select = ["PHX999"]', "select", "'PHX999'", id="unknown-code"),
        pytest.param('extend-select = ["E501"]', "extend-select", "'E501'", id="foreign-code"),
        pytest.param(
            'select = ["unbindable-parameters"]',
            "select",
            "did you mean 'unbindable-parameter'?",
            id="misspelled-name",
        ),
        pytest.param(
            'phoenix-version = "3.0"', "phoenix-version", "'2.3', 'latest'", id="unknown-profile"
        ),
        pytest.param(
            "phoenix-version = 2.3",
            "phoenix-version",
            'phoenix-version = "2.3"',
            id="float-profile",
        ),
        pytest.param('exclude = "build"', "exclude", "array of strings", id="exclude-not-list"),
        pytest.param('extend-exclude = [""]', "extend-exclude", "empty glob", id="empty-glob"),
        pytest.param(
            'task-runners = ["my proj.run"]', "task-runners", "qualified name", id="bad-runner"
        ),
        pytest.param(
            "evaluator-runners = [1]", "evaluator-runners", "array of strings", id="runner-int"
        ),
        pytest.param('per-file-ignores = ["x"]', "per-file-ignores", "table", id="pfi-not-table"),
        pytest.param(
            "per-file-ignores = { 'tests/*' = ['PHX9'] }",
            "per-file-ignores",
            "'PHX9'",
            id="pfi-unknown-code",
        ),
    ],
)
def test_invalid_settings_name_the_key_and_file(
    in_tmp: Path, section: str, key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        config_of(in_tmp, section + "\n")
    message = str(info.value)
    assert message.startswith("pyproject.toml: [tool.phx-tasklint] ")
    assert key in message
    assert fragment in message
    assert info.value.key == key


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        pytest.param(
            'extend-exclude = ["[z-a]"]',
            "extend-exclude",
            "extend-exclude: glob '[z-a]': reversed range 'z-a' (git matches 'z' only; "
            "write 'a-z')",
            id="reversed-range",
        ),
        pytest.param(
            "per-file-ignores = { 'src/[z-a].py' = ['PHX1'] }",
            "per-file-ignores",
            "per-file-ignores: glob 'src/[z-a].py': reversed range 'z-a' (git matches 'z' "
            "only; write 'a-z')",
            id="pfi-reversed-range",
        ),
        pytest.param(
            'exclude = ["gen[[:digits:]]"]',
            "exclude",
            "exclude: glob 'gen[[:digits:]]': unknown character class '[:digits:]' (known: "
            "alnum, alpha, blank, cntrl, digit, graph, lower, print, punct, space, upper, "
            "xdigit)",
            id="unknown-class",
        ),
        pytest.param(
            'extend-exclude = ["gen[1"]',
            "extend-exclude",
            "extend-exclude: glob 'gen[1': the '[' at offset 3 is never closed (write '\\[' "
            "for a literal '[')",
            id="unclosed-bracket",
        ),
        pytest.param(
            "extend-exclude = ['gen\\']",
            "extend-exclude",
            "extend-exclude: glob 'gen\\\\': a lone '\\' at the end (write '\\\\' for a backslash)",
            id="trailing-backslash",
        ),
    ],
)
def test_globs_git_matches_nothing_with_are_errors(
    in_tmp: Path, section: str, key: str, message: str
) -> None:
    """A glob git matches nothing with, or a reversed range, is refused, never a crash."""
    with pytest.raises(ConfigError) as info:
        config_of(in_tmp, section + "\n")
    assert str(info.value) == f"pyproject.toml: [tool.phx-tasklint] {message}"
    assert info.value.key == key


@pytest.mark.parametrize(
    "section", ['extend-exclude = ["[z-a]"]', "per-file-ignores = { '[z-a].py' = ['PHX1'] }"]
)
def test_a_reversed_range_in_the_config_exits_2(in_tmp: Path, section: str) -> None:
    write(in_tmp, "[tool.phx-tasklint]\n" + section + "\n")
    (in_tmp / "a.py").write_text("x = 1\n")
    result = CliRunner().invoke(main, ["check", "--no-cache", "."])
    assert result.exit_code == 2, result.output
    assert "reversed range 'z-a'" in result.stderr
    assert result.stderr.startswith("phx-tasklint: error: pyproject.toml: [tool.phx-tasklint] ")


@pytest.mark.parametrize(
    "glob", ["gen[[:digit:]]", "x[]a]", "x[!a-]", "[[:]]", "a\\[b", "[a-a]", "**/x/**"]
)
def test_globs_git_reads_are_accepted(in_tmp: Path, glob: str) -> None:
    config = config_of(in_tmp, f"extend-exclude = [{json.dumps(glob)}]\n")
    assert config.extend_exclude == (glob,)


def test_config_globs_match_as_git_does(tmp_path: Path) -> None:
    config = Config(
        exclude=("gen[[:digit:]]", "x[]a]"),
        per_file_ignores=(("src/caf[!a][!a].py", frozenset({ALL})),),
        root=tmp_path,
    )
    assert config.is_excluded(tmp_path / "gen7")
    assert not config.is_excluded(tmp_path / "genx")
    assert config.is_excluded(tmp_path / "x]")
    # bytes, as git has them: `[!a]` is one byte of a two-byte UTF-8 character
    assert not config.enabled("PHX002", tmp_path / "src" / "caf\u00e9.py")
    assert config.enabled("PHX002", tmp_path / "src" / "cafe.py")


def test_unknown_key_exact_message(in_tmp: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config_of(in_tmp, 'selct = ["PHX0"]\n')
    assert str(info.value) == (
        "pyproject.toml: [tool.phx-tasklint] unknown key 'selct' (did you mean 'select'?)"
    )


def test_toml_syntax_error_names_file_and_position(in_tmp: Path) -> None:
    write(in_tmp, '[tool.phx-tasklint]\nselect = ["PHX0"] x\n')
    with pytest.raises(ConfigError) as info:
        load_config(start=in_tmp)
    message = str(info.value)
    assert message.startswith("pyproject.toml: invalid TOML: ")
    assert "line" in message


def test_section_must_be_a_table(in_tmp: Path) -> None:
    write(in_tmp, '[tool]\nphx-tasklint = "yes"\n')
    with pytest.raises(ConfigError, match="must be a table"):
        load_config(start=in_tmp)


# --------------------------------------------------------------------------------------------
# rule selection


@pytest.mark.parametrize(
    ("select", "ignore", "extend_select", "expected"),
    [
        pytest.param(
            ["PHX0"],
            ["PHX002"],
            [],
            {"PHX000", "PHX001", "PHX003", "PHX004", "PHX005", "PHX006", "PHX007"},
            id="prefix-minus-code",
        ),
        pytest.param(["PHX002"], ["PHX0"], [], {"PHX002"}, id="code-beats-prefix-ignore"),
        pytest.param(["PHX0"], ["PHX0"], [], set(), id="ignore-wins-tie"),
        pytest.param(["ALL"], ["PHX"], [], set(), id="linter-beats-all"),
        pytest.param(
            ["PHX40"],
            [],
            ["PHX101"],
            {f"PHX40{i}" for i in range(1, 9)} | {"PHX101"},
            id="extend-select-adds",
        ),
        pytest.param(["unbindable-parameter"], [], [], {"PHX002"}, id="rule-name"),
        pytest.param(["phx2"], [], [], {"PHX201", "PHX202", "PHX203"}, id="lower-case"),
    ],
)
def test_select_ignore_specificity(
    select: list[str], ignore: list[str], extend_select: list[str], expected: set[str]
) -> None:
    config = Config(
        select=parse_codes(select, "select"),
        ignore=parse_codes(ignore, "ignore"),
        extend_select=parse_codes(extend_select, "extend-select"),
    )
    assert config.codes == expected
    for code in ALL_CODES:
        assert config.enabled(code, None) is (code in expected), code


def test_parse_codes_without_source_names_the_flag() -> None:
    with pytest.raises(ConfigError) as info:
        parse_codes(["PHX77"], "--select")
    assert str(info.value).startswith("--select: unknown rule code")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        # a prefix no code starts with: nothing near is worth suggesting (PHX9 is not PHX406)
        ("PHX9", "'PHX9': no rule code starts with PHX9"),
        ("phx9", "'phx9': no rule code starts with PHX9"),
        ("PHX999", "'PHX999': no rule code starts with PHX999"),
        # one edit from several codes or prefixes: no guess
        ("PHX602", "'PHX602': no rule code starts with PHX602"),
        ("PHX0002", "'PHX0002': no rule code starts with PHX0002"),
        # one edit from exactly one: suggested
        ("PHX2O1", "'PHX2O1' (did you mean 'PHX201'?)"),
        ("PHX4O6", "'PHX4O6' (did you mean 'PHX406'?)"),
        ("unbindable-parameters", "(did you mean 'unbindable-parameter'?)"),
        ("al", "(did you mean 'ALL'?)"),
    ],
)
@pytest.mark.parametrize("flag", ["--select", "--ignore"])
def test_an_unknown_selector_gets_a_suggestion_only_when_one_is_near(
    flag: str, value: str, said: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Config().with_overrides(**{flag.lstrip("-"): value})
    message = str(info.value)
    assert message.startswith(f"{flag}: unknown rule code, prefix or name ")
    assert said in message, message
    if "did you mean" not in said:
        assert "did you mean" not in message


def test_a_runner_without_its_module_is_warned_about_once(in_tmp: Path) -> None:
    """`task-runners = ["my_wrapper"]` can match no call (calls are matched by qualified name,
    which has a module part): said on stderr once per run, cached or not; `-q` keeps quiet."""
    write(
        in_tmp,
        '[tool.phx-tasklint]\ntask-runners = ["my_wrapper", "run.wrap"]\n'
        'evaluator-runners = ["score_all"]\n',
    )
    (in_tmp / "run.py").write_text(
        "def my_wrapper(task):\n    pass\n\ndef wrap(task):\n    pass\n\n"
        "def bad(input, question):\n    return 1\n\nmy_wrapper(bad)\nwrap(bad)\n"
    )
    config = load_config()
    assert config.warnings == (
        "pyproject.toml: [tool.phx-tasklint] task-runners: 'my_wrapper' has no module part, so "
        "it matches no call; write the qualified name, e.g. 'experiments.run.my_wrapper' for a "
        "`def my_wrapper` in experiments/run.py",
        "pyproject.toml: [tool.phx-tasklint] evaluator-runners: 'score_all' has no module part, "
        "so it matches no call; write the qualified name, e.g. 'experiments.run.score_all' for "
        "a `def score_all` in experiments/run.py",
    )
    assert config == load_config(explicit=in_tmp / "pyproject.toml")  # not a setting
    for _ in range(2):  # the second run is answered from the cache
        result = CliRunner().invoke(main, ["check", "run.py"])
        assert result.exit_code == 1
        assert result.stderr.count("'my_wrapper' has no module part") == 1
        assert result.stderr.count("'score_all' has no module part") == 1
        assert result.stdout.count("PHX002") == 1  # wrap(bad) only
    quiet = CliRunner().invoke(main, ["check", "-q", "run.py"])
    assert "no module part" not in quiet.stderr


@pytest.mark.parametrize(
    ("value", "said"),
    [('"notes"', "not 'notes'"), ("true", "not a boolean"), ('"ERROR"', "not 'ERROR'")],
)
def test_mypy_warnings_as_takes_error_or_note(in_tmp: Path, value: str, said: str) -> None:
    assert config_of(in_tmp, 'mypy-warnings-as = "note"').mypy_warnings_as == "note"
    assert Config().mypy_warnings_as == "error"
    with pytest.raises(ConfigError) as info:
        config_of(in_tmp, f"mypy-warnings-as = {value}")
    assert info.value.key == "mypy-warnings-as"
    assert f"mypy-warnings-as must be 'error' or 'note', {said}" in str(info.value)


# --------------------------------------------------------------------------------------------
# per-file-ignores


@pytest.mark.parametrize(
    ("glob", "path", "ignored"),
    [
        pytest.param("tests/*", "tests/test_a.py", True, id="star-direct"),
        pytest.param("tests/*", "tests/sub/test_a.py", True, id="star-covers-subdir"),
        pytest.param("tests/*", "src/tests.py", False, id="star-other-dir"),
        pytest.param("tests/*", "src/tests/test_a.py", False, id="anchored-at-root"),
        pytest.param("conftest.py", "a/b/conftest.py", True, id="name-any-depth"),
        pytest.param("*_eval.py", "src/x_eval.py", True, id="name-glob"),
        pytest.param("*_eval.py", "src/x_eval.pyi", False, id="name-glob-suffix"),
        pytest.param("**/notebooks/*.ipynb", "a/b/notebooks/n.ipynb", True, id="double-star"),
        pytest.param("src/**/gen_?.py", "src/a/b/gen_1.py", True, id="question-mark"),
        pytest.param("src/**/gen_?.py", "src/a/b/gen_10.py", False, id="question-mark-one"),
        pytest.param("src/[ab].py", "src/b.py", True, id="class"),
        pytest.param("src/[!ab].py", "src/b.py", False, id="negated-class"),
        pytest.param("./docs/", "docs/guide.md", True, id="dot-slash-dir"),
    ],
)
def test_per_file_ignores_globs(tmp_path: Path, glob: str, path: str, ignored: bool) -> None:
    config = Config(per_file_ignores=((glob, frozenset({"PHX1"})),), root=tmp_path)
    target = tmp_path / path
    assert config.enabled("PHX101", target) is not ignored
    assert config.enabled("PHX002", target)  # not covered by the entry's codes


def test_per_file_ignores_relative_to_root_not_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg").mkdir()
    monkeypatch.chdir(tmp_path / "pkg")
    config = Config(per_file_ignores=(("pkg/tests/*", frozenset({ALL})),), root=tmp_path)
    assert not config.enabled("PHX002", "tests/test_x.py")  # = <root>/pkg/tests/test_x.py
    assert config.enabled("PHX002", "test_x.py")


def test_exclude_and_extend_exclude(tmp_path: Path) -> None:
    config = Config(exclude=("gen",), extend_exclude=("src/legacy_*.py",), root=tmp_path)
    assert config.is_excluded(tmp_path / "a" / "gen")
    assert config.is_excluded(tmp_path / "src" / "legacy_1.py")
    assert not config.is_excluded(tmp_path / "lib" / "src" / "legacy_1.py")
    assert not config.is_excluded(tmp_path / ".venv")  # `exclude` replaced the defaults
    assert Config(root=tmp_path).is_excluded(tmp_path / "x.egg-info")


# --------------------------------------------------------------------------------------------
# overrides and fingerprint


def test_cli_select_starts_over() -> None:
    config = Config(select=frozenset({"PHX0"}), ignore=frozenset({"PHX002"}))
    over = config.with_overrides(select=["PHX002", "PHX101"])
    assert over.codes == {"PHX002", "PHX101"}
    assert config.codes == ALL_CODES & {c for c in ALL_CODES if c.startswith("PHX0")} - {"PHX002"}


def test_cli_ignore_and_extend_select_adjust_the_file() -> None:
    config = Config(select=frozenset({"PHX0"}), ignore=frozenset({"PHX002"}))
    over = config.with_overrides(ignore="PHX001", extend_select=["PHX002,PHX4"])
    expected = {c for c in ALL_CODES if c.startswith(("PHX0", "PHX4"))} - {"PHX001"}
    assert over.codes == expected


def test_cli_phoenix_version_and_validation() -> None:
    assert Config().with_overrides(phoenix_version="legacy").phoenix_version == "legacy"
    with pytest.raises(ConfigError, match="--phoenix-version"):
        Config().with_overrides(phoenix_version="9")
    with pytest.raises(ConfigError, match="--ignore"):
        Config().with_overrides(ignore=["nope"])
    assert Config().with_overrides() == Config(root=Config().root)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"select": frozenset({"PHX0"})}, id="select"),
        pytest.param({"ignore": frozenset({"PHX002"})}, id="ignore"),
        pytest.param({"per_file_ignores": (("t/*", frozenset({"PHX1"})),)}, id="pfi"),
        pytest.param({"exclude": ("x",)}, id="exclude"),
        pytest.param({"extend_exclude": ("x",)}, id="extend-exclude"),
        pytest.param({"phoenix_version": "1.21"}, id="profile"),
        pytest.param({"task_runners": ("a.b",)}, id="task-runners"),
        pytest.param({"evaluator_runners": ("a.b",)}, id="evaluator-runners"),
    ],
)
def test_fingerprint_changes_with_settings(changes: dict[str, object]) -> None:
    base = Config(root=Path("/a"))
    assert Config(root=Path("/a"), **changes).fingerprint() != base.fingerprint()  # type: ignore[arg-type]


def test_fingerprint_is_stable_and_semantic() -> None:
    one = Config(root=Path("/a"))
    assert one.fingerprint() == Config(root=Path("/b")).fingerprint()
    assert one.fingerprint() == Config(select=frozenset({"PHX"}), root=Path("/a")).fingerprint()
    assert one.fingerprint() != one.with_overrides(ignore=["PHX101"]).fingerprint()
    assert len(one.fingerprint()) == 16
    assert os.fspath(one.root) == "/a"
