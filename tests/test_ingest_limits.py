"""The cap on a post's text: cut near the cap at a boundary, with a warning naming file and line or item, in every
reader; a 50 MB post is built in bounded memory; an absurdly long JSON Lines line is refused before parsing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index import CorpusError, read_sources, store
from index.ingest import options, records
from index.ingest.options import MAX_POST_CHARS, cut_text
from scripts import build_index
from tests.conftest import ROOT

SENTENCE = "Bees work the orchard from first light. "


@pytest.mark.parametrize(
    ("text", "cap", "expected"),
    [
        ("Short.", 100, "Short."),
        ("First paragraph.\n\nSecond paragraph is long.", 30, "First paragraph."),
        ("One sentence here. Two sentences here. Three", 40, "One sentence here. Two sentences here."),
        ("words without any stop at all", 12, "words"),
        ("x" * 50, 20, "x" * 20),
    ],
)
def test_cut_text_ends_at_a_paragraph_sentence_or_word_near_the_cap(text: str, cap: int, expected: str):
    assert cut_text(text, cap) == expected


def test_a_boundary_far_before_the_cap_is_not_used():
    text = "Start.\n\n" + "word " * 2_000
    cut = cut_text(text, 9_000)
    assert 9_000 - options.BOUNDARY_WINDOW <= len(cut) <= 9_000 and cut.endswith("word")


def test_every_reader_caps_the_text_with_a_warning_naming_where(tmp_path: Path):
    long = SENTENCE * 100  # 4,000 characters
    (tmp_path / "posts.jsonl").write_text(
        json.dumps({"id": "short", "text": "Short."}) + "\n" + json.dumps({"id": "long", "text": long}) + "\n"
    )
    (tmp_path / "posts.csv").write_text(f'id,text\ncsv-long,"{long}"\n', encoding="utf-8")
    (tmp_path / "feed.rss").write_text(
        f'<rss version="2.0"><channel><title>T</title><item><title>Long</title><link>https://f.example/long</link>'
        f"<description>{long}</description></item></channel></rss>",
        encoding="utf-8",
    )
    report = read_sources([tmp_path], max_post_chars=1_000)
    texts = {post.id: post.text for post in report.posts}
    assert texts["short"] == "Short."
    for post in report.posts:
        if post.id != "short":
            assert 1_000 - len(SENTENCE) < len(post.text) <= 1_000 and post.text.endswith("first light.")
    assert sorted(report.warnings) == sorted(
        [
            f"{tmp_path / 'feed.rss'} (entry 1 'Long'): text of 3,999 characters cut to 999 (posts are capped at "
            "1,000 characters; --max-post-chars sets the cap)",
            f"{tmp_path / 'posts.csv'}:2: text of 4,000 characters cut to 999 (posts are capped at 1,000 characters; "
            "--max-post-chars sets the cap)",
            f"{tmp_path / 'posts.jsonl'}:2: text of 4,000 characters cut to 999 (posts are capped at 1,000 characters; "
            "--max-post-chars sets the cap)",
        ]
    )


def test_a_csv_post_longer_than_the_csv_modules_field_limit_is_read(tmp_path: Path):
    path = tmp_path / "big.csv"
    path.write_text(f'title,text\nBig,"{SENTENCE * 5_000}"\n', encoding="utf-8")
    (post,) = read_sources([path]).posts
    assert len(post.text) == len(SENTENCE * 5_000) - 1


def test_an_absurdly_long_jsonl_line_is_refused_naming_file_and_line(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 1_000)
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"text": "ok"}) + "\n" + json.dumps({"text": "x" * 2_000}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"huge\.jsonl:2: line longer than 1,000 bytes") as caught:
        read_sources([path])
    assert caught.value.line == 2


def test_max_post_chars_must_be_a_positive_number(capsys):
    assert MAX_POST_CHARS == 1_000_000
    for bad in ("0", "-5", "lots"):
        with pytest.raises(SystemExit):
            build_index.main(["--max-post-chars", bad])
        assert "--max-post-chars" in capsys.readouterr().err


# Runs the build in a child of a child, so RUSAGE_CHILDREN is the build's own peak, not that of other tests' children.
MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=600)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print("peak_rss_kb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""


def measured_build(*args: str) -> tuple[subprocess.CompletedProcess, int]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-c", MEASURE, sys.executable, "scripts/build_index.py", *args, "--quiet"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    peak = int(done.stdout.rsplit("peak_rss_kb", 1)[1])
    return done, peak * 1024


def test_a_50_mb_post_is_built_capped_in_bounded_memory(tmp_path: Path):
    out = tmp_path / "index"
    normal = tmp_path / "normal.jsonl"
    normal.write_text(json.dumps({"id": "normal", "title": "Bees", "text": SENTENCE}) + "\n", encoding="utf-8")
    # The first build exports the model into out's cache (torch loaded: that build's peak is the export's).
    warm, _ = measured_build(str(normal), "--out", str(out))
    assert warm.returncode == 0, warm.stderr
    # A normal build with the model cached, for the bound's baseline.
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"id": "more", "title": "Kites", "text": "Kites fly over the hill."}) + "\n")
    baseline, baseline_peak = measured_build(str(normal), str(more), "--out", str(out))
    assert baseline.returncode == 0, baseline.stderr

    huge = tmp_path / "huge.jsonl"
    paragraph = SENTENCE * 25 + "\n\n"  # about 1 KB
    with huge.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "huge", "title": "Huge", "text": paragraph * 50_000}) + "\n")
        handle.write(json.dumps({"id": "normal", "title": "Bees", "text": SENTENCE}) + "\n")
    assert huge.stat().st_size > 50_000_000
    done, peak = measured_build(str(huge), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"warning: {huge}:1: text of {len(paragraph * 50_000):,} characters cut to" in done.stderr
    stored = (store.current_version(out) / store.POSTS_FILE).read_text(encoding="utf-8").splitlines()
    posts = {post["id"]: post for post in map(json.loads, stored)}
    assert set(posts) == {"huge", "normal"}
    assert MAX_POST_CHARS - options.BOUNDARY_WINDOW <= len(posts["huge"]["text"]) <= MAX_POST_CHARS
    print(f"peak RSS: normal build {baseline_peak / 2**20:.0f} MiB, with the 50 MB post {peak / 2**20:.0f} MiB")
    # Reading the 50 MB line holds it about three times over; the build of the capped post adds little.
    assert peak < baseline_peak + 600 * 2**20
    assert peak < 1.5 * 2**30
