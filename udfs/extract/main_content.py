"""Find a page's main content on the DOM, before interleaving (``extract.mode=main_content``).

The idea follows readability's published heuristic (not its code): paragraph-like nodes give
points to their parent and grandparent, by length and commas; a container's class/id and tag
add or remove points; the score shrinks with link density; the best container and its
strong siblings (and figures next to it: lead images) are the main content. Inside it,
blocks named like boilerplate, or made mostly of links, are dropped while walking.
Vocabularies cover English, German, French, Spanish, Italian, Portuguese, Dutch and Russian.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

POSITIVE = re.compile(
    r"article|\bbody|content|entry|h-?entry|\bmain|\bpage\b|\bpost|\btext|blog|story|prose|"
    r"artikel|beitrag|inhalt|haupt|contenu|texte|contenido|cuerpo|noticia|contenuto|testo|articolo|"
    r"conteudo|conteúdo|materia|matéria|inhoud|bericht|stat[ьи]|текст|контент|содержание", re.I)
NEGATIVE = re.compile(
    r"\bnav|(?<![a-z])menu|sidebar|side-bar|\baside|comment|share|sharing|social|cookie|consent|gdpr|related|recommend|"
    r"footer|\bfoot\b|breadcrumb|widget|advert|\bads?\b|\bad-|-ad\b|sponsor|promo|banner|popup|modal|"
    r"newsletter|subscri|signup|sign-up|login|masthead|header|toolbar|pagination|pager|\btags?\b|"
    r"byline|author-?bio|rating|\bprint|e-?mail|skip|outbrain|taboola|disqus|trending|most-?popular|"
    r"werbung|anzeige|kommentar|teilen|verwandt|empfehl|publicit|commentaire|partag|similaire|"
    r"publicidad|comentario|compartir|relacionad|pubblicit|commento|condividi|correlat|publicidade|"
    r"comentário|partilhar|reclame|advertentie|reactie|delen|gerelateerd|реклам|коммент|поделит|похож|"
    r"читайте-?также", re.I)
# Boilerplate however the name goes on ("cookie-content", "related-posts-body"): these win over a
# content word in the same name.
DECISIVE = re.compile(
    r"cookie|consent|gdpr|onetrust|newsletter|outbrain|taboola|related|recommend|trending|most-?popular|"
    r"paywall|promo|sponsor|advert|verwandt|empfehl|similaire|relacionad|correlat|gerelateerd|похож|"
    r"читайте-?также", re.I)
_SEPARATORS = re.compile(r"[-_]")
PARAGRAPHS = "p, pre, td, blockquote"  # list items score their list, which is rarely the article
PARAGRAPH_TAGS = frozenset({"p", "pre", "td", "blockquote"})
TEXT_CONTAINERS = frozenset({"div", "section", "article", "main", "span", "font", "center"})
MEDIA_NAMES = re.compile(r"image|img|figure|photo|picture|media|gallery|caption|bild|foto|imagen|immagine|"
                         r"imagem|afbeelding|изображ|фото", re.I)
CONTAINER_BASE = {"article": 10, "main": 10, "section": 3, "div": 5, "td": 3, "blockquote": 3, "body": 0,
                  "form": -3, "ul": -3, "ol": -3, "dl": -3, "li": -3, "address": -3, "aside": -10,
                  "nav": -20, "header": -5, "footer": -20, "th": -5, "h1": -5, "h2": -5, "h3": -5}
TOP_CANDIDATES, SHARED_BY = 5, 3  # readability: 3 of the top 5 under one ancestor...
SHARED_MIN_SCORE, SHARED_MAX_LINKS = 0.3, 0.3  # ... counting strong ones, and not a link farm
WIDEN_RATIO, WIDEN_SLACK = 1.1, 200  # an ancestor may add a tenth more text, plus a headline
SIBLING_MIN_CHARS, SIBLING_SHARE, SIBLING_MAX_LINKS = 500, 0.3, 0.1  # a sibling that continues the article
LIST_TAGS, LIST_PARENT_MAX_LINKS = frozenset({"table", "tbody", "ul", "ol", "dl"}), 0.5
CJK_WEIGHT = 3
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
MIN_PARAGRAPH = 25  # characters: shorter nodes score nothing (readability uses the same order)


@dataclass(slots=True)
class Candidate:
    node: object
    score: float


def class_weight(attrs: dict[str, str | None]) -> int:
    """+25 for a class/id naming content, -25 for one naming boilerplate (both can apply)."""
    return sum(_name_weight(attrs.get(name) or "") for name in ("class", "id"))


@lru_cache(maxsize=65536)
def _name_weight(value: str) -> int:
    return (-25 if NEGATIVE.search(value) else 0) + (25 if POSITIVE.search(value) else 0) if value else 0


def is_boilerplate(attrs: dict[str, str | None]) -> bool:
    """Named like boilerplate and not like content, or by its id or first class (the block's own
    name, not a script hook or a modifier further on) as boilerplate whatever else it says."""
    element_id = attrs.get("id") or ""
    if len(_SEPARATORS.findall(element_id)) >= 3:
        element_id = ""  # a heading's slug ("sharing-with-a-single-developer") names no block type
    classes = attrs.get("class") or ""
    names = " ".join(filter(None, (classes, element_id, attrs.get("role"))))
    return bool(names) and _boilerplate_name(names, f"{element_id} {classes.split(' ', 1)[0]}")


@lru_cache(maxsize=65536)
def _boilerplate_name(names: str, own_names: str) -> bool:
    return bool(NEGATIVE.search(names)) and (not POSITIVE.search(names) or bool(DECISIVE.search(own_names))) \
        and not MEDIA_NAMES.search(names)


OVERLAY_ROLES = frozenset({"dialog", "alertdialog"})


def is_overlay(attrs: dict[str, str | None]) -> bool:
    """A dialog over the page (consent and newsletter pop-ups): ARIA says so in any language."""
    return ((attrs.get("role") or "").strip().lower() in OVERLAY_ROLES
            or (attrs.get("aria-modal") or "").strip().lower() == "true")


def remove_overlays(tree) -> None:
    """Take dialogs out of the page before anything is scored: a long cookie notice must not
    outscore the article under it."""
    for node in tree.css("[role], [aria-modal]"):
        if is_overlay(node.attributes):
            node.decompose()


TEASER_ITEMS, TEASER_SHARE = 3, 0.6  # a list of teasers: this many same-kind items, this share with a linked headline
HEADINGS = "h1, h2, h3, h4, h5, h6"
TEASER_TAGS = frozenset({"ul", "ol", "div", "section", "table"})  # what a list of teasers is made of
TEASER_HEIGHT = 2  # the best candidate, its item and their list


def is_teaser_list(node) -> bool:
    """A list of teasers ("related", "more from", a stream of other stories): at least
    TEASER_ITEMS children of one kind (tag and first class), most of them holding a headline
    that links to another page. Plain link lists are caught by link density; teasers carry
    summaries that are not links."""
    kinds: dict[tuple, list] = {}
    for child in node.iter(include_text=False):
        kinds.setdefault((child.tag, (child.attributes.get("class") or "").split(" ", 1)[0]), []).append(child)
    items = max(kinds.values(), key=len, default=[])
    if len(items) < TEASER_ITEMS:
        return False
    linked = sum(1 for item in items if _linked_headline(item))
    return linked >= TEASER_ITEMS and linked >= TEASER_SHARE * len(items)


def _linked_headline(item) -> bool:
    """A heading in ``item`` that is (mostly) a link to another page; a permalink anchor ("¶",
    "#section") beside a document's own heading is not one."""
    for heading in item.css(HEADINGS):
        link = heading.css_first("a[href]") or _enclosing_link(heading, item)
        if link is None or (link.attributes.get("href") or "#").lstrip().startswith("#"):
            continue
        if 2 * len(link.text(strip=True)) >= len(heading.text(strip=True)):
            return True
    return False


