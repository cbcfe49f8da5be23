"""The README documents every setting and every endpoint the app serves, and its links to docs/ lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from service.config import DEFAULTS
from tests.conftest import ROOT

README_PATH = ROOT / "README.md"
DOCS = ROOT / "docs"
README = README_PATH.read_text(encoding="utf-8")

# [text](target) outside code; images and autolinks are not used in these files.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


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


def prose(text: str) -> str:
    """The text without fenced blocks, whose lines are code, not headings or links."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a markdown file, numbered as GitHub numbers repeats (-1, -2, ...)."""
    seen: dict[str, int] = {}
    result = set()
    for line in prose(path.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"#{1,6} (.+)", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def links(path: Path) -> list[str]:
    return LINK.findall(CODE_SPAN.sub("", prose(path.read_text(encoding="utf-8"))))


def markdown_files() -> list[Path]:
    return [README_PATH, *sorted(DOCS.glob("**/*.md"))]


def test_relative_links_point_to_files_and_headings_that_exist():
    broken = []
    for source in markdown_files():
        for target in links(source):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: leave the repository
                continue
            file_part, _, anchor = target.partition("#")
            destination = (source.parent / file_part).resolve() if file_part else source
            where = f"{source.relative_to(ROOT)} -> {target}"
            if not destination.is_file():
                broken.append(f"{where}: no such file")
            elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                broken.append(f"{where}: no heading with that anchor")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_docs_file_is_linked_from_the_readme():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(README_PATH)}
    docs = sorted(DOCS.glob("**/*.md"))
    assert docs, "docs/ holds no markdown files"
    unlinked = [str(path.relative_to(ROOT)) for path in docs if path.resolve() not in linked]
    assert not unlinked, f"docs files the README does not link: {unlinked}"


def test_the_slug_follows_github():
    assert slug("The contract: /openapi.json") == "the-contract-openapijson"
    assert slug("Where a query's time and a worker's memory go") == "where-a-querys-time-and-a-workers-memory-go"
    assert slug("### `scripts/bench.py`".lstrip("# ")) == "scriptsbenchpy"
