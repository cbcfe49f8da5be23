"""Every passage's BM25 terms, analysed once per text and kept in the embedding cache's database."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import Stemmer

from index import lexical
from index.cache import EmbeddingCache
from index.lexical import analyse


@cache
def analyser_key() -> str:
    """The analysing rules: index/lexical.py's code (word pattern, stop words, stemmer language) and the stemmer's
    version. Any change to them is a new key, so no terms analysed by other rules are ever reused."""
    digest = hashlib.sha256(b"terms\0" + Path(str(lexical.__file__)).read_bytes())
    digest.update(str(Stemmer.version()).encode())
    return digest.hexdigest()


def passage_terms(texts: list[str], cache: EmbeddingCache) -> list[list[str]]:
    """analyse(texts), analysing only texts the cache has no terms of (and storing theirs)."""
    rules = analyser_key()
    keys = [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts]
    found = cache.derived(rules, set(keys))
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
    fresh = dict(zip(missing, analyse(list(missing.values())), strict=True)) if missing else {}
    if fresh:
        # Terms are runs of word characters (lexical._WORDS), so a space never occurs inside one.
        cache.store_derived(rules, {key: " ".join(terms).encode("utf-8") for key, terms in fresh.items()})
    return [fresh[key] if key in fresh else _terms(found[key]) for key in keys]


def _terms(value: bytes) -> list[str]:
    text = value.decode("utf-8")
    return text.split(" ") if text else []
