"""The extraction development set (../shared/data/html/extraction_dev, 774 real pages with gold
main-content text) split into a tuning half and a check half by site.

Honest tuning: extraction constants are chosen on the ``tune`` half only and reported on both
(bench/extract.py); tests hold the ``check`` half's levels. A site (registered domain; for the
few pages without a URL, the source's site name) is never in both halves. The split is
stratified by source and language: within each (source, language) stratum, sites in a fixed
hashed order go to whichever half has fewer pages of that stratum so far, so every source and
every large language is in both halves with about as many pages; ties go to the smaller half.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import SHARED

DEV_DIR = SHARED / "html" / "extraction_dev"
HALVES = ("tune", "check")


@dataclass(frozen=True)
class DevPage:
    id: str
    url: str | None
    site: str
    source: str  # the source repository, e.g. flairNLP/fundus
    language: str
    kind: str
    gold: str  # full, or prefix (only the start of the main content)
    charset: str  # what decoded the HTML bytes (the manifest's html_charset)
    folder: Path

    def html(self) -> str:
        return gzip.decompress((self.folder / "source.html.gz").read_bytes()).decode(self.charset, "replace")

    def expected(self) -> str:
        return (self.folder / "expected.txt").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _manifest() -> tuple[dict, ...]:
    return tuple(json.loads(line) for line in (DEV_DIR / "manifest.jsonl").read_text().splitlines() if line.strip())


def _site(entry: dict) -> str:
    """The page's registered domain; without a URL, the site part of its folder name
    (``fundus-at-derstandard-2024-05-03`` → ``fundus-at-derstandard``)."""
    from udfs.common.url_normalize import registered_domain

    host = urlsplit(entry["url"]).hostname if entry.get("url") else None
    if host:
        return registered_domain(host)
    return re.sub(r"(-\d{4}-\d{2}-\d{2})?(-\d+)?$", "", entry["id"])


@lru_cache(maxsize=1)
def pages() -> tuple[DevPage, ...]:
    return tuple(DevPage(id=m["id"], url=m.get("url"), site=_site(m), source=m["source_repo"], language=m["language"],
                         kind=m["kind"], gold=m["gold"], charset=m.get("html_charset") or "utf-8",
                         folder=DEV_DIR / m["id"]) for m in _manifest())


def _order(site: str) -> str:
    return hashlib.sha256(site.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def split() -> dict[str, str]:
    """Page id → ``tune`` or ``check``."""
    by_site: dict[str, list[DevPage]] = defaultdict(list)
    for page in pages():
        by_site[page.site].append(page)
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for site, members in by_site.items():  # a site's stratum: its most common (source, language)
        stratum = Counter((p.source, p.language) for p in members).most_common(1)[0][0]
        strata[stratum].append(site)
    half_of_site: dict[str, str] = {}
    total = {half: 0 for half in HALVES}  # ties go to the half with fewer pages overall
    for stratum in sorted(strata):
        filled = {half: 0 for half in HALVES}
        for site in sorted(strata[stratum], key=_order):
            half = min(HALVES, key=lambda h: (filled[h], total[h], HALVES.index(h)))
            half_of_site[site] = half
            filled[half] += len(by_site[site])
            total[half] += len(by_site[site])
    return {page.id: half_of_site[page.site] for page in pages()}


def half(name: str) -> list[DevPage]:
    """The pages of one half, in manifest order."""
    halves = split()
    return [p for p in pages() if halves[p.id] == name]


_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")


def tokens(text: str) -> Counter:
    """A bag of the text's tokens for recall and leak: lower-cased words, and each Chinese,
    Japanese or Korean character on its own (those scripts do not separate words)."""
    return Counter(t.lower() for t in _TOKEN.findall(unicodedata.normalize("NFKC", text)))
