"""Exceptions a user can act on, one per kind of failure, each with a message that says what to do."""


class SearchError(Exception):
    """Base class of every error the engine raises on purpose."""


class CorpusError(SearchError):
    """A source file cannot be read as posts; the message names the file and line."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


class IndexFormatError(SearchError):
    """An index directory is missing, half-written or corrupted."""


class StorageError(SearchError):
    """The index folder or its cache cannot be written (full, read-only, not a folder); nothing was published."""


class ModelError(SearchError):
    """The embedding model is missing or is not the pinned one."""


class QueryError(SearchError, ValueError):
    """A query or its parameters are out of bounds."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
