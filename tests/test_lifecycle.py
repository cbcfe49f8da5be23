"""Index lifecycle: incremental rebuilds, retention, rollback, and builds that die (SIGKILL) or run out of disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from index import BuildSettings, Index, Post, SearchRequest, build, store
from index.errors import StorageError
from scripts import build_index
from tests.conftest import ROOT

LONG = " ".join(f"Sentence {n} of the long post is about ward rounds, rotas and who covers nights." for n in range(60))


def small_corpus(count: int = 5) -> list[Post]:
    posts = [Post(id="long", title="A long post", text=LONG)]
    posts += [
        Post(id=f"p{n}", title=f"Post {n}", text=f"Short post {n} about handovers on ward {n}.") for n in range(count)
    ]
    return posts


def test_changing_one_post_reembeds_only_its_passages(tmp_path: Path, encoder):
    posts = small_corpus()
    first = build(posts, tmp_path, encoder=encoder)
    long_passages = sum(1 for p in Index.open(tmp_path, encoder=encoder).passages if p.post_id == "long")
    assert long_passages > 1 and (first.embedded, first.reused) == (first.passages, 0)

    changed = [*posts[:-1], replace(posts[-1], text="Short post 4, rewritten: handovers now happen at 8.")]
    second = build(changed, tmp_path, encoder=encoder)
    assert (second.embedded, second.reused) == (1, second.passages - 1)
    assert "1 embedded" in second.describe() and f"{second.passages - 1} reused" in second.describe()


def test_last_n_versions_are_kept_and_rollback_goes_to_the_previous(tmp_path: Path, encoder, capsys):
    built = [
        build(small_corpus(n), tmp_path, encoder=encoder, settings=BuildSettings(keep_versions=3)) for n in (1, 2, 3, 4)
    ]
    assert [v.name for v in store.versions(tmp_path)] == [b.version for b in built[1:]]

    assert build_index.main(["--rollback", "--out", str(tmp_path)]) == 0
    assert f"current is now {built[2].version} (was {built[3].version})" in capsys.readouterr().out
    assert store.current_version(tmp_path).name == built[2].version
    assert Index.open(tmp_path, encoder=encoder).manifest.posts == 4

    # A corrupt older version is passed over, not served.
    (store.versions(tmp_path)[0] / "posts.jsonl").write_text("damaged", encoding="utf-8")
    assert build_index.main(["--rollback", "--out", str(tmp_path)]) == 2
    assert "no intact version older than" in capsys.readouterr().err
    assert store.current_version(tmp_path).name == built[2].version

    # The version being served is never pruned, even when it is not among the newest.
    newest = build(small_corpus(6), tmp_path, encoder=encoder, settings=BuildSettings(keep_versions=1))
    assert {v.name for v in store.versions(tmp_path)} == {newest.version}


KILL_AT = {
    # after the posts and passages files are written, while embedding
    "embedding": "HashEncoder.encode = die",
    # everything written and the manifest sealed, still in the hidden build folder
    "sealed": "seal = store.seal_version; store.seal_version = lambda *a: (seal(*a), die())",
    # the version renamed into place, `current` not yet repointed
    "renamed": "store.point_current = die",
    # the new pointer symlink made, not yet renamed over `current`
    "pointer": "os.replace = lambda src, dst: die() if '.current.' in str(src) else REPLACE(src, dst)",
}

DRIVER = """
import os, signal, sys
from pathlib import Path
import numpy as np
from index import build, store
from index.records import Post

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

class HashEncoder:
    # A stand-in model under its own key, so it never touches the real model's cache entries.
    model_id, weights_sha256, dimension = "test-hash", "test-hash-weights", 384
    def encode(self, texts, batch_size=32, progress=False):
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(384) for t in texts]
        return np.asarray(rows, dtype=np.float32)

REPLACE = os.replace
{patch}
posts = [Post(id=f"k{{n}}", title=None, text=f"Killed build post {{n}} about night shifts.") for n in range(50)]
build(posts, Path(sys.argv[1]), encoder=HashEncoder())
print("build finished without being killed")
"""


@pytest.mark.parametrize("point", list(KILL_AT))
def test_sigkill_during_a_build_leaves_the_served_index_and_the_next_build_works(tmp_path: Path, encoder, point):
    served = build(small_corpus(), tmp_path, encoder=encoder)
    driver = DRIVER.format(patch=KILL_AT[point])
    done = subprocess.run(
        [sys.executable, "-c", driver, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert store.current_version(tmp_path) == served.folder
    assert store.verify_current(tmp_path).version == served.version
    assert Index.open(tmp_path, encoder=encoder).search(SearchRequest("handovers", k=1))

    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith((store.BUILD_PREFIX, ".current."))]
    assert leftovers or point == "renamed", "the kill left something behind for the next build to clean"
    after = build(small_corpus(7), tmp_path, encoder=encoder)
    assert store.current_version(tmp_path) == after.folder
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((store.BUILD_PREFIX, ".current."))]


@pytest.fixture()
def small_disk(tmp_path: Path):
    """A real small tmpfs, so the kernel itself answers ENOSPC (mounting needs root, as in CI). Each version holds
    the ONNX model (about 90 MB, hard-linked from the build cache), hence 256 MiB."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path, leave: int) -> Path:
    """Take all the disk's free space but `leave` bytes, so the next large write fails part-way."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with filler.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, max(free - leave, 1))
    return filler


def test_a_full_disk_fails_the_build_clearly_and_publishes_nothing(small_disk: Path, encoder, capsys, monkeypatch):
    root = small_disk / "index"
    served = build(small_corpus(1), root, encoder=encoder)
    filler = fill(small_disk, leave=48 * 1024)
    many = [
        Post(id=f"m{n}", title=None, text=f"Post {n} on rota number {n} and its {n} night shifts.") for n in range(300)
    ]
    with pytest.raises(StorageError, match="no space left .* Nothing was published"):
        build(many, root, encoder=encoder)
    assert store.current_version(root) == served.folder
    assert store.verify_current(root).version == served.version
    assert not list(root.glob(store.BUILD_PREFIX + "*"))

    filler.unlink()
    jsonl = small_disk / "many.jsonl"
    jsonl.write_text(
        "\n".join(f'{{"title": "t{n}", "text": "{p.text}"}}' for n, p in enumerate(many)), encoding="utf-8"
    )
    fill(small_disk, leave=48 * 1024)
    monkeypatch.setattr(sys.modules["index.build"], "default_encoder", lambda root, runtime: encoder)
    assert build_index.main([str(jsonl), "--out", str(root), "--quiet"]) == 2
    assert "free disk space and build again" in capsys.readouterr().err
    assert store.current_version(root) == served.folder
