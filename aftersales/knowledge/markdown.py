"""Safe Markdown for article bodies: CommonMark through markdown-it-py with raw HTML off.

Nothing the author types reaches the page as HTML: `<script>` and every other tag are shown as
text, links only with http(s)/mailto/relative targets (markdown-it refuses javascript:, data:
and the like), images are not rendered (photos are attached to the article instead)."""

from __future__ import annotations

import html
from typing import Any

from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http://", "https://", "mailto:", "/", "#")


def _validate_link(url: str) -> bool:
    lowered = url.strip().lower()
    return lowered.startswith(_SAFE_SCHEMES) or ":" not in lowered.split("/", 1)[0]


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough").disable("image")
    md.validateLink = _validate_link  # type: ignore[method-assign]

    def link_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        return self.renderToken(tokens, idx, options, env)

    def heading_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # Headings inside an article are small (the page has its own title).
        tokens[idx].attrSet("class", "h5 mt-3" if tokens[idx].tag in ("h1", "h2") else "h6 mt-2")
        return self.renderToken(tokens, idx, options, env)

    def table_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("class", "table table-sm table-bordered w-auto")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("table_open", table_open)
    return md


_MD = _parser()


def plain(text: str, length: int = 120) -> str:
    """The text without its Markdown, for a one-line snippet in lists."""
    words = html.unescape(strip_tags(_MD.render(text or ""))).split()
    joined = " ".join(words)
    return joined if len(joined) <= length else joined[: length - 1] + "…"


def render(text: str) -> SafeString:
    """HTML for `text` (safe: escaped by the renderer, no raw HTML)."""
    return mark_safe(_MD.render(text or ""))  # noqa: S308 - raw HTML is disabled above
