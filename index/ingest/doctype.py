"""The DOCTYPE an XML corpus file may carry: internal entities with short plain values, and nothing that could
read another file or expand without bound (external, parameter and nested entities are refused)."""

from __future__ import annotations

import re
from pathlib import Path
from xml.parsers import expat

from index.errors import CorpusError
from index.ingest.sniff import HEAD_BYTES

# Enough for the entities feeds declare (&nbsp; is "&#160;"); a long value referenced many times is a bomb too.
MAX_ENTITY_CHARS = 100
# One item of the prologue: a declaration, a processing instruction, a comment or (group 1) a DOCTYPE.
_PROLOGUE_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|(<!DOCTYPE))", re.DOTALL | re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"
# An entity value may use the predefined entities and character references; any other reference nests entities.
_NESTED = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);|#)")


class _RootReached(Exception):
    """Raised from the start-element handler: everything a DOCTYPE declares has been seen."""


def has_doctype(head: bytes) -> bool:
    """Whether a DOCTYPE comes before the first element (a "<!DOCTYPE" in the content is text, not one)."""
    position = len(_BOM) if head.startswith(_BOM) else 0
    while item := _PROLOGUE_ITEM.match(head, position):
        if item.group(1):
            return True
        position = item.end()
    return False


def internal_entities(path: Path) -> dict[str, str]:
    """The internal entities the file's DOCTYPE declares (name to replacement text); a declaration that is refused
    is a CorpusError. Without a DOCTYPE nothing is parsed (feedparser reads encodings expat does not)."""
    with path.open("rb") as handle:
        return entities_in(handle.read(HEAD_BYTES), str(path))


def entities_in(document: bytes, source: str) -> dict[str, str]:
    """internal_entities of a document held in memory (a fetched feed), named `source` in messages."""
    head = document[:HEAD_BYTES]
    if not has_doctype(head):
        return {}
    entities: dict[str, str] = {}
    parser = expat.ParserCreate()

    def declared(
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        line = parser.CurrentLineNumber
        if system_id or public_id:
            target = f"PUBLIC {public_id!r}" if public_id else f"SYSTEM {system_id!r}"
            raise CorpusError(
                source,
                line,
                f"entity {name!r} is external ({target}); a corpus file must not point at other "
                "files or URLs, and none is ever read: remove the declaration",
            )
        if is_parameter:
            raise CorpusError(source, line, f"parameter entity %{name}; is refused: remove it from the DOCTYPE")
        value = value or ""
        if _NESTED.search(value):
            raise CorpusError(
                source,
                line,
                f"entity {name!r} refers to other entities ({value[:40]!r}); nested entities are how "
                "expansion bombs are built: give each entity a plain value such as &#160;",
            )
        if len(value) > MAX_ENTITY_CHARS:
            raise CorpusError(
                source,
                line,
                f"entity {name!r} is {len(value):,} characters long; entities of up to "
                f"{MAX_ENTITY_CHARS} characters are read (a long one repeated is an expansion bomb): shorten it",
            )
        entities[name] = value

    def started(name: str, attributes: dict[str, str]) -> None:
        raise _RootReached

    parser.EntityDeclHandler = declared
    parser.StartElementHandler = started
    try:
        parser.Parse(head, len(head) < HEAD_BYTES)
    except _RootReached:
        return entities
    except expat.ExpatError as exc:
        raise CorpusError(source, exc.lineno, f"not well-formed XML ({expat.errors.messages[exc.code]})") from None
    raise CorpusError(source, None, f"no root element in the first {HEAD_BYTES:,} bytes; is this XML?")
