"""One search as its caller asks for it: query, k, mode, alpha, filters, grouping, order, page and facets, checked
once, when it is made."""

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
# Results are posts (each at its best passage) or passages; in relevance or date order; facets count matching posts.
GROUPS = ("post", "passage")
SORTS = ("relevance", "date")
FACETS = ("author", "tag", "year")
# Pages are k results each; the last page a request may ask for (a listing holds at most a few thousand results).
MAX_PAGE = 1000


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
    group: str = "post"
    sort: str = "relevance"
    page: int = 1
    facets: tuple[str, ...] = ()

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
        if self.group not in GROUPS:
            raise QueryError("bad_group", f"group must be one of {', '.join(GROUPS)}")
        if self.sort not in SORTS:
            raise QueryError("bad_sort", f"sort must be one of {', '.join(SORTS)}")
        if not isinstance(self.page, int) or not 1 <= self.page <= MAX_PAGE:
            raise QueryError("bad_page", f"page must be a whole number from 1 to {MAX_PAGE}")
        unknown = [name for name in self.facets if name not in FACETS]
        if unknown or len(set(self.facets)) != len(self.facets):
            raise QueryError(
                "bad_facets", f"facets must name each of {', '.join(FACETS)} at most once, separated by commas"
            )

    @classmethod
    def parse(cls, args: Mapping[str, str], limits: Limits = Limits()) -> SearchRequest:
        """A request from query-string arguments (q, k, mode, alpha, author, tag, from, to, group, sort, page,
        facets); absent or empty means the default, and text that is no number is refused as an out-of-range
        number is. facets is a comma-separated list (author,tag,year)."""
        query = args.get("q")
        if query is None:
            raise QueryError("missing_query", "add the query as ?q=your+words")
        k = _whole(args.get("k"), limits.default_k)
        mode = args.get("mode") or DEFAULT_MODE
        alpha = _number(args.get("alpha"))
        group = args.get("group") or GROUPS[0]
        sort = args.get("sort") or SORTS[0]
        page = _whole(args.get("page"), 1, 0)
        facets = tuple(name.strip() for name in (args.get("facets") or "").split(",") if name.strip())
        try:
            filters = Filters(
                author=args.get("author") or None,
                tag=args.get("tag") or None,
                published_from=args.get("from") or None,
                published_to=args.get("to") or None,
            )
        except QueryError:
            # A bad q, k, mode, alpha, group, sort, page or facets is reported before a date.
            cls(query.strip(), k, mode, alpha, Filters(), limits, group, sort, page, facets)
            raise
        return cls(query.strip(), k, mode, alpha, filters, limits, group, sort, page, facets)


def _whole(text: str | None, default: int, refused: int = MIN_K - 1) -> int:
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        return refused  # below every bound, so the request refuses it with the parameter's message, in its turn


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return math.nan  # outside every range, so the request refuses it with alpha's message, in alpha's turn
