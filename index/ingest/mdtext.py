"""Markdown bodies reduced to readable text: syntax, raw HTML and template calls dropped, code kept out entirely."""

from __future__ import annotations

import re

from index.ingest.htmltext import html_to_text

# A template action or shortcode ({{ ... }}, {{< ... >}}, {{% ... %}}, {% ... %}), quoted strings and all: the Go
# blog's {{raw `...`}} holds whole code listings, braces included, inside backquotes.
_ACTION = re.compile(r"\{\{(?:`[^`]*`|\"(?:[^\"\\\n]|\\.)*\"|[^`\"}]|\}(?!\}))*\}\}|\{%.*?%\}", re.S)
# Paired shortcodes and tags whose content is code, not text (Hugo highlight, Jekyll highlight, Zola code).
_CODE_PAIRS = re.compile(
    r"\{\{[<%]\s*(highlight|code)\b.*?\{\{[<%]\s*/\s*\1\s*[>%]\}\}|\{%-?\s*highlight\b.*?\{%-?\s*endhighlight\s*-?%\}",
    re.S | re.I,
)
_CODE_ELEMENTS = re.compile(r"<(pre|script|style|textarea)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAGS = (
    "a abbr address article aside audio b blockquote br caption center cite code dd del details dfn div dl dt em "
    "embed figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i iframe img ins kbd li main mark nav object "
    "ol p picture pre q s samp section small source span strong sub summary sup table tbody td tfoot th thead tr "
    "track u ul var video link meta noscript script style input label button form canvas svg template select "
    "option dialog"
)
# "<" that does not open a known HTML element is text ("a < b", "Vec<T>"), escaped before the HTML is parsed.
_NOT_A_TAG = re.compile(rf"<(?!/?(?:{'|'.join(_HTML_TAGS.split())})\b)")

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)\s*$")
_RULE = re.compile(r"^ {0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]^]+\]:\s*\S+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
# Link text may hold one level of brackets ([atomic.Pointer[T]](...)) and run over lines; so may the address.
_IMAGE = re.compile(r"!\[(?:[^\[\]]|\[[^\]]*\])*\](?:\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])+)\](?:\(\s*(?:[^()\s]+|\([^)]*\))*(?:\s+\"[^\"]*\")?\s*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_BLANK = re.compile(r"\n\s*\n")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def drop_templates(body: str) -> str:
    """The body without template calls and shortcodes; code inside paired code shortcodes goes with them."""
    body = _CODE_PAIRS.sub("\n\n", body)
    # An action spanning lines stands for a block (a code listing): it ends the paragraph around it.
    return _ACTION.sub(lambda m: "\n\n" if "\n" in m.group(0) else "", body)


def markdown_to_text(body: str) -> str:
    """The readable text of a markdown body, one paragraph per blank-line-separated block."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    body = _without_code_blocks(body)
    body = _COMMENT.sub("", drop_templates(body))
    body = _CODE_ELEMENTS.sub("\n\n", body)
    # Inline syntax (a link, emphasis) may run over lines, though not over paragraphs.
    paragraphs = _BLANK.split("\n".join(_blocks(body.split("\n"))))
    text = "\n\n".join(_inline(paragraph) for paragraph in paragraphs)
    return html_to_text(_NOT_A_TAG.sub("&lt;", _ESCAPE.sub(_escaped, text)))


def _escaped(match: re.Match[str]) -> str:
    # The character, kept literal through the HTML parsing that follows.
    return {"<": "&lt;", "&": "&amp;"}.get(match.group(1), match.group(1))


def _without_code_blocks(body: str) -> str:
    """The body with fenced and indented code blocks left out (a blank line stands in for each)."""
    kept: list[str] = []
    fence = ""
    previous_blank, in_list = True, False
    for line in body.split("\n"):
        if fence:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
                kept.append("")
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)
            kept.append("")
            previous_blank = True
            continue
        blank = not line.strip()
        if not blank and _INDENTED.match(line) and (previous_blank or (kept and kept[-1] == "")) and not in_list:
            # Indented code: it cannot interrupt a paragraph, and under a list item an indent continues the item.
            kept.append("")
            continue
        if not blank:
            if _LIST_ITEM.match(line):
                in_list = True
            elif not _INDENTED.match(line):
                in_list = False
        kept.append(line)
        previous_blank = blank
    return "\n".join(kept)


def _blocks(lines: list[str]) -> list[str]:
    """Each line without its block syntax (inline syntax is left for _inline); list items and table rows become
    paragraphs of their own."""
    out: list[str] = []
    for line in lines:
        if _REFERENCE.match(line) or _RULE.match(line) or _TABLE_RULE.match(line):
            out.append("")
            continue
        if _SETEXT.match(line) and out and out[-1].strip():
            out.append("")
            continue
        line = _QUOTE.sub("", line)
        heading = _HEADING.match(line)
        if heading:
            out.extend(["", heading.group(1), ""])
            continue
        item = _LIST_ITEM.match(line)
        if item:
            out.extend(["", line[item.end() :]])
            continue
        if line.strip().startswith("|") or (line.count("|") >= 2 and line.strip().endswith("|")):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            out.extend(["", "; ".join(cell for cell in cells if cell), ""])
            continue
        out.append(line)
    return out


def _inline(text: str) -> str:
    """A line without inline markdown: images dropped, links to their text, emphasis and code-span marks removed."""
    spans: list[str] = []

    def hold(match: re.Match[str]) -> str:
        spans.append(match.group(2).strip())
        return f"\x00{len(spans) - 1}\x00"

    text = _CODE_SPAN.sub(hold, text)
    text = _IMAGE.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    for _ in range(2):  # a link inside emphasis, or emphasis inside a link
        text = _LINK.sub(r"\1", text)
        text = _STRONG.sub(r"\2", text)
        text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
        text = _STRIKE.sub(r"\1", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))].replace("<", "&lt;"), text)
