"""DOCTYPEs in feeds and WordPress exports: a harmless internal entity is read; external entities, parameter
entities and expansion bombs are refused with a message saying why, in both readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import CorpusError, read_sources

NBSP = '<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>'
LOL = "&lol{};"
BOMB = (
    '<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{n} "{LOL.format(n - 1) * 10}">\n' for n in range(1, 10))
    + "]>"
)


def rss(doctype: str, text: str, root: str = "rss") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<rss version="2.0"><channel><title>Ward Notes</title>'
        f"<item><title>Rota&nbsp;notes</title><link>https://f.example/rota</link>"
        f"<description>{text}</description></item></channel></rss>\n"
    ).replace("<rss version", f"<{root} version")


def atom(doctype: str, text: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype.replace("rss", "feed")}\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Ward&nbsp;Notes</title><entry><title>Rota&nbsp;notes'
        f"</title><id>1</id><link href='https://f.example/rota'/><summary>{text}</summary></entry></feed>\n"
    )


def wxr(doctype: str, text: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<rss version="2.0" '
        'xmlns:wp="https://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Ward Notes</title><item><title>Rota&nbsp;notes</title><link>https://f.example/rota</link>"
        f"<content:encoded>{text}</content:encoded><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type></item></channel></rss>\n"
    )


FORMATS = {"feed.rss": rss, "feed.atom": atom, "export.xml": wxr}


@pytest.mark.parametrize("name", FORMATS)
def test_an_internal_entity_is_read(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_text(FORMATS[name](NBSP, "Shifts&nbsp;of twelve hours &amp; more."), encoding="utf-8")
    (post,) = read_sources([path]).posts
    assert post.title == "Rota notes"
    assert post.text == "Shifts of twelve hours & more."
    assert post.url == "https://f.example/rota"


def test_a_feed_with_an_internal_entity_on_several_lines_keeps_its_cdata(tmp_path: Path):
    path = tmp_path / "feed.rss"
    doctype = '<!DOCTYPE rss [\n  <!ENTITY nbsp "&#160;">\n  <!ENTITY ward "Ward 7">\n]>'
    path.write_text(rss(doctype, "<![CDATA[<p>Rota of &ward; <b>here</b>.</p>]]>&ward;"), encoding="utf-8")
    (post,) = read_sources([path]).posts
    # Inside CDATA the reference is text (the HTML reader then sees "&ward" with no entity of that name).
    first, second = post.text.split("\n\n")
    assert first.startswith("Rota of &ward") and "Ward 7" not in first
    assert second == "Ward 7"


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize(
    ("doctype", "text", "problem"),
    [
        ('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>', "Host: &xxe;", "'xxe' is external"),
        ('<!DOCTYPE rss [<!ENTITY xxe PUBLIC "-//X//Y" "http://127.0.0.1:9/x">]>', "&xxe;", "'xxe' is external"),
        ('<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>', "text", "'p' is external"),
        ("<!DOCTYPE rss [<!ENTITY % p \"<!ENTITY x 'y'>\"> %p;]>", "text", "parameter entity %p;"),
        (BOMB, "&lol9;", "'lol1' refers to other entities"),
        ('<!DOCTYPE rss [<!ENTITY a "&#38;b;"><!ENTITY b "x">]>', "&a;", "'a' refers to other entities"),
        ('<!DOCTYPE rss [<!ENTITY big "' + "x" * 10_000 + '">]>', "&big;" * 1_000, "'big' is 10,000 characters long"),
    ],
)
def test_external_parameter_nested_and_long_entities_are_refused(tmp_path: Path, name, doctype, text, problem):
    path = tmp_path / name
    path.write_text(FORMATS[name](doctype, text), encoding="utf-8")
    with pytest.raises(CorpusError, match=problem) as caught:
        read_sources([path])
    assert str(path) in str(caught.value)


def test_an_external_dtd_subset_is_never_read_and_does_not_stop_a_feed(tmp_path: Path):
    path = tmp_path / "netscape.rss"
    doctype = (
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    )
    path.write_text(rss(doctype, "Old but fine.").replace("&nbsp;", " "), encoding="utf-8")
    (post,) = read_sources([path]).posts
    assert post.text == "Old but fine."
