"""The one JSON Lines reader: rows by line number, blank lines skipped, bad lines named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.jsonl import LineError, rows


def test_rows_come_with_their_line_numbers_and_blank_lines_are_skipped(tmp_path: Path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \r\n["b"]\r\n"c"')
    assert list(rows(path)) == [(1, {"a": 1}), (4, ["b"]), (5, "c")]


@pytest.mark.parametrize(
    ("content", "cause"),
    [(b'{"a": 1}\n{"a": \n', json.JSONDecodeError), (b'{"a": 1}\n"\xff"\n', UnicodeDecodeError)],
)
def test_a_bad_line_is_named_with_its_cause(tmp_path: Path, content: bytes, cause: type):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(content)
    with pytest.raises(LineError) as error:
        list(rows(path))
    assert error.value.line == 2 and isinstance(error.value.cause, cause)


def test_a_line_over_the_limit_is_refused_before_it_is_parsed(tmp_path: Path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'"short"\n"' + b"x" * 100 + b'"\n')
    assert list(rows(path, max_line_bytes=200)) == [(1, "short"), (2, "x" * 100)]
    with pytest.raises(LineError) as error:
        list(rows(path, max_line_bytes=50))
    assert error.value.line == 2 and error.value.cause is None
