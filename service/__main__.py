"""`python -m service`: the production server (gunicorn), after checking that the index can be served."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from gunicorn.app.base import BaseApplication

from index import Index, SearchError
from service.config import ENV_PREFIX, SettingError, load_config, parse
from service.reload import install_sighup_in_worker
from service.worker import REQUEST_LINE_LIMIT

if TYPE_CHECKING:
    from flask import Flask

# Connections each worker holds open at once (gevent's worker_connections): slow and idle ones cost a greenlet each.
DEFAULT_CONNECTIONS = 1000


class Server(BaseApplication):
    """gunicorn with the app built inside each worker, so each loads the index once on its own."""

    def __init__(self, options: dict, index_dir: str) -> None:
        self.options = options
        self.index_dir = index_dir
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from index.vectors import use_one_thread_per_request
        from service.app import create_app

        # Concurrency comes from workers and threads; a request that also fanned out would oversubscribe the cores.
        use_one_thread_per_request()
        return create_app({"INDEX_DIR": self.index_dir}, wait_for_index=True)


def forget_worker_metrics(server: object, worker: object) -> None:
    """A dead worker's live gauges must not linger in the multi-process metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def exit_without_finalising(server: object, worker: object) -> None:
    """End a worker as a forked child should: write its buffered analytics rows, flush the logs, then leave without
    tearing down the native libraries.

    Interpreter shutdown in a forked worker ran a native library's destructor that aborted ("terminate called
    after throwing std::system_error"), and a stuck sibling then held a graceful stop for the whole 30 s timeout.
    """
    query_log = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("query_log")
    if query_log is not None:
        query_log.flush()  # the last second's rows, written before the worker goes
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def default_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def checked_in_child(index_dir: Path) -> tuple[bool, str]:
    """(True, version) when the index opens, else (False, why); opened in a forked child that then exits.

    The master only forks workers: whatever the check loads (posts, model, index) must not stay in its memory.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: open, report, and leave without running the parent's clean-up
        os.close(read_end)
        try:
            report = "ok " + Index.open(index_dir).version
        except SearchError as exc:
            report = f"error {exc}"
        except BaseException as exc:  # whatever it was, the parent must hear of it
            report = f"error {type(exc).__name__}: {exc}"
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(report.encode("utf-8"))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode("utf-8", "replace")
    os.waitpid(pid, 0)
    status, _, detail = report.partition(" ")
    return status == "ok", detail or "the index check stopped without a report"


def server_setting(name: str, default: int) -> int:
    """BLOG_SEARCH_WORKERS or _CONNECTIONS: a whole number of at least 1, else SettingError."""
    value = parse(name, os.environ.get(ENV_PREFIX + name, str(default)), default)
    if value < 1:
        raise SettingError(name, value, "a whole number, at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument("--index", default=None, help="the index folder (default: BLOG_SEARCH_INDEX_DIR or var/index)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, help="processes (default: BLOG_SEARCH_WORKERS, else one per core)")
    parser.add_argument("--connections", type=int, help="open connections per worker (default: 1000)")
    args = parser.parse_args(argv)
    if (args.workers is not None and args.workers < 1) or (args.connections is not None and args.connections < 1):
        parser.error("--workers and --connections take a whole number of at least 1")
    # Every setting is checked here, before anything binds: a bad one stops the server with its name, instead of
    # letting every worker fail on it (and be restarted, and fail again).
    try:
        workers = args.workers or server_setting("WORKERS", default_workers())
        connections = args.connections or server_setting("CONNECTIONS", DEFAULT_CONNECTIONS)
        config = load_config({"INDEX_DIR": args.index} if args.index else None)
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.index = config["INDEX_DIR"]
    # The same full open each worker will do, so a bad index stops here with its message, before any worker starts.
    ok, version = checked_in_child(Path(args.index))
    if not ok:
        print(f"error: cannot serve {args.index}: {version}", file=sys.stderr)
        return 2
    print(f"serving index version {version} from {args.index}", flush=True)
    # Workers record metrics in files here, so /metrics adds up all workers whichever one is scraped.
    made = None
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="blog-search-metrics-")
    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": workers,
        # A slow client (one header byte a second) held a gthread worker's thread for as long as it liked: 16 of
        # them stalled every search. gevent gives each connection a greenlet, and searches run one at a time per
        # worker, as they did in effect on one core each.
        "worker_class": "service.worker.SearchWorker",
        "worker_connections": connections,
        # Long enough for a query of MAX_QUERY_CHARS characters percent-encoded (gunicorn reads no more than this).
        "limit_request_line": REQUEST_LINE_LIMIT,
        "timeout": 60,
        # The app writes one structured line per request (service/observability.py); gunicorn's would repeat it.
        "accesslog": None,
        "child_exit": forget_worker_metrics,
        "worker_exit": exit_without_finalising,
        # gunicorn's control socket is one path per user shared by every server, and its thread in the master
        # left workers that failed to boot hanging instead of letting gunicorn stop with the error.
        "control_socket_disable": True,
        # gunicorn makes SIGHUP kill a worker; this makes a worker reload the index instead.
        "post_worker_init": install_sighup_in_worker,
    }
    try:
        Server(options, args.index).run()
    finally:  # gunicorn leaves by SystemExit; a folder this process made goes with it, not left behind in /tmp
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
