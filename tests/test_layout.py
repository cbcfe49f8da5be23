"""The floor plan holds: the engine never imports the measuring equipment, HTTP lives only in index/fetch (and the
bench's own client), no module imports in a cycle, and an installed (not editable) copy carries every subpackage."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("index", "service")
MEASURING = ("index.evaluation", "index.bench")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules a file imports anywhere in it (inside functions too), by their full names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def test_the_engine_and_the_service_never_import_evaluation_or_bench_code():
    modules = project_modules()
    offenders = [
        f"{name} imports {target}"
        for name, path in modules.items()
        if not name.startswith(MEASURING)
        for target in imports_of(path, modules)
        if target.startswith(MEASURING)
    ]
    assert not offenders, offenders


def test_http_lives_only_in_index_fetch():
    """The engine's top, its readers and its model code fetch nothing themselves: a feed URL is fetched by
    index/fetch (http and https only, a timeout, a size limit), which they call."""
    engine = [p for p in (ROOT / "index").glob("*.py")] + list((ROOT / "index" / "ingest").glob("*.py"))
    engine += list((ROOT / "index" / "model").glob("*.py"))
    for path in engine:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not names & {"http.client", "urllib.request", "flask", "requests"}, path


def test_no_module_imports_in_a_cycle():
    modules = project_modules()
    # A package's __init__ re-exporting its modules is not a cycle of the code: leave the re-exports out.
    graph = {
        name: {t for t in imports_of(path, modules) if not (path.name == "__init__.py" and t.startswith(name + "."))}
        for name, path in modules.items()
    }
    graph = {
        name: {t for t in targets if t != name and not name.startswith(t + ".")} for name, targets in graph.items()
    }
    visiting, done, cycles = set(), set(), []

    def visit(name: str, trail: list[str]) -> None:
        if name in done:
            return
        if name in visiting:
            cycles.append(" -> ".join([*trail[trail.index(name) :], name]))
            return
        visiting.add(name)
        for target in sorted(graph.get(name, ())):
            visit(target, [*trail, name])
        visiting.discard(name)
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert not cycles, cycles


def test_an_installed_copy_imports_every_subpackage(tmp_path: Path):
    """pyproject's package list names every subpackage: a wheel installed without the source tree imports them."""
    # From a copy of the sources: setuptools writes build/ and *.egg-info into the folder it builds.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", target, source],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    packages = sorted({module_name(p.parent / "__init__.py") for p in ROOT.glob("index/**/*.py")} | {"service"})
    code = (
        "import importlib, sys\n"
        f"for name in {packages!r}:\n"
        "    module = importlib.import_module(name)\n"
        f"    assert module.__file__.startswith({str(target)!r}), (name, module.__file__)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
