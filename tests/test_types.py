"""The type checker `make lint` runs is strict enough to catch a wrong argument type in the public API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_mypy_catches_a_wrong_argument_type_in_the_public_api(tmp_path: Path):
    caller = tmp_path / "caller.py"
    caller.write_text(
        "from index import Index\n\n\ndef find(index: Index) -> None:\n    index.search('a query, not a request')\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(caller)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'Argument 1 to "search" of "Index" has incompatible type "str"' in done.stdout, done.stdout