def _enclosing_link(node, stop):
    while node is not None and node.mem_id != stop.mem_id:
        if node.tag == "a":
            return node
        node = node.parent
    return None


@dataclass
class MainContent:
    """The content subtrees of a page, and text lengths of every element for link density."""

    roots: list
    stats: dict[int, tuple[int, int]]  # mem_id -> (text length, text length inside links)
    holders: frozenset = frozenset()  # mem_ids of the best candidate and its ancestors: never boilerplate
    list_page: bool = False  # the best candidate is in a list of teasers: the page is such a list, keep them

    def text_length(self, node) -> int:
        return self.stats.get(node.mem_id, (0, 0))[0]

    def link_density(self, node) -> float:
        total, linked = self.stats.get(node.mem_id, (0, 0))
        return min(1.0, linked / total) if total else 0.0


def text_stats(root, text_holders: list) -> dict[int, tuple[int, int]]:
    """(text length, linked text length) of every element under ``root``: one post-order pass,
    so link density costs nothing per node (per-node ``text()`` would be quadratic on nesting).
    Containers holding text directly (blog posts written with <br>, not <p>) go to ``text_holders``."""
    stats: dict[int, tuple[int, int]] = {}
    holders: list[tuple[int, object]] = []
    # lexbor's own pre-order traversal (root first), with the open ancestors on a stack: an
    # element is closed, and its sums passed to its parent, when the walk leaves its subtree.
    # One pass, nothing of the page gathered, a Python loop the time limit can interrupt.
    path: list[list] = []  # [mem_id, text length, linked length, direct text length, pre-order index, node]

    def close() -> None:
        key, total, linked, direct, index, node = path.pop()
        tag = node.tag
        if tag == "a":
            linked = total
        stats[key] = (total, linked)
        if direct >= MIN_PARAGRAPH and tag in TEXT_CONTAINERS:
            holders.append((index, node))
        if path:
            path[-1][1] += total
            path[-1][2] += linked

    for index, node in enumerate(root.traverse(include_text=True)):
        if path:
            parent = node.parent.mem_id
            while path[-1][0] != parent:
                close()
        if node.tag == "-text":
            n = len((node.text_content or "").strip())
            path[-1][1] += n
            path[-1][3] += n
        else:
            path.append([node.mem_id, 0, 0, 0, index, node])
    while path:
        close()
    # latest in pre-order first: the order a stack walk finishes them in
    text_holders.extend(node for _, node in sorted(holders, key=lambda h: -h[0]))
    return stats


