"""Blueprints stand side by side: what two of them share lives in its own module, never in one of them."""

from __future__ import annotations

from tests.test_layout import imports_of, project_modules

BLUEPRINTS = ("service.api", "service.web", "service.ops", "service.admin", "service.openapi")


def test_no_blueprint_imports_another():
    modules = project_modules()
    assert set(BLUEPRINTS) <= set(modules), "a blueprint module moved; update BLUEPRINTS"
    crossings = [
        f"{name} imports {target}"
        for name in BLUEPRINTS
        for target in imports_of(modules[name], modules)
        if any(target == other or target.startswith(other + ".") for other in BLUEPRINTS if other != name)
    ]
    assert not crossings, "move what they share into its own module (as service/serving.py): " + "; ".join(crossings)


def test_the_check_sees_a_crossing(tmp_path):
    """The test above would catch web.py's old `from service.api import served_index`."""
    source = tmp_path / "web.py"
    source.write_text("from service.api import served_index\n", encoding="utf-8")
    assert "service.api" in imports_of(source, project_modules())
