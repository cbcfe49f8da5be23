"""A version serves only what its manifest checks: every file the reader opens listed, no unlisted file in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index import Index, IndexFormatError, store
from index.store import EXTERNAL_DATA_SUFFIX, ONNX_FILE, QUERY_FILE, SCAN_FILE, SENTENCES_FILE
from tests.conftest import ROOT

# Every file a build writes into a version: what the reader needs always, then what it reads where a version has it.
BUILT_FILES = [
    *store.REQUIRED_FILES,
    QUERY_FILE,
    QUERY_FILE + EXTERNAL_DATA_SUFFIX,
    ONNX_FILE,
    SCAN_FILE,
    SENTENCES_FILE,
]


def copy_version(index_root: Path, root: Path) -> Path:
    """root/<version> as a copy of index_root's current version (data files hard-linked, the manifest copied so it
    can be edited), and root/current pointing at it."""
    source = store.current_version(index_root)
    folder = root / source.name
    shutil.copytree(source, folder, copy_function=os.link, ignore=shutil.ignore_patterns(store.MANIFEST))
    shutil.copyfile(source / store.MANIFEST, folder / store.MANIFEST)
    store.point_current(root, source.name)
    return folder


def drop_from_manifest(folder: Path, name: str) -> None:
    manifest = json.loads((folder / store.MANIFEST).read_text(encoding="utf-8"))
    del manifest["files"][name]
    (folder / store.MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def test_a_build_lists_exactly_the_files_it_writes(index_root: Path):
    folder = store.current_version(index_root)
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {store.MANIFEST}
    assert set(store.verify(folder).files) == on_disk == set(BUILT_FILES), "a new file needs its place in BUILT_FILES"


@pytest.mark.parametrize("name", BUILT_FILES)
def test_a_file_left_out_of_the_manifest_is_refused(tmp_path: Path, index_root: Path, encoder, name: str):
    folder = copy_version(index_root, tmp_path)
    drop_from_manifest(folder, name)
    with pytest.raises(IndexFormatError, match="rebuild the index") as refused:
        Index.open(tmp_path, encoder=encoder)
    assert name in str(refused.value) and "tampered" in str(refused.value)


@pytest.mark.parametrize("name", store.REQUIRED_FILES)
def test_a_required_file_gone_with_its_manifest_entry_is_refused(tmp_path: Path, index_root: Path, encoder, name):
    folder = copy_version(index_root, tmp_path)
    drop_from_manifest(folder, name)
    (folder / name).unlink()
    with pytest.raises(IndexFormatError, match="incomplete .* rebuild the index") as refused:
        Index.open(tmp_path, encoder=encoder)
    assert name in str(refused.value)


@pytest.mark.parametrize("stray", ["posts.jsonl~", ".posts.jsonl.swp", "notes.txt", "lexical/vocab.index.json.orig"])
def test_a_stray_file_in_a_version_is_refused(tmp_path: Path, index_root: Path, encoder, stray: str):
    """An editor's backup or any other file the build did not write: refused, so nothing unchecked is ever read."""
    folder = copy_version(index_root, tmp_path)
    (folder / stray).write_text("left behind\n", encoding="utf-8")
    with pytest.raises(IndexFormatError, match="delete the file, or rebuild the index") as refused:
        Index.open(tmp_path, encoder=encoder)
    assert str(folder / stray) in str(refused.value)


def test_an_edited_posts_file_whose_entry_was_dropped_is_refused_and_not_served(tmp_path: Path, index_root: Path):
    folder = copy_version(index_root, tmp_path)
    posts = folder / store.POSTS_FILE
    edited = posts.read_text(encoding="utf-8").replace('"title": "', '"title": "EDITED ', 1)
    assert edited != posts.read_text(encoding="utf-8")
    posts.unlink()  # a hard link: the session's own index keeps its file
    posts.write_text(edited, encoding="utf-8")
    drop_from_manifest(folder, store.POSTS_FILE)
    with pytest.raises(IndexFormatError, match="posts.jsonl"):
        store.verify_current(tmp_path)

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service", "--index", str(tmp_path), "--port", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the service started serving a version whose posts.jsonl its manifest does not check")
    assert done.returncode == 2, done.stdout + done.stderr
    line = done.stderr.strip()
    assert line.startswith("error: cannot serve") and "posts.jsonl" in line and "rebuild" in line
