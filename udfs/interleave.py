"""Walk an HTML DOM in page order and emit an interleaved sequence of text blocks and images.

One iterative pass over lexbor's tree (no recursion, so 10,000-deep pages are fine), applying
the rules of ``udfs.dom_simplify``. Text between two images becomes one text block whose
paragraphs are separated by blank lines, as OBELICS lays documents out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from udfs import dom_simplify as rules

_SPACES = re.compile(r"[^\S\n]+")
_AROUND_NEWLINE = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")
_WS = re.compile(r"\s+")


@dataclass(slots=True)
class ImageNode:
    attrs: dict[str, str | None]
    figcaption: str | None


@dataclass(slots=True)
class Page:
    """The page as interleaved blocks: ``str`` for text, ``ImageNode`` for images."""

    blocks: list[str | ImageNode]
    base_href: str | None
    title: str | None


def parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def interleave(tree: LexborHTMLParser) -> Page:
    base = tree.css_first("base[href]")
    title = tree.css_first("title")
    root = tree.body or tree.root
    blocks: list[str | ImageNode] = []
    parts: list[str] = []

    def flush() -> None:
        text = clean_text("".join(parts))
        parts.clear()
        if text:
            blocks.append(text)

    # Stack of (node, figcaption context) to enter, or separator strings to emit on leaving.
    stack: list = [(root, None)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        node, caption = item
        tag = node.tag
        if tag == "-text":
            parts.append(_WS.sub(" ", node.text_content or ""))
            continue
        if tag is None or tag.startswith("-") or tag.startswith("_"):
            continue  # comments, doctype
        attrs = node.attributes
        action = rules.node_action(tag, attrs)
        if action == rules.STOP:
            break
        if action == rules.DROP:
            continue
        if tag == "br":
            parts.append("\n")
            continue
        if tag == "img":
            flush()
            blocks.append(ImageNode(dict(attrs), caption))
            continue
        if tag == "figure":
            cap = node.css_first("figcaption")
            caption = clean_text(cap.text(separator=" ")) if cap is not None else None
        sep = rules.separator(tag)
        if sep:
            parts.append(sep)
            stack.append(sep)
        children = list(node.iter(include_text=True))
        stack.extend((child, caption) for child in reversed(children))
    flush()
    return Page(blocks, base.attributes.get("href") if base is not None else None,
                clean_text(title.text()) if title is not None else None)


def clean_text(text: str) -> str:
    """Collapse spaces, trim lines, at most one blank line in a row."""
    text = _SPACES.sub(" ", text)
    text = _AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
