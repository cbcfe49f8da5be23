"""What an XML corpus file is, told from its root element and the namespaces that element declares."""

from __future__ import annotations

import re
from pathlib import Path

# The root comes after the prologue (declarations, comments, a DOCTYPE); one longer than this is no corpus file's.
HEAD_BYTES = 1024 * 1024
# Declarations, comments and a DOCTYPE (with its internal subset, whose entity values may hold "<" and ">").
_PROLOGUE = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>|<!.*?>", re.DOTALL | re.IGNORECASE)
# The root's start tag: its name, then attributes up to the ">" outside quotes.
_ROOT = re.compile(rb"""<([A-Za-z_][\w.:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)""")
_NAMESPACE = re.compile(rb"""\bxmlns(?::[\w.-]+)?\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def xml_root(path: Path) -> tuple[str, list[str]]:
    """The root element's local name in lower case ("" if none is found) and the namespace URIs it declares."""
    with path.open("rb") as handle:
        return root_of(handle.read(HEAD_BYTES))


def root_of(document: bytes) -> tuple[str, list[str]]:
    """xml_root of a document held in memory (a fetched feed): only its first HEAD_BYTES are looked at."""
    root = _ROOT.search(_PROLOGUE.sub(b"", document[:HEAD_BYTES]))
    if not root:
        return "", []
    name = root.group(1).decode("ascii").split(":")[-1].lower()
    namespaces = [(m.group(1) or m.group(2)).decode("utf-8", "replace") for m in _NAMESPACE.finditer(root.group(2))]
    return name, namespaces
