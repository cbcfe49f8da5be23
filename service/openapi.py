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
    "Bad input: `missing_query`, `empty_query`, `query_too_long`, `bad_k`, `bad_mode`, `bad_alpha`, `bad_group`, "
    "`bad_sort`, `bad_page`, `bad_facets` or `bad_date`.",
)


def parameters(params: tuple[Param, ...], config: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": param.schema(config),
            # An array is one comma-separated value (?facets=author,tag), not the parameter repeated.
            **({"style": "form", "explode": False} if param.type == "array" else {}),
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
            "/api/search": api_operation(
                "Posts (or passages) that match the query, with attribution, a page at a time.",
                "SearchResponse",
                config,
            ),
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
            "/admin/posts/{post_id}": push_operations(config, admin_denied),
            **analytics_operations(admin_denied),
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN"},
                "adminSession": {"type": "apiKey", "in": "cookie", "name": "blog_search_admin"},
            },
        },
    }


def analytics_operations(denied: dict[str, Any]) -> dict[str, Any]:
    """Search analytics for editors (service/insights.py): JSON, CSV, the page with its login, the click counter."""
    days = {
        "name": "days",
        "in": "query",
        "required": False,
        "description": "The period: the last N days (default 30).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 3650},
    }
    bad = json_body("Error", "A bad `days` (`bad_days`) or `table` (`bad_table`).")
    session: list[dict[str, list[str]]] = [{"adminToken": []}, {"adminSession": []}]
    html = content("text/html", "The page.")
    return {
        "/admin/analytics": {
            "get": {
                "summary": "Top queries, queries with no results, questions withheld, clicks, searches per day.",
                "security": session,
                "parameters": [days],
                "responses": {"200": json_body("Analytics", "The report."), "400": bad, "401": denied, "403": denied},
            }
        },
        "/admin/analytics.csv": {
            "get": {
                "summary": "One table of the report as CSV.",
                "security": session,
                "parameters": [
                    days,
                    {
                        "name": "table",
                        "in": "query",
                        "required": False,
                        "description": "top_queries (default), no_results, withheld or per_day.",
                        "schema": {"enum": ["top_queries", "no_results", "withheld", "per_day"]},
                    },
                ],
                "responses": {
                    "200": content("text/csv", "The table."),
                    "400": bad,
                    "401": denied,
                    "403": denied,
                },
            }
        },
        "/admin/": {
            "get": {
                "summary": "The analytics page (a login form without a session).",
                "parameters": [days],
                "responses": {"200": html, "400": html, "403": content("text/html", "Admin pages are off.")},
            }
        },
        "/admin/login": {
            "post": {
                "summary": "Log in with the admin token (form field `token`): sets the session cookie.",
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {"type": "object", "properties": {"token": {"type": "string"}}}
                        }
                    }
                },
                "responses": {
                    "303": {"description": "Logged in: to /admin/."},
                    "401": html,
                    "403": html,
                    "429": html,
                },
            }
        },
        "/admin/logout": {
            "post": {
                "summary": "Log out (form field `csrf` from the page).",
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {"type": "object", "properties": {"csrf": {"type": "string"}}}
                        }
                    }
                },
                "responses": {"303": {"description": "Logged out."}, "403": html},
            }
        },
        "/r/{query_id}/{post_id}": {
            "get": {
                "summary": "A result link: counts the click, then redirects to the URL the index holds for the post.",
                "parameters": [
                    {"name": "query_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "post_id", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "302": {"description": "To the post."},
                    "404": content("text/html", "No such post, or it has no web address."),
                },
            }
        },
    }


def push_operations(config: Mapping[str, Any], denied: dict[str, Any]) -> dict[str, Any]:
    """PUT, DELETE and GET of one pushed post: a CMS's changes, stored durably (202) and built in the background."""
    post_id = {
        "name": "post_id",
        "in": "path",
        "required": True,
        "description": "The post's id in the CMS: 1 to 200 characters, no slash.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    }
    refused = {"401": denied, "403": denied, "409": json_body("Error", "The index folder is a single version.")}
    accepted = json_body("PushAccepted", "Stored durably; searchable once the background build is served.")
    return {
        "parameters": [post_id],
        "put": {
            "summary": "Add or replace a post (a CMS's save hook).",
            "security": [{"adminToken": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushedPost"}}},
            },
            "responses": {
                "202": accepted,
                "400": json_body("Error", "Not JSON (`bad_json`)."),
                "413": json_body("Error", f"Over MAX_POST_BYTES ({config['MAX_POST_BYTES']} bytes)."),
                "422": json_body("Error", "Not a valid post (`invalid_post`): the message says which field."),
                **refused,
            },
        },
        "delete": {
            "summary": "Remove a post (unpublished, trashed or deleted in the CMS).",
            "security": [{"adminToken": []}],
            "parameters": [
                {
                    "name": "url",
                    "in": "query",
                    "required": False,
                    "description": "The post's address: the post indexed from an export or feed under it goes too.",
                    "schema": {"type": "string", "maxLength": 2000},
                }
            ],
            "responses": {"202": accepted, **refused},
        },
        "get": {
            "summary": "Whether the post's last change is pending or live.",
            "security": [{"adminToken": []}],
            "responses": {
                "200": json_body("PushStatus", "The post's state."),
                "404": json_body("Error", "Neither served nor pushed (`not_found`)."),
                **refused,
            },
        },
    }


@openapi.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(openapi_spec(current_app.config))
