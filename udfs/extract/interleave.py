"""Walk an HTML DOM in page order and emit an interleaved sequence of text blocks and images.

One iterative pass over lexbor's tree (no recursion, so 10,000-deep pages are fine). Two rule
sets: ``obelics`` (``udfs.extract.dom_simplify``: OBELICS's whitelist, everything else dropped with its
content) and ``main_content`` (``udfs.extract.main_content`` picks the content subtrees; inside them
every tag is walked except boilerplate, and lists, tables, ``pre`` and definition lists are
kept). Text between two images becomes one text block whose paragraphs are separated by blank
lines, as OBELICS lays documents out. All text clean-up is linear in the text's length.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from udfs.extract import dom_simplify as rules
from udfs.extract import main_content

_SPACES = re.compile(r"[^\S\n]+")
# Private-use stand-ins that survive whitespace cleaning: a space or tab inside <pre>, a cell end,
# and the two block separators (a run of separators is one line break, or one blank line when it
# holds a paragraph break or two explicit newlines). Page text loses these code points first.
PRE_SPACE, CELL_END, PRE_TAB, LINE, PARAGRAPH = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"
STAND_IN_CHARS = (PRE_SPACE, CELL_END, PRE_TAB, LINE, PARAGRAPH)
_STAND_INS = str.maketrans({c: None for c in STAND_IN_CHARS})
_BREAKS = re.compile(r"(?<![^\S\n])[^\S\n]*(?:[\n\ue003\ue004][^\S\n]*)+")  # starts only at a run's start
_CELLS_AT_LINE_END = re.compile(r"(?<![ \ue001])[ \ue001]+(?=\n|$)")
_PRE_WS = str.maketrans({" ": PRE_SPACE, "\t": PRE_TAB, "\r": None,
                         **{c: None for c in (CELL_END, LINE, PARAGRAPH)}})
_RESTORE = str.maketrans({PRE_SPACE: " ", PRE_TAB: "\t", CELL_END: " | "})

# main_content: blocks separated by a blank line, or by a newline; cells end with " | ".
MC_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "dl",
                           "table", "figure", "hr"})
MC_LINES = frozenset({"li", "tr", "dt", "dd", "div", "section", "article", "main", "header", "figcaption",
                      "caption", "summary", "details", "address", "center", "legend", "fieldset", "picture"})
# ASP.NET pages wrap the whole body in a form; lazy-loading pages keep the real <img> in <noscript>;
# MathML is content (its tokens are walked as inline text).
MC_STRIPPED = rules.ALWAYS_DROPPED - {"form", "noscript", "math"}
MC_DROPPED = MC_STRIPPED | {"nav", "aside", "footer", "iframe", "object", "embed", "audio", "video"}
LINK_LISTS = frozenset({"ul", "ol", "div", "section", "table", "p"})
FALLBACK_CHARS = 100  # main content with less text: the whole body, cleaned the same way, if it has this much


def _chars(blocks: list) -> int:
    """Characters of text other than spaces (scripts without spaces between words count alike)."""
    return sum(len(b) - b.count(" ") - b.count("\n") for b in blocks if isinstance(b, str))


@dataclass(slots=True)
class ImageNode:
    attrs: dict[str, str | None]
    figcaption: str | None


@dataclass(slots=True)
class Page:
    """The page as interleaved blocks: ``str`` for text, ``ImageNode`` for images."""

    blocks: list[str | ImageNode]
    base_href: str | None


def parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def interleave(tree: LexborHTMLParser, mode: str = "obelics") -> Page:
    base = tree.css_first("base[href]")
    base_href = base.attributes.get("href") if base is not None else None
    if mode == "main_content":
        tree.strip_tags(sorted(MC_STRIPPED))
        main_content.remove_overlays(tree)
        content = main_content.find_main_content(tree)
        blocks = _walk(content.roots, _main_content_action(content), _main_content_separator)
        if _chars(blocks) < FALLBACK_CHARS:  # nothing won: with lists of teasers (a page of them), then the body
            action = _main_content_action(content, teasers=True)
            blocks = _walk(content.roots, action, _main_content_separator)
            if _chars(blocks) < FALLBACK_CHARS and tree.body is not None and content.roots != [tree.body]:
                whole = _walk([tree.body], action, _main_content_separator)  # the cleaned body
                if _chars(whole) >= FALLBACK_CHARS:  # a body with as little is no article either
                    blocks = whole
    else:
        blocks = _walk([tree.body or tree.root], _obelics_action, _obelics_separator)
    return Page(blocks, base_href)


def _obelics_action(node, tag: str, attrs: dict) -> str:
    return rules.node_action(tag, attrs)


def _obelics_separator(tag: str) -> str:
    return {"\n\n": PARAGRAPH, "\n": LINE, "": ""}[rules.separator(tag)]


def _main_content_action(content: main_content.MainContent, teasers: bool = False):
    """Main content's node rules; ``teasers``: keep lists of teasers."""
    def action(node, tag: str, attrs: dict) -> str:
        if tag == "noscript":  # its images (the real ones behind a lazy placeholder), not its text
            return rules.IMAGES_ONLY if node.css_first("img") is not None else rules.DROP
        if tag == "img" and _noscript_image_follows(node):
            return rules.DROP  # the placeholder: the <noscript> image after it is the real one
        if tag in MC_DROPPED or (attrs and (rules.is_hidden(attrs) or (
                main_content.is_boilerplate(attrs) and node.mem_id not in content.holders))):
            return rules.DROP  # a wrapper named like a sidebar that holds the article is not dropped
        if tag in LINK_LISTS:
            length, density = content.text_length(node), content.link_density(node)
            if (tag != "p" and length < 1000 and density > 0.5) or (tag == "p" and length < 200 and density > 0.8):
                return rules.DROP
            if tag != "p" and not (teasers or content.list_page) and node.mem_id not in content.holders and \
                    main_content.is_teaser_list(node):
                return rules.DROP
        return rules.WALK
    return action


