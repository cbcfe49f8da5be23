"""What the query log costs a search: the production server with analytics on and off, side by side in one run."""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.bench.server import production_server, sequential_latencies_ms


def analytics_cost(
    index_dir: Path, questions_file: Path, rounds: int = 6, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """p50 of /api/search over HTTP (one keep-alive client, one worker each) with BLOG_SEARCH_ANALYTICS on and off;
    the two servers run at once and take turns, round by round, so the machine's noise falls on both."""
    with questions_file.open(encoding="utf-8") as handle:
        queries = [json.loads(line)["q"] for line in handle if line.strip()]
    times: dict[str, list[np.ndarray]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as work:
        folder = Path(work)
        on_settings = {"BLOG_SEARCH_ANALYTICS": "true", "BLOG_SEARCH_ANALYTICS_PATH": str(folder / "a.sqlite3")}
        with (
            production_server(index_dir, folder / "on.log", ("--workers", "1"), on_settings) as on,
            production_server(
                index_dir, folder / "off.log", ("--workers", "1"), {"BLOG_SEARCH_ANALYTICS": "false"}
            ) as off,
        ):
            for server in (on, off):
                sequential_latencies_ms(server, queries[:20])
            for number in range(rounds):
                order = [("on", on), ("off", off)] if number % 2 else [("off", off), ("on", on)]
                for name, server in order:
                    times[name].append(sequential_latencies_ms(server, queries))
                say(f"round {number + 1} of {rounds}")
    result: dict[str, Any] = {"index": str(index_dir), "queries": len(queries), "rounds": rounds}
    for name, runs in times.items():
        result[f"analytics_{name}_p50_ms"] = round(float(np.median(np.concatenate(runs))), 3)
        result[f"analytics_{name}_round_p50s_ms"] = [round(float(statistics.median(run)), 3) for run in runs]
    result["p50_ratio"] = round(result["analytics_on_p50_ms"] / result["analytics_off_p50_ms"], 3)
    return result
