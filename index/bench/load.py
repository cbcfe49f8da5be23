"""A soak test through the production server: concurrent clients for a while, with and without a mid-run publish."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.bench.server import RunningServer, production_server, search_path
from index.build import build
from index.evaluation.beir import load_beir


def soak(server: RunningServer, queries: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """Every request's latency and every failure (a non-200 or a broken connection) from `clients` clients."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        connection = server.connection()
        position = number * 7
        while time.perf_counter() < deadline:
            path = search_path(queries[position % len(queries)])
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(f"{response.status} {path}")
            except (OSError, http.client.HTTPException) as exc:
                failures.append(f"{type(exc).__name__} {path}")
                connection.close()
                connection = server.connection()
            latencies[number].append(1000 * (time.perf_counter() - started))
            position += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = np.concatenate([np.array(t) for t in latencies if t]) if any(latencies) else np.zeros(1)
    return {
        "requests": len(times),
        "errors": len(failures),
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
        "qps": round(len(times) / seconds, 1),
        "first_errors": failures[:5],
    }


def load_study(
    beir_dir: Path,
    work_dir: Path,
    clients: int = 16,
    seconds: float = 60.0,
    max_posts: int | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Two soaks of the same length: one steady, one during which a new version is built and published."""
    dataset = load_beir(beir_dir)
    posts = dataset.posts[:max_posts]
    queries = list(dataset.queries.values())
    root = work_dir / "index"
    say(f"building {len(posts)} posts of {dataset.name} into {root} ...")
    first = build(posts, root)
    result: dict[str, Any] = {"dataset": dataset.name, "posts": len(posts), "clients": clients, "seconds": seconds}
    with production_server(root, work_dir / "server.log") as server:
        say(f"{clients} clients for {seconds:.0f} s ...")
        result["steady"] = soak(server, queries, clients, seconds)
        started = time.perf_counter()
        publisher = threading.Thread(target=_publish, args=(posts, root, started, result))
        say(f"{clients} clients for {seconds:.0f} s while a new version is built and published ...")
        publisher.start()
        result["with_publish"] = soak(server, queries, clients, seconds)
        publisher.join()
        result["served_after"], result["switched_after_s"] = _wait_for(server, result["published_version"], started)
    result["first_version"] = first.version
    return result


def _publish(posts: list, root: Path, started: float, result: dict[str, Any]) -> None:
    # Same posts, so every embedding comes from the cache: the build's cost is the rest of the pipeline.
    result["published_version"] = build(posts, root).version
    result["published_after_s"] = round(time.perf_counter() - started, 1)


def _wait_for(server: RunningServer, version: str, started: float, within_s: float = 120.0) -> tuple[str, float]:
    """The version /readyz reports once it is the new one (or the old one after `within_s`), and when that was."""
    served = _served_version(server)
    while served != version and time.perf_counter() - started < within_s:
        time.sleep(0.2)
        served = _served_version(server)
    return served, round(time.perf_counter() - started, 1)


def _served_version(server: RunningServer) -> str:
    import json

    connection = server.connection()
    connection.request("GET", "/readyz")
    version = json.loads(connection.getresponse().read())["version"]
    connection.close()
    return version