def find_main_content(tree) -> MainContent:  # noqa: C901 -- one pass, one branch per kind of node
    """The nodes whose subtrees are the main content, in page order (the body if nothing scores)."""
    body = tree.body
    if body is None:
        return MainContent([tree.root] if tree.root is not None else [], {})
    text_holders: list = []
    stats = text_stats(body, text_holders)
    content = MainContent([body], stats)
    scores: dict[int, Candidate] = {}

    def candidate(node) -> Candidate:
        key = node.mem_id
        if key not in scores:
            scores[key] = Candidate(node, CONTAINER_BASE.get(node.tag, 0) + class_weight(node.attributes))
        return scores[key]

    for paragraph in [*body.css(PARAGRAPHS), *text_holders]:
        if content.text_length(paragraph) < MIN_PARAGRAPH // CJK_WEIGHT:
            continue
        text = paragraph.text(strip=True, deep=paragraph.tag in PARAGRAPH_TAGS)
        length = len(text) + (CJK_WEIGHT - 1) * len(_CJK.findall(text))
        if length < MIN_PARAGRAPH:
            continue
        points = 1 + text.count(",") + text.count("،") + text.count("、") + text.count("，") + min(length // 100, 3)
        level, share = paragraph.parent, 1.0
        for share in (1.0, 0.5, 1 / 3):
            if level is None or level.tag in (None, "html", "#document"):
                break
            candidate(level).score += points * share
            level = level.parent
    if not scores:
        return content
    for cand in scores.values():
        cand.score *= 1 - content.link_density(cand.node)
    ranked = sorted(scores.values(), key=lambda c: c.score, reverse=True)
    top = ranked[0]
    chain = _ancestors(top.node) or [top.node]  # the node itself first
    holders = frozenset(n.mem_id for n in chain)
    list_page = any(n.tag in TEASER_TAGS and is_teaser_list(n) for n in chain[:TEASER_HEIGHT + 1])
    threshold = max(10.0, top.score * 0.2)
    strong = [c.node for c in ranked[1:TOP_CANDIDATES] if c.score >= top.score * SHARED_MIN_SCORE]
    root = _widen(_shared_ancestor(top.node, strong, content), content)
    if root.tag in LIST_TAGS and root.parent is not None and root.parent.tag not in ("body", "html") and \
            content.link_density(root.parent) < LIST_PARENT_MAX_LINKS and not is_boilerplate(root.parent.attributes):
        root = root.parent  # a table or list is rarely a whole article: its container is (list articles)
    parent = root.parent
    if parent is None or root.tag == "body":
        return MainContent([root], stats, holders, list_page)
    roots = []
    for sibling in parent.iter(include_text=False):
        if sibling.mem_id == root.mem_id:
            roots.append(sibling)
            continue
        cand = scores.get(sibling.mem_id)
        if cand is not None and cand.score >= threshold and not is_boilerplate(sibling.attributes):
            roots.append(sibling)
        elif _is_lead_media(sibling) or _is_strong_paragraph(sibling, content) or \
                _is_continuation(sibling, root, content):
            roots.append(sibling)
    return MainContent(roots, stats, holders, list_page)


def _ancestors(node) -> list:
    chain = []
    while node is not None and node.tag not in ("body", "html", None):
        chain.append(node)
        node = node.parent
    return chain


def _shared_ancestor(top, others: list, content: MainContent):
    """The lowest ancestor of the best candidate that also holds at least SHARED_BY of the next
    best ones: an article split into many scored blocks is one article (readability does this).
    An ancestor made mostly of links or named like boilerplate is not taken."""
    holders = {}
    for other in others:
        for ancestor in _ancestors(other):
            holders[ancestor.mem_id] = holders.get(ancestor.mem_id, 0) + 1
    for ancestor in _ancestors(top):
        if holders.get(ancestor.mem_id, 0) >= SHARED_BY:
            if content.link_density(ancestor) <= SHARED_MAX_LINKS and not is_boilerplate(ancestor.attributes):
                return ancestor
            break
    return top


def _widen(node, content: MainContent):
    """Climb to ancestors that add little text of their own (headline, lead image, captions
    wrapped around the article body), stopping before one that adds a sidebar's worth."""
    own = content.text_length(node)
    while node.parent is not None and node.parent.tag not in ("body", "html", None):
        if content.text_length(node.parent) > own * WIDEN_RATIO + WIDEN_SLACK:
            break
        node = node.parent
    return node


def _is_lead_media(node) -> bool:
    if node.tag in ("figure", "picture", "img"):
        return not is_boilerplate(node.attributes)
    return False


def _is_continuation(node, root, content: MainContent) -> bool:
    """A sibling block as substantial as a part of the article (an article split over sections)."""
    length = content.text_length(node)
    return (node.tag == root.tag and length >= max(SIBLING_MIN_CHARS, SIBLING_SHARE * content.text_length(root))
            and content.link_density(node) < SIBLING_MAX_LINKS and not is_boilerplate(node.attributes))


def _is_strong_paragraph(node, content: MainContent) -> bool:
    return node.tag == "p" and content.text_length(node) > 80 and content.link_density(node) < 0.25
