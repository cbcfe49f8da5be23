"""The Flask service: search and answer endpoints, the search page, and operational endpoints."""

from service.app import create_app

__all__ = ["create_app"]
