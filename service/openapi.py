"""GET /openapi.json: the OpenAPI 3.1 description of every endpoint, built from the parameter table in contract.py."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from service.contract import SCHEMAS, SEARCH_PARAMS, Param

openapi = Blueprint("openapi", __name__)


def json_body(schema: str, description: str, **extra: Any) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {"description": description, "content": content, **extra}


def content(media_type: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


RATE_LIMITED = json_body(
    "Error",
    "Too many requests from this client (`rate_limited`).",
    headers={"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer", "minimum": 0}}},
)
BAD_INPUT = json_body(
    "Error",
    "Bad input: `missing_query`, `empty_query`, `query_too_long`, `bad_k`, `bad_mode`, `bad_alpha` or `bad_date`.",
)


def parameters(params: tuple[Param, ...], config: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": param.schema(config),
        }
        for param in params
    ]


def api_operation(summary: str, schema: str, config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters(SEARCH_PARAMS, config),
            "responses": {"200": json_body(schema, "Results, best first."), "400": BAD_INPUT, "429": RATE_LIMITED},
        }
    }


def page_operation(summary: str, config: Mapping[str, Any]) -> dict[str, Any]:
    # The page takes the same parameters, but an empty q is allowed: it shows the empty search box.
    params = parameters(SEARCH_PARAMS, config)
    params[0] = {**params[0], "required": False}
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {"200": content("text/html", "The page."), "400": content("text/html", "Bad input.")},
        }
    }


def get_only(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": responses}}


def openapi_spec(config: Mapping[str, Any]) -> dict[str, Any]:
    """The whole description; bounds such as MAX_K and MAX_QUERY_CHARS come from this app's settings."""
    admin_denied = json_body("Error", "Admin endpoints are off (`admin_disabled`) or the token is wrong.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Blog search",
            "version": metadata.version("blog-search"),
            "description": "Semantic search and question answering over a blog's posts, with source attribution. "
            f"Request bodies over {config['MAX_CONTENT_LENGTH']} bytes are refused with 413; every error under "
            "/api has the Error shape.",
        },
        "paths": {
            "/api/search": api_operation("Passages that match the query, with attribution.", "SearchResponse", config),
            "/api/answer": api_operation(
                "The sentence that answers the question, and the results.", "AnswerResponse", config
            ),
            "/": page_operation("The search page, rendered on the server.", config),
            "/embed": page_operation("The search box for a sidebar, at most 5 results.", config),
            "/healthz": get_only("Liveness.", {"200": json_body("Status", "The process is up.")}),
            "/readyz": get_only(
                "The index version being served.",
                {"200": json_body("Status", "Ready."), "503": json_body("Status", "No index yet.")},
            ),
            "/metrics": get_only("Prometheus metrics.", {"200": content("text/plain", "The exposition format.")}),
            "/openapi.json": get_only(
                "This description.",
                {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            ),
            "/admin/reload": {
                "post": {
                    "summary": "Serve the version `current` names now, without waiting for the poll.",
                    "security": [{"adminToken": []}],
                    "responses": {
                        "200": json_body("ReloadOutcome", "Reloaded, or already current."),
                        "401": admin_denied,
                        "403": admin_denied,
                        "409": json_body("ReloadOutcome", "The new version failed its checks; the old one stays."),
                    },
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN"}},
        },
    }


@openapi.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(openapi_spec(current_app.config))
