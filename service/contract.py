"""The API's contract: the query parameters a search request is parsed with, and the response shapes returned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from index.fusion import MODES
from index.request import ALPHA_RANGE, BLANK_CHARS, DEFAULT_MODE, FACETS, GROUPS, MAX_PAGE, MIN_K, SORTS


@dataclass(frozen=True)
class Setting:
    """A bound or default read from the app's settings, so the contract follows MAX_K and friends."""

    name: str


Value = int | float | str | Setting | None


def resolve(value: Value, config: Mapping[str, Any]) -> Any:
    return config[value.name] if isinstance(value, Setting) else value


# What the date filters accept (index/filters.py checks it): the schema's format says the first; other ISO 8601
# forms, such as 20240101, are refused.
DATE_FORMS = "YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.ffffff]] with an optional Z or ±HH:MM (its date is used)."


@dataclass(frozen=True)
class Param:
    """One query parameter: its JSON Schema type, bounds and default (a bad value gets a 400)."""

    name: str
    type: str
    description: str
    required: bool = False
    minimum: Value = None
    maximum: Value = None
    max_length: Value = None
    default: Value = None
    enum: tuple[str, ...] = ()
    format: str | None = None
    pattern: str | None = None
    # An array's items (each at most once), written comma-separated: ?facets=author,tag (style form, not exploded).
    items: tuple[str, ...] = ()

    def schema(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The parameter's JSON Schema with every bound resolved against the settings."""
        schema: dict[str, Any] = {"type": self.type}
        for key, value in (
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("maxLength", self.max_length),
            ("default", self.default),
        ):
            if value is not None:
                schema[key] = resolve(value, config)
        if self.type == "string" and self.required:
            schema["minLength"] = 1
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.items:
            schema |= {"items": {"enum": list(self.items)}, "uniqueItems": True}
        if self.format:
            schema["format"] = self.format
        if self.pattern:
            schema["pattern"] = self.pattern
        return schema


# At least one character outside BLANK_CHARS (index/request.py), over the Basic Multilingual Plane: the schema's
# pattern can only spell those out with \u escapes.
NOT_BLANK = "[^" + "".join(f"\\u{ord(char):04x}" for char in sorted(BLANK_CHARS)) + "]"


QUERY = Param(
    "q",
    "string",
    "The query or question. Leading and trailing white space is ignored; what remains must hold a character other "
    "than white space, control characters and invisible format marks (zero-width space, byte-order mark), and "
    "must not be longer than MAX_QUERY_CHARS characters.",
    required=True,
    max_length=Setting("MAX_QUERY_CHARS"),
    # At least one character that is not blank (white space as Python's str.strip() sees it, control or format
    # characters): a regex \S differs, e.g. on U+001C, which strip() removes, so the spec spells the class out.
    pattern=NOT_BLANK,
)
SEARCH_PARAMS = (
    QUERY,
    Param(
        "k",
        "integer",
        "How many results to return, from 1 to MAX_K.",
        minimum=MIN_K,
        maximum=Setting("MAX_K"),
        default=Setting("DEFAULT_K"),
    ),
    Param(
        "mode",
        "string",
        "Retrieval: `hybrid` fuses `dense` (the model's vectors) and `bm25` (words).",
        enum=MODES,
        default=DEFAULT_MODE,
    ),
    Param(
        "alpha",
        "number",
        "The dense side's weight in hybrid fusion, from 0 to 1; the index's tuned default when absent.",
        minimum=ALPHA_RANGE[0],
        maximum=ALPHA_RANGE[1],
    ),
    Param("author", "string", "Only posts by this author (case-insensitive)."),
    Param("tag", "string", "Only posts with this tag (case-insensitive)."),
    Param("from", "string", "Only posts published on or after this date: " + DATE_FORMS, format="date"),
    Param("to", "string", "Only posts published on or before this date: " + DATE_FORMS, format="date"),
    Param(
        "group",
        "string",
        "`post`: one result per post, at its best passage, with more of its matching passages in `passages`; "
        "`passage`: one result per passage.",
        enum=GROUPS,
        default=GROUPS[0],
    ),
    Param(
        "sort",
        "string",
        "`relevance`: best first; `date`: the same results newest first (by day; posts without a date last).",
        enum=SORTS,
        default=SORTS[0],
    ),
    Param(
        "page",
        "integer",
        f"Which page of k results, from 1 to {MAX_PAGE}; past the last one the results are empty (see `total`).",
        minimum=1,
        maximum=MAX_PAGE,
        default=1,
    ),
    Param(
        "facets",
        "array",
        "Count the matching posts by these (comma-separated, each once): `author`, `tag`, `year`. Each count is the "
        "number of results that value's filter gives with the other filters kept.",
        items=FACETS,
    ),
)
PARAMS = {param.name: param for param in SEARCH_PARAMS}

# The JSON shapes of the responses; /openapi.json publishes them, and tests check every response against them.
NULLABLE_STRING = {"type": ["string", "null"]}
SCORE = {
    "type": "number",
    "minimum": 0,
    "maximum": 1,
    "description": "How well the passage matches, comparable across queries of one index: in hybrid and dense mode "
    "on the model's cosine scale (the cosine, plus the BM25 side in cosine units), in bm25 mode the share of the "
    "query's highest possible BM25. Results need RELEVANCE_CUT (0.25) or more.",
}
# A listing's fields, in /api/search and /api/answer alike.
LISTING: dict[str, Any] = {
    "total": {"type": "integer", "minimum": 0, "description": "Results on every page together."},
    "total_exact": {
        "type": "boolean",
        "description": "False only when passages beyond the ranking's candidates could match too: then at least total.",
    },
    "page": {"type": "integer", "minimum": 1},
    "k": {"type": "integer", "minimum": 1, "description": "Results a page."},
    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
    "facets": {"$ref": "#/components/schemas/Facets"},
}
LISTED = ["total", "total_exact", "page", "k", "results", "facets"]
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Post": {
        "description": "Attribution; what the source does not give is null, never invented.",
        "type": "object",
        "required": ["id", "title", "author", "url", "published", "tags", "source"],
        "properties": {
            "id": {"type": "string"},
            "title": NULLABLE_STRING,
            "author": {**NULLABLE_STRING, "description": "The name readers see."},
            "url": NULLABLE_STRING,
            "published": {**NULLABLE_STRING, "description": "An ISO 8601 date or date-time."},
            "tags": {"type": "array", "items": {"type": "string"}},
            "source": NULLABLE_STRING,
        },
    },
    "Highlight": {
        "description": "A span of the result's text: its best sentence (kind `sentence`) or a query term (`term`).",
        "type": "object",
        "required": ["start", "end", "kind"],
        "properties": {
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "kind": {"type": "string"},
        },
    },
    "Result": {
        "type": "object",
        "required": ["rank", "score", "raw_score", "passage_id", "text", "highlights", "post", "passages"],
        "properties": {
            "rank": {"type": "integer", "minimum": 1, "description": "Its place in the whole list, across pages."},
            "score": SCORE,
            "raw_score": {
                "type": "number",
                "description": "The ranking's own value (fused, cosine or BM25 by mode), to compare in one list only.",
            },
            "passage_id": {"type": "string"},
            "text": {"type": "string"},
            "highlights": {"type": "array", "items": {"$ref": "#/components/schemas/Highlight"}},
            "post": {"$ref": "#/components/schemas/Post"},
            "passages": {
                "description": "With group=post: up to 2 more of the post's matching passages, best first.",
                "type": "array",
                "items": {"$ref": "#/components/schemas/PassageMatch"},
            },
        },
    },
    "PassageMatch": {
        "type": "object",
        "required": ["score", "passage_id", "text", "highlights"],
        "properties": {
            "score": SCORE,
            "passage_id": {"type": "string"},
            "text": {"type": "string"},
            "highlights": {"type": "array", "items": {"$ref": "#/components/schemas/Highlight"}},
        },
    },
    "Facets": {
        "description": "Per facet asked for, its values (the 10 most frequent authors and tags; every year, newest "
        "first) with the number of matching posts that pass the other filters.",
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"$ref": "#/components/schemas/FacetCounts"} for name in FACETS},
    },
    "FacetCounts": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["value", "count"],
            "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["query", "took_ms", *LISTED],
        "properties": {
            "query": {"type": "string"},
            "took_ms": {"type": "number", "minimum": 0},
            **LISTING,
        },
    },
    "Answer": {
        "description": "The sentence that answers the question, with its offsets in the passage's text.",
        "type": "object",
        "required": ["text", "start", "end", "confidence", "passage_id", "context", "post"],
        "properties": {
            "text": {"type": "string"},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "passage_id": {"type": "string"},
            "context": {
                "description": "The passage's sentences just before and after this one (empty at either end).",
                "type": "object",
                "required": ["before", "after"],
                "properties": {"before": {"type": "string"}, "after": {"type": "string"}},
            },
            "post": {"$ref": "#/components/schemas/Post"},
        },
    },
    "AnswerResponse": {
        "type": "object",
        "required": ["question", "took_ms", "answer", "candidate", *LISTED],
        "properties": {
            "question": {"type": "string"},
            "took_ms": {"type": "number", "minimum": 0},
            "answer": {
                "description": "The answer readers are shown; null when the service is not sure enough (withheld).",
                "oneOf": [{"$ref": "#/components/schemas/Answer"}, {"type": "null"}],
            },
            "candidate": {
                "description": "The best candidate sentence, shown or not (the answer itself when one is shown).",
                "oneOf": [{"$ref": "#/components/schemas/Answer"}, {"type": "null"}],
            },
            **LISTING,
        },
    },
    "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "Analytics": {
        "description": "What readers searched in the period; a query text seen fewer than ANALYTICS_MIN_COUNT times "
        "is never listed.",
        "type": "object",
        "required": [
            "analytics",
            "days",
            "min_count",
            "searches",
            "top_queries",
            "no_results",
            "withheld",
            "hidden_queries",
            "clicks",
            "click_through_rate",
            "mean_clicked_rank",
            "per_day",
        ],
        "properties": {
            "analytics": {"type": "boolean", "description": "Whether this server records queries now."},
            "days": {"type": "integer", "minimum": 1},
            "min_count": {"type": "integer", "minimum": 1},
            "searches": {"type": "integer", "minimum": 0},
            "top_queries": {"$ref": "#/components/schemas/QueryCounts"},
            "no_results": {"$ref": "#/components/schemas/QueryCounts"},
            "withheld": {"$ref": "#/components/schemas/QueryCounts"},
            "hidden_queries": {"type": "integer", "minimum": 0},
            "clicks": {"type": "integer", "minimum": 0},
            "click_through_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "mean_clicked_rank": {"type": ["number", "null"], "minimum": 1},
            "per_day": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["day", "searches"],
                    "properties": {"day": {"type": "string"}, "searches": {"type": "integer", "minimum": 0}},
                },
            },
        },
    },
    "QueryCounts": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["query", "count"],
            "properties": {"query": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
        },
    },
    "PushedPost": {
        "description": "A post as a CMS pushes it: the JSON Lines fields; the id is the URL's (a body id must agree).",
        "type": "object",
        "required": ["text"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": ["string", "integer"]},
            "title": NULLABLE_STRING,
            "text": {"type": "string", "minLength": 1},
            "author": NULLABLE_STRING,
            "url": NULLABLE_STRING,
            "published": {**NULLABLE_STRING, "description": "An ISO 8601 date or date-time, not in the future."},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Change": {
        "description": "A change the journal holds; applied_version is null until a build holds it.",
        "type": "object",
        "required": ["seq", "op", "url", "received_at", "applied_version", "error"],
        "properties": {
            "seq": {"type": "integer", "minimum": 1},
            "op": {"enum": ["put", "delete"]},
            "url": {**NULLABLE_STRING, "description": "A put's URL; a delete's `?url=` or the URL last put."},
            "received_at": {"type": "string"},
            "applied_version": NULLABLE_STRING,
            "error": {**NULLABLE_STRING, "description": "Why the last build of it failed; it is retried."},
        },
    },
    "PushAccepted": {
        "type": "object",
        "required": ["id", "status", "change"],
        "properties": {
            "id": {"type": "string"},
            "status": {"const": "pending"},
            "change": {"$ref": "#/components/schemas/Change"},
        },
    },
    "PushStatus": {
        "type": "object",
        "required": ["id", "status", "served", "version", "change"],
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": ["pending", "live", "deleted"]},
            "served": {"type": "boolean", "description": "Whether this server's version holds the post."},
            "version": {"type": "string", "description": "The version this server process serves."},
            "change": {"oneOf": [{"$ref": "#/components/schemas/Change"}, {"type": "null"}]},
        },
    },
    "ReloadOutcome": {
        "type": "object",
        "required": ["status", "version", "previous", "error"],
        "properties": {
            "status": {"type": "string"},
            "version": NULLABLE_STRING,
            "previous": NULLABLE_STRING,
            "error": NULLABLE_STRING,
        },
    },
}
