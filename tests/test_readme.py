"""The README documents every setting and every endpoint the app serves."""

from __future__ import annotations

from service.config import DEFAULTS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make serve" in first_block and "make test" in first_block


def test_every_setting_is_documented():
    missing = [name for name in DEFAULTS if f"`{name}`" not in README]
    assert not missing, f"settings missing from README: {missing}"


def test_every_endpoint_is_documented(app):
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint != "static" and "<" not in r.rule}
    missing = [rule for rule in sorted(rules) if f"`GET {rule}" not in README and f"`POST {rule}" not in README]
    assert not missing, f"endpoints missing from README: {missing}"
