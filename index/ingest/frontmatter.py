"""Front matter of markdown files as static-site generators write it: YAML (---), TOML (+++) or JSON ({ ... })."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import yaml

from index.errors import CorpusError

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """The front matter as a mapping ({} when there is none) and the body after it; a block that does not parse is
    a CorpusError naming the file's line."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0].strip()
    if first in ("---", "+++"):
        return _fenced(text, first, source)
    if text.startswith("{"):
        return _json(text, source)
    return {}, text


def _fenced(text: str, fence: str, source: str) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    end = next((n for n in range(1, len(lines)) if lines[n].strip() == fence), None)
    if end is None:
        raise CorpusError(source, 1, f"front matter opened with {fence} is never closed; end it with a line {fence}")
    block, body = "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    if fence == "---":
        try:
            data = yaml.safe_load(block)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            # The mark counts from 0 within the block, which starts on the file's second line.
            line = mark.line + 2 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
            raise CorpusError(source, line, f"YAML front matter does not parse ({problem}); fix the YAML") from None
    else:
        try:
            data = tomllib.loads(block)
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_POSITION.search(str(exc))
            line = int(found.group(1)) + 1 if found else 1
            problem = _TOML_POSITION.sub("", str(exc)).strip()
            raise CorpusError(source, line, f"TOML front matter does not parse ({problem}); fix the TOML") from None
    return _mapping(data, source, "YAML" if fence == "---" else "TOML"), body


def _json(text: str, source: str) -> tuple[dict[str, Any], str]:
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(
            source, exc.lineno, f"JSON front matter does not parse ({exc.msg} at column {exc.colno}); fix the JSON"
        ) from None
    return _mapping(data, source, "JSON"), text[end:]


def _mapping(data: Any, source: str, kind: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CorpusError(
            source, 1, f"{kind} front matter must be a mapping of fields (title: ...), not a list or value"
        )
    return {str(key): value for key, value in data.items()}