def _noscript_image_follows(img) -> bool:
    sibling = img.next
    while sibling is not None and sibling.tag == "-text" and not (sibling.text_content or "").strip():
        sibling = sibling.next
    return sibling is not None and sibling.tag == "noscript" and sibling.css_first("img") is not None


def _main_content_separator(tag: str) -> str:
    if tag in MC_PARAGRAPHS:
        return PARAGRAPH
    if tag in MC_LINES:
        return LINE
    if tag in ("td", "th"):
        return CELL_END
    return ""


def _walk(roots: list, action, separator) -> list[str | ImageNode]:
    blocks: list[str | ImageNode] = []
    parts: list[str] = []

    def flush() -> None:
        text = clean_text("".join(parts))
        parts.clear()
        if text:
            blocks.append(text)

    # Stack of (node, figcaption context, inside <pre>, emit own text) to enter, or strings to
    # emit on leaving.
    stack: list = [(root, None, False, True) for root in reversed(roots) if root is not None]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        node, caption, in_pre, with_text = item
        tag = node.tag
        if tag == "-text":
            if with_text:
                text = node.text_content or ""
                parts.append(text.translate(_PRE_WS) if in_pre else collapse_spaces(text))
            continue
        if tag is None or tag[0] in "-_":
            continue  # comments, doctype
        attrs = node.attributes
        verdict = action(node, tag, attrs)
        if verdict == rules.STOP:
            break
        if verdict == rules.DROP:
            continue
        if tag == "br":
            parts.append("\n")
            continue
        if tag == "img" or verdict == rules.IMAGES_ONLY:
            flush()
            images = [node] if tag == "img" else node.css("img")
            blocks.extend(ImageNode(dict(img.attributes), caption) for img in images)
            continue
        if tag == "figure":
            cap = node.css_first("figcaption")
            caption = clean_text(cap.text(separator=" ").translate(_STAND_INS)) if cap is not None else None
        sep = separator(tag)
        if sep == CELL_END:
            stack.append(sep)
        elif sep:
            parts.append(sep)
            stack.append(sep)
        pre = in_pre or tag == "pre"
        own_text = verdict != rules.WALK_CHILDREN
        children = list(node.iter(include_text=True))
        stack.extend((child, caption, pre, own_text or child.tag != "-text") for child in reversed(children))
    flush()
    return blocks


def collapse_spaces(text: str) -> str:
    """``text`` without the stand-in code points, each whitespace run one space (``\\s+`` to " ",
    done by str.split: a regex and a dict-table translate cost ~20 ns a character)."""
    if any(c in text for c in STAND_IN_CHARS):
        text = text.translate(_STAND_INS)
    core = " ".join(text.split())  # str.split's whitespace is exactly re's \s (checked for every code point)
    if not core:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + core + (" " if text[-1].isspace() else "")


def _break(m: re.Match) -> str:
    run = m.group(0)
    return "\n\n" if PARAGRAPH in run or run.count("\n") >= 2 else "\n"


def clean_text(text: str) -> str:
    """Collapse spaces, one break per run of separators, trim; restore <pre> whitespace and
    turn cell ends into " | " separators (none at a line's end)."""
    text = _BREAKS.sub(_break, text)
    text = _SPACES.sub(" ", text).strip()
    if CELL_END in text:
        text = _CELLS_AT_LINE_END.sub(lambda m: "" if CELL_END in m.group(0) else m.group(0), text)
    return text.translate(_RESTORE) if any(c in text for c in (PRE_SPACE, PRE_TAB, CELL_END)) else text
