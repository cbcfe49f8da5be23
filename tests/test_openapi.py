"""/openapi.json describes every route from the same table the validators use; errors under /api are JSON."""

from __future__ import annotations

import re

import pytest

from service.contract import PARAMS
from tests.conftest import create_test_app


def test_openapi_describes_every_route(app, client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert routes == described


def test_bounds_in_the_spec_follow_the_settings_the_validators_use(seed_index):
    client = create_test_app(seed_index, MAX_K=7, DEFAULT_K=5, MAX_QUERY_CHARS=50).test_client()
    spec = client.get("/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert set(params) == set(PARAMS)
    assert params["k"]["schema"]["maximum"] == 7 and params["q"]["schema"]["maxLength"] == 50
    assert params["q"]["required"] is True
    assert client.get("/api/search?q=leadership&k=7").status_code == 200
    assert client.get("/api/search?q=leadership&k=8").get_json()["error"]["code"] == "bad_k"
    assert client.get("/api/search?q=" + "a" * 50).status_code == 200
    assert client.get("/api/search?q=" + "a" * 51).get_json()["error"]["code"] == "query_too_long"


@pytest.mark.parametrize("path", ["/api/search", "/api/answer"])
def test_undocumented_methods_get_a_json_405_with_allow(client, path: str):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"{path}?q=leadership")
        assert response.status_code == 405
        assert response.get_json()["error"]["code"] == "method_not_allowed"
        assert "GET" in response.headers["Allow"]


def test_unknown_api_path_is_a_json_404_for_any_method(client):
    for response in (client.get("/api/nothing/here"), client.post("/api/nothing"), client.get("/api")):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_a_body_over_the_limit_gets_a_json_413(client, app):
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.get("/api/search?q=leadership", data=body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert client.get("/api/search?q=leadership", data=b"x" * 100).status_code == 200


def test_a_crash_is_a_json_500_without_a_traceback(seed_index):
    app = create_test_app(seed_index, TESTING=False)

    @app.get("/api/crash")
    def crash():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/api/crash")
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_server_error"
    body = response.get_data(as_text=True)
    assert "secret internal detail" not in body and "Traceback" not in body and "RuntimeError" not in body
