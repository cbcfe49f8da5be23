"""Measure the production server from outside: time to ready, HTTP latency, throughput under load, and memory."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

READY_TIMEOUT_S = 120
ROOT = Path(__file__).resolve().parents[2]


class RunningServer:
    """`python -m service` in a subprocess, with the seconds it took to answer /readyz."""

    def __init__(self, process: subprocess.Popen, port: int, ready_s: float) -> None:
        self.process = process
        self.port = port
        self.ready_s = ready_s

    def memory_mb(self) -> dict[str, float]:
        """Resident memory of the master and workers together and of the largest one; and their proportional share.

        RSS counts pages the processes share (libraries, the memory-mapped index) once per process; PSS splits them.
        """
        pids = process_tree(self.process.pid)
        rss = [_kb(Path(f"/proc/{pid}/status"), "VmRSS:") for pid in pids]
        pss = [_kb(Path(f"/proc/{pid}/smaps_rollup"), "Pss:") for pid in pids]
        return {
            "serve_rss_mb": round(sum(rss) / 1024, 1),
            "serve_rss_largest_process_mb": round(max(rss) / 1024, 1),
            "serve_pss_mb": round(sum(pss) / 1024, 1),
        }

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)


@contextmanager
def production_server(
    index_dir: Path, log: Path, extra_args: tuple[str, ...] = (), settings: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """Start the server on a free port, wait until it is ready, and stop it on the way out."""
    port = free_port()
    started = time.perf_counter()
    with log.open("w") as output:
        command = [sys.executable, "-m", "service", "--index", str(index_dir), "--port", str(port), *extra_args]
        # A load test is one client sending hundreds of requests a second: the per-client rate limit is off.
        env = {**os.environ, "BLOG_SEARCH_RATE_LIMIT_PER_MINUTE": "0", **(settings or {})}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        ready_s = _wait_ready(process, port, started, log)
        yield RunningServer(process, port, ready_s)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def search_path(query: str, k: int = 10, extra: dict[str, str] | None = None) -> str:
    return "/api/search?" + urlencode({"q": query, "k": k, **(extra or {})})


def sequential_latencies_ms(
    server: RunningServer, queries: list[str], extra: dict[str, str] | None = None
) -> np.ndarray:
    """Wall time of each /api/search request (extra: more parameters), one after another on one keep-alive
    connection."""
    connection = server.connection()
    times = []
    for query in queries:
        started = time.perf_counter()
        _get(connection, search_path(query, extra=extra))
        times.append(1000 * (time.perf_counter() - started))
    connection.close()
    return np.array(times)


def throughput_qps(server: RunningServer, queries: list[str], clients: int, seconds: float) -> float:
    """Requests per second completed by `clients` concurrent keep-alive clients cycling through the queries."""
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        connection = server.connection()
        position = number * 7
        while time.perf_counter() < deadline:
            _get(connection, search_path(queries[position % len(queries)]))
            done[number] += 1
            position += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def _get(connection: http.client.HTTPConnection, path: str) -> bytes:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path} returned {response.status}: {body[:200]!r}")
    return body


def _wait_ready(process: subprocess.Popen, port: int, started: float, log: Path) -> float:
    while time.perf_counter() - started < READY_TIMEOUT_S:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.02)
    raise RuntimeError(f"the server was not ready after {READY_TIMEOUT_S} s; see {log}")


def process_tree(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            pending.extend(int(child) for child in children)
    return pids


def _kb(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0
