"""Local dataset files for `phx-tasklint run`: JSONL, JSON or CSV, read into Phoenix's examples.

An example is the mapping Phoenix hands to the binder: `id`, `input`, `output`, `metadata`
(and `updated_at` when the file has it). JSON and JSONL records are in the shape Phoenix's
`client.datasets.create_dataset(examples=...)` takes: `input` and `output` objects are required,
`metadata` is optional. A CSV is mapped the way Phoenix's CSV upload maps it: each group of
columns (`input_keys`, `output_keys`, `metadata_keys`) becomes a dict of those columns, cells
stay strings, other columns are dropped, and with no keys at all they are inferred as the client
does (the columns before the first `*response*`/`*answer*`/`*output*` column are the input, that
column the output, the columns after it the metadata).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "DatasetError", "infer_csv_keys", "load_dataset"]

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}

# phoenix.client.resources.datasets._infer_keys
_CSV_OUTPUT_COLUMN = re.compile(r"(?i)(response|answer|output)s?$")


class DatasetError(ValueError):
    """The dataset file cannot be read as Phoenix examples; the message says where and why."""


Example = dict[str, Any]


def load_dataset(
    path: str | Path,
    *,
    input_keys: Sequence[str] = (),
    output_keys: Sequence[str] = (),
    metadata_keys: Sequence[str] = (),
    example_id_key: str | None = None,
) -> list[Example]:
    """Read every example of a `.jsonl`, `.json` or `.csv` file (raises DatasetError).

    Examples without an id get `example-N` (N counts records from 1).
    """
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DatasetError(
            f"{path}: unknown dataset format {path.suffix or '(no suffix)'!r}; use .jsonl, .json "
            "or .csv"
        )
    keyed = bool(input_keys or output_keys or metadata_keys or example_id_key)
    if kind != "csv" and keyed:
        raise DatasetError(
            f"{path}: column keys only apply to a CSV file; JSON records already have `input`, "
            "`output` and `metadata`"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read: {exc}") from None
    if kind == "jsonl":
        records = list(_jsonl_records(path, text))
    elif kind == "json":
        records = list(_json_records(path, text))
    else:
        return _unique(
            path,
            _csv_examples(path, text, input_keys, output_keys, metadata_keys, example_id_key),
        )
    return _unique(
        path, (_example(where, record, n) for n, (where, record) in enumerate(records, start=1))
    )


# --------------------------------------------------------------------------------------------
# JSON and JSONL


def _jsonl_records(path: Path, text: str) -> Iterable[tuple[str, object]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from None


def _json_records(path: Path, text: str) -> Iterable[tuple[str, object]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("examples"), list):
        data = data["examples"]
    if not isinstance(data, list):
        raise DatasetError(
            f'{path}: expected a list of examples or {{"examples": [...]}}, not a '
            f"{_json_type(data)}"
        )
    for index, record in enumerate(data):
        yield f"{path}: example [{index}]", record


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _example(where: str, record: object, number: int) -> Example:
    if not isinstance(record, dict):
        raise DatasetError(
            f"{where}: an example is an object with `input` and `output`, not a "
            f"{_json_type(record)}"
        )
    for field in ("input", "output"):
        if field not in record:
            raise DatasetError(f"{where}: missing `{field}` (Phoenix requires it)")
    for field in ("input", "output", "metadata"):
        value = record.get(field, {})
        if not isinstance(value, dict):
            raise DatasetError(
                f"{where}: `{field}` must be a JSON object, not a {_json_type(value)} (Phoenix "
                f'stores a dict; wrap it, e.g. {{"{field}": ...}})'
            )
    example: Example = {
        "id": _example_id(record.get("id"), number),
        "input": record["input"],
        "output": record["output"],
        "metadata": record.get("metadata", {}),
    }
    if record.get("updated_at") is not None:
        example["updated_at"] = record["updated_at"]
    return example


def _example_id(value: object, number: int) -> str:
    if value is None or value == "":
        return f"example-{number}"
    return str(value)


def _unique(path: Path, examples: Iterable[Example]) -> list[Example]:
    out: list[Example] = []
    seen: dict[str, int] = {}
    for number, example in enumerate(examples, start=1):
        first = seen.setdefault(example["id"], number)
        if first != number:
            raise DatasetError(
                f"{path}: duplicate example id {example['id']!r} (examples {first} and {number})"
            )
        out.append(example)
    return out


# --------------------------------------------------------------------------------------------
# CSV


def infer_csv_keys(
    headers: Sequence[str],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Phoenix's client inference when no keys are given: (input, output, metadata) columns."""
    for index, header in enumerate(headers):
        if _CSV_OUTPUT_COLUMN.search(header):
            return tuple(headers[:index]), (header,), tuple(headers[index + 1 :])
    return tuple(headers), (), ()


def _csv_examples(
    path: Path,
    text: str,
    input_keys: Sequence[str],
    output_keys: Sequence[str],
    metadata_keys: Sequence[str],
    example_id_key: str | None,
) -> Iterable[Example]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise DatasetError(f"{path}: empty CSV file (no column header)") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}:1: invalid CSV: {exc}") from None
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise DatasetError(f"{path}: duplicate column headers: {', '.join(duplicates)}")
    if not (input_keys or output_keys or metadata_keys):
        inferred = infer_csv_keys([h for h in headers if h != example_id_key])
        input_keys, output_keys, metadata_keys = inferred
    groups = {"input": input_keys, "output": output_keys, "metadata": metadata_keys}
    named = dict(groups, id=(example_id_key,) if example_id_key else ())
    for left, right in (("input", "output"), ("input", "metadata"), ("output", "metadata")):
        overlap = sorted(set(named[left]) & set(named[right]))
        if overlap:
            raise DatasetError(f"{path}: {left} and {right} keys overlap: {', '.join(overlap)}")
    if example_id_key:
        for group, keys in groups.items():
            if example_id_key in keys:
                raise DatasetError(
                    f"{path}: the example id key {example_id_key!r} is also a {group} key"
                )
    missing = sorted({key for keys in named.values() for key in keys} - set(headers))
    if missing:
        raise DatasetError(
            f"{path}: keys not found in the CSV columns: {', '.join(missing)} (columns: "
            f"{', '.join(headers)})"
        )
    position = {header: i for i, header in enumerate(headers)}
    rows = 0
    try:
        for row in reader:
            if not row:
                continue
            rows += 1
            line_no = reader.line_num
            if len(row) != len(headers):
                raise DatasetError(f"{path}:{line_no}: {len(row)} cells for {len(headers)} columns")
            example: Example = {
                "id": _example_id(row[position[example_id_key]] if example_id_key else None, rows),
            }
            for group, keys in groups.items():
                example[group] = {key: row[position[key]] for key in keys}
            yield example
    except csv.Error as exc:
        raise DatasetError(f"{path}:{reader.line_num}: invalid CSV: {exc}") from None
    if rows == 0:
        raise DatasetError(f"{path}: the CSV file has no data rows")
