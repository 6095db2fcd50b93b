"""Walk every page a signed-in user can reach by following links, and find text that should
not be there: an internal code (a dotted or snake_case key, a choice's stored value) where a
label belongs, or an interface string of the other language.

What the user reads is checked: text outside <script>, <style> and form fields' contents, and
the title, placeholder, aria-label and alt attributes. Data (names, addresses, descriptions)
is not interface text; the other-language check therefore compares whole pieces of text with
the message catalogue rather than guessing from the script.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

# A key with dots or underscores between lowercase words: `general.period_expired`,
# `no_voucher_start_inferred_from_serial`, `order.assign`.
CODE = re.compile(r"(?<![\w@/.:{-])[a-z][a-z0-9]*(?:[._][a-z0-9]+)+(?![\w@/-]|\.\w)")
# Things with dots that are not codes.
NOT_CODE = re.compile(
    r"\.(pdf|xlsx|csv|png|jpe?g|svg|json|js|css|html|txt|com|cn|org|net)$|^(e\.g|i\.e)$"
)
# Three or more English words in a row on a Chinese page.
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}\b")
CJK = re.compile(r"[\u4e00-\u9fff]")

SKIP_PATHS = re.compile(
    r"^/(static|media|api|logout|i18n|admin)/|\.(pdf|xlsx|csv|png|jpg|svg)$|/(photos|signatures|"
    r"attachments)/|^/(s|r|q)/|^/portal/"
)


class _Text(HTMLParser):
    ATTRS = ("title", "placeholder", "aria-label", "alt")
    HIDDEN = {"script", "style", "textarea", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.HIDDEN:
            self._hidden += 1
        for name in self.ATTRS:
            if values.get(name):
                self.texts.append(str(values[name]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def page_text(html: str) -> tuple[list[str], list[str]]:
    parser = _Text()
    parser.feed(html)
    return parser.texts, parser.links


def catalogue() -> dict[str, str]:
    """msgid -> msgstr of every zh-hans catalogue."""
    from aftersales.core.tests.test_translations import _catalogues, _entries

    root = Path(__file__).resolve().parents[2]
    return {
        m.replace('\\"', '"'): s.replace('\\"', '"')
        for po in _catalogues(root)
        for m, s, flags in _entries(po.read_text())
        if m and s and "fuzzy" not in flags
    }


def choice_codes() -> set[str]:
    """Stored values of every model field's choices whose label differs from the value."""
    from django.apps import apps

    codes: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("aftersales."):
            continue
        for f in model._meta.get_fields():
            for value, label in getattr(f, "flatchoices", None) or []:
                if isinstance(value, str) and value and value != str(label):
                    codes.add(value)
    return codes


@dataclass
class Finding:
    path: str
    language: str
    kind: str
    text: str


@dataclass
class Checker:
    language: str
    messages: dict[str, str]
    codes: set[str]
    allowed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # Interface strings of the other language, as whole pieces of text.
        if self.language == "en":
            self.foreign = {
                s for m, s in self.messages.items() if s != m and CJK.search(s) and len(s) > 1
            }
        else:
            self.foreign = {
                m for m, s in self.messages.items() if s != m and " " in m and "%" not in m
            }

    def check(self, texts: list[str]) -> Iterator[tuple[str, str]]:
        for text in texts:
            if text in self.allowed:
                continue
            for match in CODE.finditer(text):
                word = match.group(0)
                if not NOT_CODE.search(word) and word not in self.allowed:
                    yield "code", word
            # On an English page a label may be the same word as some stored value ("urgent",
            # "first"): text that is itself a message of the catalogue is a label.
            if text in self.codes and not (self.language == "en" and text in self.messages):
                yield "code", text
            if text in self.foreign:
                yield "other language", text
            elif self.language != "en" and not CJK.search(text):
                run = ENGLISH_RUN.search(text)
                if run and run.group(0) not in self.allowed:
                    yield "other language", run.group(0)


def shape(path: str) -> str:
    """A url's pattern: numbers replaced, the query's keys kept (not their values)."""
    parts = urlsplit(path)
    keys = sorted({kv.split("=")[0] for kv in parts.query.split("&") if kv})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def crawl(
    client: Any, start: list[str], *, per_shape: int = 2, limit: int = 150
) -> Iterator[tuple[str, str]]:
    """(path, html) of each page reached from `start` by GET links on the same site. A link
    that leads to a refusal (403) gives "forbidden …, linked from …" as its page: a page shows
    no link its reader may not follow."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = [(path, "") for path in start]
    while queue and len(seen) < limit:
        path, linked_from = queue.pop(0)
        if path in seen or SKIP_PATHS.search(urlsplit(path).path):
            continue
        if shapes.get(shape(path), 0) >= per_shape:
            continue
        seen.add(path)
        shapes[shape(path)] = shapes.get(shape(path), 0) + 1
        response = client.get(path)
        if response.status_code >= 500:
            yield path, f"<p>server error {response.status_code}</p>"
            continue
        if response.status_code == 403:
            yield path, f"<p>forbidden, linked from {linked_from or 'the menu'}</p>"
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        yield path, html
        for href in page_text(html)[1]:
            href = urldefrag(href)[0]
            if href.startswith("?"):
                href = path.split("?")[0] + href
            if href.startswith("/") and not href.startswith("//") and href not in seen:
                queue.append((href, path))
