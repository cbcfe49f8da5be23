"""The search engine: ingest posts, build index versions on disk, open and search them, answer questions."""

from index.answer import Answer, AnswerResult, answer_question
from index.build import BuildSettings, BuildSummary, build
from index.errors import CorpusError, IndexFormatError, ModelError, QueryError, SearchError
from index.filters import Filters
from index.ingest import read_sources
from index.records import Hit, Passage, Post
from index.request import Limits, SearchRequest
from index.search import Index

__all__ = [
    "Answer",
    "AnswerResult",
    "BuildSettings",
    "BuildSummary",
    "CorpusError",
    "Filters",
    "Hit",
    "Index",
    "IndexFormatError",
    "Limits",
    "ModelError",
    "Passage",
    "Post",
    "QueryError",
    "SearchError",
    "SearchRequest",
    "answer_question",
    "build",
    "read_sources",
]
