"""One search as its caller asks for it: query, k, mode, alpha and filters, checked once, when it is made."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from index.errors import QueryError
from index.filters import Filters
from index.fusion import MODES

# The engine's own bounds; service/contract.py publishes them, with the bounds the service's settings add (Limits).
MIN_K = 1
ALPHA_RANGE = (0, 1)
DEFAULT_MODE = "hybrid"


def _blank(char: str) -> bool:
    """White space as str.strip() sees it, control characters (NUL…) and invisible format marks (zero-width
    space and joiners, byte-order mark, direction marks, soft hyphen): a query of nothing else has no words."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


# Over the Basic Multilingual Plane: the API's schema can only spell those out with \u escapes.
BLANK_CHARS = frozenset(chr(code) for code in range(0x10000) if _blank(chr(code)))


def is_blank(text: str) -> bool:
    """True when the text has no character outside BLANK_CHARS (the query pattern's test, in Python)."""
    return all(char in BLANK_CHARS for char in text)


@dataclass(frozen=True)
class Limits:
    """What the caller's settings allow on top of the engine's bounds (None: no limit), and its default k."""

    max_k: int | None = None
    max_query_chars: int | None = None
    default_k: int = 10


@dataclass(frozen=True)
class SearchRequest:
    """A search the engine can run: every field is checked here, in the order the API reports a bad parameter.

    alpha None means the index's tuned weight. A bad value is a QueryError with the API's code and message.
    """

    query: str
    k: int = 10
    mode: str = DEFAULT_MODE
    alpha: float | None = None
    filters: Filters = field(default_factory=Filters)
    limits: Limits = field(default_factory=Limits, repr=False, compare=False)

    def __post_init__(self) -> None:
        if is_blank(self.query):
            raise QueryError("empty_query", "the query is empty; type some words to search for")
        longest = self.limits.max_query_chars
        if longest is not None and len(self.query) > longest:
            raise QueryError("query_too_long", f"the query has {len(self.query)} characters; the limit is {longest}")
        most = self.limits.max_k
        if not isinstance(self.k, int) or self.k < MIN_K or (most is not None and self.k > most):
            bounds = f"from {MIN_K} to {most}" if most is not None else f"of at least {MIN_K}"
            raise QueryError("bad_k", f"k must be a whole number {bounds}")
        if self.mode not in MODES:
            raise QueryError("bad_mode", f"mode must be one of {', '.join(MODES)}")
        low, high = ALPHA_RANGE
        # A NaN fails the comparison too, so it is refused with the same message.
        if self.alpha is not None and not low <= self.alpha <= high:
            raise QueryError("bad_alpha", f"alpha must be a number from {low} to {high}")

    @classmethod
    def parse(cls, args: Mapping[str, str], limits: Limits = Limits()) -> SearchRequest:
        """A request from query-string arguments (q, k, mode, alpha, author, tag, from, to); absent or empty
        means the default, and text that is no number is refused as an out-of-range number is."""
        query = args.get("q")
        if query is None:
            raise QueryError("missing_query", "add the query as ?q=your+words")
        k = _whole(args.get("k"), limits.default_k)
        mode = args.get("mode") or DEFAULT_MODE
        alpha = _number(args.get("alpha"))
        try:
            filters = Filters(
                author=args.get("author") or None,
                tag=args.get("tag") or None,
                published_from=args.get("from") or None,
                published_to=args.get("to") or None,
            )
        except QueryError:
            cls(query.strip(), k, mode, alpha, limits=limits)  # a bad q, k, mode or alpha is reported before a date
            raise
        return cls(query.strip(), k, mode, alpha, filters, limits)


def _whole(text: str | None, default: int) -> int:
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        return MIN_K - 1  # below every bound, so the request refuses it with k's message, in k's turn


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return math.nan  # outside every range, so the request refuses it with alpha's message, in alpha's turn
