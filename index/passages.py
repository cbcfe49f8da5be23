"""Split posts into passages that fit the model: sentence-aware windows, overlapping on long posts."""

from __future__ import annotations

from dataclasses import dataclass

from tokenizers import Tokenizer

from index.records import Passage, Post
from index.sentences import sentence_spans

SPECIAL_TOKENS = 2  # [CLS] and [SEP]


@dataclass(frozen=True)
class PassageSettings:
    """How posts are cut: word pieces per passage (model limit included) and how much windows overlap."""

    max_tokens: int = 256
    overlap_tokens: int = 48


def split_post(post: Post, tokenizer: Tokenizer, settings: PassageSettings = PassageSettings()) -> list[Passage]:
    """Passages of one post, in order, each a span of the post text with its offsets."""
    budget = settings.max_tokens - SPECIAL_TOKENS - title_tokens(post, tokenizer)
    budget = max(budget, settings.max_tokens // 2)
    pieces = _pieces(post.text, tokenizer, budget)
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        last, used = first, pieces[first][2]
        while last + 1 < len(pieces) and used + pieces[last + 1][2] <= budget:
            last += 1
            used += pieces[last][2]
        windows.append((pieces[first][0], pieces[last][1]))
        if last == len(pieces) - 1:
            break
        first = _overlap_start(pieces, first, last, settings.overlap_tokens)
    return [
        Passage(id=f"{post.id}#{n}", post_id=post.id, ordinal=n, start=s, end=e, text=post.text[s:e])
        for n, (s, e) in enumerate(windows)
    ]


def title_tokens(post: Post, tokenizer: Tokenizer) -> int:
    if not post.title:
        return 0
    return len(tokenizer.encode(post.title, add_special_tokens=False).ids) + 1


def embedding_text(post: Post, passage: Passage) -> str:
    """What the model sees for a passage: the post title gives context to every passage of the post."""
    return f"{post.title}. {passage.text}" if post.title else passage.text


def _overlap_start(pieces: list[tuple[int, int, int]], first: int, last: int, overlap: int) -> int:
    """The first piece of the next window: repeat trailing pieces of this one up to the overlap budget."""
    start, used = last + 1, 0
    while start - 1 > first and used + pieces[start - 1][2] <= overlap:
        start -= 1
        used += pieces[start][2]
    return start


def _pieces(text: str, tokenizer: Tokenizer, budget: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) for each sentence; a sentence longer than the budget is cut at word pieces."""
    spans = sentence_spans(text)
    encodings = tokenizer.encode_batch([text[s:e] for s, e in spans], add_special_tokens=False)
    pieces: list[tuple[int, int, int]] = []
    for (start, end), encoding in zip(spans, encodings, strict=True):
        count = len(encoding.ids)
        if count <= budget:
            pieces.append((start, end, count))
            continue
        offsets = encoding.offsets
        for chunk in range(0, count, budget):
            chunk_end = min(chunk + budget, count)
            piece_end = start + offsets[chunk_end][0] if chunk_end < count else end
            pieces.append((start + offsets[chunk][0], piece_end, chunk_end - chunk))
    return [p for p in pieces if p[1] > p[0]]
