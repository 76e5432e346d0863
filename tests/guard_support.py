"""A local Phoenix for the guard's tests: a Dataset built from dicts, a client whose base URL is a
closed local port (a dry run of tasks sends nothing), and a client whose transport answers the
two dataset reads a dry-run evaluation makes (`evaluate_experiment` fetches the dataset even in
a dry run), recording every request."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
from phoenix.client import AsyncClient, Client
from phoenix.client.resources.datasets import Dataset

STAMP = "2024-01-01T00:00:00+00:00"
DATASET_INFO: dict[str, Any] = {
    "id": "ds-1",
    "name": "guard-tests",
    "description": None,
    "metadata": {},
    "created_at": STAMP,
    "updated_at": STAMP,
    "example_count": 3,
}
EXAMPLES: dict[str, Any] = {
    "dataset_id": "ds-1",
    "version_id": "v-1",
    "filtered_splits": [],
    "examples": [
        {
            "id": f"ex-{i}",
            "input": {"question": f"{i} + {i}"},
            "output": {"answer": str(2 * i)},
            "metadata": {"i": i},
            "updated_at": STAMP,
        }
        for i in range(3)
    ],
}
# the fields of a RanExperiment that are neither ids nor timestamps
TASK_RUN_FIELDS = ("dataset_example_id", "output", "repetition_number", "error")
EVALUATION_FIELDS = ("name", "annotator_kind", "result", "error")


def dataset() -> Dataset:
    return Dataset(DATASET_INFO, EXAMPLES)  # type: ignore[arg-type]


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Server:
    """Answers the dataset reads; records every request; anything else is a 404."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(f"{request.method} {path}")
        if path.endswith(f"/datasets/{DATASET_INFO['id']}"):
            return httpx.Response(200, content=json.dumps({"data": DATASET_INFO}))
        if path.endswith(f"/datasets/{DATASET_INFO['id']}/examples"):
            return httpx.Response(200, content=json.dumps({"data": EXAMPLES}))
        return httpx.Response(404, content=b"{}")

    def client(self) -> Client:
        transport = httpx.MockTransport(self)
        return Client(http_client=httpx.Client(transport=transport, base_url="http://phoenix"))

    def async_client(self) -> AsyncClient:
        transport = httpx.MockTransport(self)
        http = httpx.AsyncClient(transport=transport, base_url="http://phoenix")
        return AsyncClient(http_client=http)


def comparable(ran: Any) -> dict[str, Any]:
    """A RanExperiment without its ids, timestamps and trace ids, in a stable order."""
    runs = sorted(
        ({k: run.get(k) for k in TASK_RUN_FIELDS} for run in ran["task_runs"]),
        key=lambda r: r["dataset_example_id"],
    )
    example_of = {run["id"]: run["dataset_example_id"] for run in ran["task_runs"]}
    evaluations = sorted(
        (
            {"example": example_of.get(e.experiment_run_id)}
            | {k: getattr(e, k) for k in EVALUATION_FIELDS}
            for e in ran["evaluation_runs"]
        ),
        key=repr,
    )
    return {
        "dataset_id": ran["dataset_id"],
        "dataset_version_id": ran["dataset_version_id"],
        "experiment_metadata": ran["experiment_metadata"],
        "task_runs": runs,
        "evaluation_runs": evaluations,
    }
