"""Fetching sources over HTTP(S): the only package of the engine that speaks HTTP."""

from index.fetch.http import MAX_BYTES, TIMEOUT_S, USER_AGENT, Fetched, checked_url, fetch

__all__ = ["MAX_BYTES", "TIMEOUT_S", "USER_AGENT", "Fetched", "checked_url", "fetch"]
