"""The service embeds queries without torch: checked in a fresh interpreter that serves real requests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from index.bench.server import process_tree, production_server, sequential_latencies_ms
from tests.conftest import ROOT

SERVE_AND_REPORT = """
import sys
from service import create_app
client = create_app({"INDEX_DIR": sys.argv[1]}).test_client()
for mode in ("hybrid", "dense", "bm25"):
    response = client.get("/api/search", query_string={"q": "leadership in the NHS", "mode": mode})
    assert response.status_code == 200 and response.get_json()["results"], response.get_data(as_text=True)
assert client.get("/readyz").status_code == 200
# torch embeds passages at build time only; bm25s (and the scipy it brings) builds the BM25 arrays the service reads.
print(sorted(m for m in ("torch", "transformers", "sentence_transformers", "bm25s", "scipy") if m in sys.modules))
"""


def test_the_service_serves_queries_without_importing_torch_or_bm25s(index_root: Path):
    done = subprocess.run(
        [sys.executable, "-c", SERVE_AND_REPORT, str(index_root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_production_workers_serve_without_torch(index_root: Path, tmp_path: Path):
    """Each gunicorn worker loads the index itself; none of them maps torch's library."""
    with production_server(index_root, tmp_path / "server.log", ("--workers", "2")) as server:
        latencies = sequential_latencies_ms(server, ["leadership in the NHS", "health equity"] * 4)
        workers = process_tree(server.process.pid)[1:]
        maps = [Path(f"/proc/{pid}/maps").read_text() for pid in workers]
    assert len(latencies) == 8
    assert len(workers) == 2
    assert not any("libtorch" in mapped for mapped in maps)
    assert all("onnxruntime" in mapped for mapped in maps)


def test_workers_stop_cleanly_on_sigterm(index_root: Path, tmp_path: Path):
    """A stop must not crash a worker in native teardown (it once aborted, and a sibling held the stop for 30 s)."""
    log = tmp_path / "server.log"
    with production_server(index_root, log, ("--workers", "2")) as server:
        sequential_latencies_ms(server, ["leadership in the NHS", "health equity"] * 4)
        master = server.process
    assert master.returncode == 0, "the master exited by itself on SIGTERM, not killed after the timeout"
    text = log.read_text()
    assert "Shutting down: Master" in text
    assert "terminate called" not in text and "SIGABRT" not in text and "SIGKILL" not in text
    assert text.count("Worker exiting") == 2
