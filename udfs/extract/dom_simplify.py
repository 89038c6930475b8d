"""OBELICS's DOM simplification rules (REFERENCE.md), as decisions about single nodes.

The walker in ``udfs.extract.interleave`` applies them in one pass over lexbor's tree, which gives the
same texts and images as simplifying the tree first, without copying or mutating it: a removed
node's subtree is skipped, an unwrapped (inline) tag is walked through, a kept structure tag
adds its separator, and pruning empty leaves or collapsing same-tag chains changes no text.
"""
from __future__ import annotations

import re

# OBELICS: inline tags, unwrapped (their text joins the surrounding text).
INLINE = frozenset({
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "mark", "nobr", "q", "s", "samp", "shadow", "small", "span", "strike", "strong", "sub",
    "sup", "time", "tt", "u", "var", "wbr",
})
# OBELICS: structure tags that stay; the first set separates paragraphs with a blank line.
PARAGRAPH_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "blockquote"})
LINE_BLOCKS = frozenset({
    "address", "article", "aside", "body", "caption", "center", "dd", "dt", "div", "figcaption", "hgroup",
    "html", "legend", "main", "marquee", "section", "summary", "title", "figure", "picture",
})
MEDIA = frozenset({"audio", "embed", "iframe", "img", "object", "video", "source"})
KEPT = INLINE | PARAGRAPH_BLOCKS | LINE_BLOCKS | MEDIA | {"br"}
# Never content, whatever the mode (weft adds these to OBELICS's list).
ALWAYS_DROPPED = frozenset({"script", "style", "noscript", "template", "form", "head", "svg", "math",
                            "button", "select", "textarea", "input", "canvas", "dialog"})
# OBELICS: a div whose id, class or title is exactly one of these is removed.
CHROME_NAMES = frozenset({"footer", "header", "navigation", "nav", "navbar", "menu"})
# OBELICS: class tokens removed anywhere; "more-link" ends the document.
CHROME_CLASSES = frozenset({"footer", "site-info"})
END_CLASS = "more-link"
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# OBELICS's tree keeps these as leaves without text (their fallback text is not content); a
# figcaption's text goes to the image's metadata only.
TEXTLESS = frozenset({"audio", "embed", "iframe", "object", "video", "source", "figcaption"})

DROP, WALK, STOP, WALK_CHILDREN = "drop", "walk", "stop", "walk_children"  # the last: not its own text
IMAGES_ONLY = "images_only"  # keep the <img> elements under the node, nothing else


def is_hidden(attrs: dict[str, str | None]) -> bool:
    return ("hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true"
            or bool(_DISPLAY_NONE.search(attrs.get("style") or "")))


def node_action(tag: str, attrs: dict[str, str | None]) -> str:
    """DROP the node and its subtree, WALK it (kept or unwrapped), WALK_CHILDREN (its element
    children but not its own text), or STOP the document here."""
    if tag in ALWAYS_DROPPED or tag not in KEPT or tag in TEXTLESS:
        return DROP
    if not attrs:
        return WALK
    classes = set((attrs.get("class") or "").lower().split())
    if END_CLASS in classes:
        return STOP
    if classes & CHROME_CLASSES or is_hidden(attrs):
        return DROP
    if tag == "div":
        names = {(attrs.get(k) or "").strip().lower() for k in ("id", "class", "title")}
        if names & CHROME_NAMES:
            return DROP
        if "date" in (attrs.get("class") or ""):  # OBELICS: only the div's own text goes
            return WALK_CHILDREN
    return WALK


def separator(tag: str) -> str:
    """Text put around a kept block: a blank line between paragraphs, a newline between lines."""
    if tag in PARAGRAPH_BLOCKS:
        return "\n\n"
    if tag in LINE_BLOCKS:
        return "\n"
    return ""
