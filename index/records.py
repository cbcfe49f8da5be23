"""The records that flow through the engine: posts, their passages, and search hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Post:
    """One blog post; attribution that the source does not give is None, never guessed."""

    id: str
    title: str | None
    text: str
    author: str | None = None
    url: str | None = None
    published: str | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        # vars(), not asdict(): the fields are flat, and asdict's deep copy took 1.5 s of a 10,000-post build.
        data = dict(vars(self))
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Post:
        return cls(**{**data, "tags": tuple(data.get("tags") or ())})

    def attribution(self) -> dict[str, Any]:
        """The post fields every search result carries (everything but the text); built by hand, as it is per hit."""
        return {
            "id": self.id,
            "title": self.title,
            "author": self.author,
            "url": self.url,
            "published": self.published,
            "tags": list(self.tags),
            "source": self.source,
        }


@dataclass(frozen=True)
class Passage:
    """A span of a post's text small enough for the model, with its character offsets in the post."""

    id: str
    post_id: str
    ordinal: int
    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Passage:
        return cls(**data)


@dataclass(frozen=True)
class Hit:
    """One ranked passage with its post, the spans of its text that match the query's terms, and its best sentence.

    score is the ranking's raw value, relevance its bounded form (0 to 1, index.relevance); passages are more of the
    same post's passages that match the query, best first, when results are posts.
    """

    rank: int
    score: float
    passage: Passage
    post: Post
    highlights: list[tuple[int, int]] = field(default_factory=list)
    sentence: tuple[int, int] | None = None
    relevance: float = 0.0
    passages: tuple[Hit, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            **self.passage_json(),
            "raw_score": round(float(self.score), 6),
            "post": self.post.attribution(),
            "passages": [other.passage_json() for other in self.passages],
        }

    def passage_json(self) -> dict[str, Any]:
        """The passage as a result shows it: its id, bounded score, text and highlights."""
        return {
            "score": round(float(self.relevance), 4),
            "passage_id": self.passage.id,
            "text": self.passage.text,
            "highlights": self.highlights_json(),
        }

    def highlights_json(self) -> list[dict[str, Any]]:
        """The best sentence first (kind "sentence"), then the matching words (kind "term"), which it may contain."""
        spans = [{"start": s, "end": e, "kind": "term"} for s, e in self.highlights]
        if self.sentence is None:
            return spans
        return [{"start": self.sentence[0], "end": self.sentence[1], "kind": "sentence"}, *spans]
