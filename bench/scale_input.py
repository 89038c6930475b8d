"""A CommonCrawl-sized WARC built from the bundled real pages, for scale runs of the pipeline:
bounded memory (at 1/4, 1/2 and 1x of the input) and throughput.

    python bench/scale_input.py [--out bench/out/scale] [--pages 40000] [--min-gz-bytes 1e9] [--seed 0]
                                [--workers 2] [--giant-pages 2] [--giant-bytes 20000000] [--gzip-level 6]

Writes, deterministically from --seed (the bytes depend only on the seed, the options and the
zlib build; not on --workers):

    CC-MAIN-2026-49-weft-scale-full.warc.gz      --pages HTML 200 pages, more while under --min-gz-bytes
    CC-MAIN-2026-49-weft-scale-half.warc.gz      the first half of the same record stream
    CC-MAIN-2026-49-weft-scale-quarter.warc.gz   the first quarter
    <file>.stats.json                            records by type and status, sizes, pages by source

Pages: the 774 pages of ../shared/data/html/extraction_dev and the 130 of html/mozilla_readability,
their bytes in their own charset (declared in the HTTP Content-Type), cut at 1 MiB with
``WARC-Truncated: length`` as CommonCrawl does (except the --giant-pages pages, padded with the
page's own paragraphs to --giant-bytes and placed in the first quarter). The first capture of a
source page keeps its text; every later copy replaces each visible word with probability 0.25
by a word of the same page (text outside tags, scripts, styles, noscript and comments), so copies
share few word 5-grams; 10% of copies are planted duplicates of an earlier copy (half exact, half
with 1% of words changed). Every copy has its own URL (the page's URL with the path changed, the
host spread over 50 ``sNN.`` subdomains) and its own image URLs (every <img> URL attribute,
srcset included, made absolute and given ``weft=<copy>``). About 10% of the pages are followed by
up to 3 archived image responses (real photos of ../shared/data/images, some re-encoded), and the
stream carries about 4% non-200 HTML responses (301/302/404) and 2% non-HTML ones (robots.txt,
JSON, PDF). Layout as CommonCrawl ships it: one gzip member per record, warcinfo first, then
request, response and metadata per capture.

Generation streams: --workers processes each turn chunks of captures into gzip members, the
parent writes them in order (at most a few chunks in flight). Not a test; the figures it prints
(sizes, counts, seconds) go to RESULTS.md.
"""
from __future__ import annotations

import argparse
import base64
import collections
import gzip
import hashlib
import html
import json
import multiprocessing as mp
import random
import re
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from udfs.extract.image_refs import resolve_url  # noqa: E402 -- after the path is set
DATA = REPO.parent / "shared" / "data"

CRAWL = "CC-MAIN-2026-49"
PREFIX = f"{CRAWL}-weft-scale"
PARTS = ("full", "half", "quarter")
TRUNCATE_BYTES = 1 << 20  # CommonCrawl's payload limit
SUBDOMAINS = 50
PERTURB_RATE = 0.25  # words replaced in a copy
NEAR_RATE = 0.01  # words replaced in a near duplicate
DUPLICATE_RATE = 0.10  # copies that are planted duplicates of an earlier copy
IMAGE_PAGE_RATE = 0.13  # pages picked for archived images; 3/4 have an archivable <img>: ~10% get some
IMAGES_PER_PAGE = 3
STATUS_RATE = 0.042  # non-200 HTML responses per page (about 4% of HTML responses)
OTHER_RATE = 0.02  # non-HTML responses per page
STATUS_CYCLE = (301, 404, 302, 301, 404)  # kinds in turn
OTHER_CYCLE = ("robots", "json", "pdf", "robots", "json", "robots", "pdf", "robots", "json", "robots")
MAX_IMAGE_BYTES = 1_000_000
START = datetime(2026, 11, 24, tzinfo=timezone.utc)
SECONDS_PER_GROUP = 13
CHUNK_GROUPS = 8  # captures per worker task
USER_AGENT = "CCBot/2.0 (https://commoncrawl.org/faq/)"

# --- tokens of an HTML page -------------------------------------------------------------------
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_QUOTED_TAG = "(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
TOKEN = re.compile(
    r"(?P<c><!--.*?(?:-->|\Z))"
    r"|(?P<r><(?P<rn>script|style|noscript|textarea|template)\b[^>]*>.*?(?:</(?P=rn)\s*>|\Z))"
    rf"|(?P<img><img\b(?:{_QUOTED_TAG}>|[^>]*>))"
    rf"|(?P<t></?[a-z!?](?:{_QUOTED_TAG}>|[^>]*>))"
    r"|(?P<e>&#?[a-z0-9]+;?)"
    rf"|(?P<w>[{_CJK}]|[^\W\d_{_CJK}]+)",
    re.I | re.S)
IMG_TAG = re.compile(rf"<img\b(?:{_QUOTED_TAG}>|[^>]*>)", re.I | re.S)
ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
BASE_HREF = re.compile(r"""<base\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)
PARAGRAPH = re.compile(r"<p\b[^>]*>.{80,20000}?</p\s*>", re.I | re.S)
META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.I)
PAGE_URL = (re.compile(r"""<meta[^>]+property=["']og:url["'][^>]*content=["']([^"']+)""", re.I),
            re.compile(r"""<meta[^>]+content=["']([^"']+)["'][^>]*property=["']og:url""", re.I),
            re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)""", re.I))
_CLEAN_URL = re.compile(r"https?://[!#-;=?-\[\]_a-z~]+", re.I)  # ASCII; no space, quote, <, >, backslash, ^, `, {, |, }
_SRCSET_LIKE = re.compile(r"\s\d+(?:\.\d+)?[wx](?:,|\s*$)")


# --- sources ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    key: str  # corpus/id
    corpus: str  # extraction_dev or mozilla_readability
    path: str
    url: str
    charset: str
    language: str | None
    html_bytes: int


def normalise_url(url: str) -> str:
    """ASCII URL as CommonCrawl writes it: IDNA host, percent-encoded path and query."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").encode("idna").decode("ascii")
    safe = "/:@!$&'()*+,;=-._~%"
    return urlunsplit((parts.scheme.lower(), host, quote(parts.path or "/", safe=safe),
                       quote(parts.query, safe=safe + "?"), ""))


def site_page(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host[4:] if host.startswith("www.") else host, parts.path.rstrip("/"), parts.query


def made_up_url(site: str, page: str) -> str:
    return f"https://{re.sub(r'[^a-z0-9-]+', '-', site.lower()).strip('-')}.example/{quote(page)}"


def load_sources(data: Path) -> list[Source]:
    """Every bundled page: extraction_dev from its manifest, mozilla_readability by folder."""
    sources, seen = [], set()

    def add(corpus, name, path, url, charset, language, size):
        url = normalise_url(url)
        if site_page(url) in seen:  # two source pages with one URL (copies drop www.): a made-up one
            url = made_up_url(corpus, name)
        seen.add(site_page(url))
        sources.append(Source(f"{corpus}/{name}", corpus, str(path), url, charset, language, size))

    root = data / "html" / "extraction_dev"
    with open(root / "manifest.jsonl", encoding="utf-8") as fh:
        for line in fh:
            m = json.loads(line)
            url = m["url"] or made_up_url(m["source_repo"].split("/")[-1], m["id"])
            add("extraction_dev", m["id"], root / m["id"] / "source.html.gz", url, m["html_charset"],
                m.get("language"), m["html_bytes"])
    root = data / "html" / "mozilla_readability"
    for folder in sorted(p for p in root.iterdir() if (p / "source.html.gz").is_file()):
        raw = gzip.decompress((folder / "source.html.gz").read_bytes())
        try:  # the qq page declares gb2312 but its bytes are UTF-8: the bytes decide
            text = raw.decode("utf-8")
            charset = "utf-8"
        except UnicodeDecodeError:
            m = META_CHARSET.search(raw, 0, 4096)
            charset = m.group(1).decode("ascii").lower() if m else "windows-1252"
            text = raw.decode(charset, "replace")
        url = None
        for pattern in PAGE_URL:
            m = pattern.search(text, 0, 200_000)
            if m and html.unescape(m.group(1)).startswith(("http://", "https://")):
                url = html.unescape(m.group(1))
                break
        language = None
        meta = folder / "expected-metadata.json"
        if meta.is_file():
            lang = json.loads(meta.read_text(encoding="utf-8")).get("lang") or ""
            language = re.split(r"[-_]", lang)[0].lower() or None
        add("mozilla_readability", folder.name, folder / "source.html.gz",
            url or made_up_url("mozilla-readability", folder.name), charset, language, len(raw))
    return sources


def copy_url(url: str, k: int) -> str:
    """Copy k of a page: the page's own URL for k = 0, else on host sNN.<host> with the path changed."""
    if k == 0:
        return url
    parts = urlsplit(url)
    host = parts.hostname or "example.com"
    host = host[4:] if host.startswith("www.") else host
    path = parts.path or "/"
    if path.endswith("/"):
        path += f"c{k}/"
    else:
        head, _, last = path.rpartition("/")
        stem, dot, ext = last.rpartition(".")
        last = f"{stem}-c{k}.{ext}" if dot and stem and 1 <= len(ext) <= 5 and ext.isalnum() else f"{last}-c{k}"
        path = f"{head}/{last}"
    return urlunsplit((parts.scheme, f"s{(k - 1) % SUBDOMAINS}.{host}", path, parts.query, ""))


def site_host(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or "example.com"
    return parts.scheme or "https", host[4:] if host.startswith("www.") else host


# --- page templates (in the workers) -----------------------------------------------------------
@dataclass
class Template:
    glue: np.ndarray  # object: the text between words (markup included), one more than words
    vocab: np.ndarray  # object: distinct words
    word_ids: np.ndarray  # int32 into vocab, in page order
    charset: str
    sentinel: str  # stands for the copy tag in image URLs
    images: list[str]  # archivable image URLs (as weft resolves them), with the sentinel


def _escape_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


def _resolve(value: str, base: str) -> str | None:
    value = value.strip()
    if not value or value.lower().startswith(("data:", "javascript:", "blob:", "about:")):
        return None
    return resolve_url(value, base)


def tagged_url(value: str, base: str, sentinel: str) -> str | None:
    """The absolute URL of an image reference with ``weft=<sentinel>`` added to its query."""
    url = _resolve(value, base)
    if url is None:
        return None
    parts = urlsplit(url)
    query = f"{parts.query}&weft={sentinel}" if parts.query else f"weft={sentinel}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def tagged_srcset(value: str, base: str, sentinel: str) -> str | None:
    """A srcset with every candidate URL tagged (tokenized as the HTML standard does)."""
    out, pos, n, changed = [], 0, len(value), False
    while pos < n:
        start = pos
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        out.append(value[start:pos])
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url, trail, descriptors = value[start:pos], "", ""
        if url.endswith(","):
            stripped = url.rstrip(",")
            url, trail = stripped, url[len(stripped):]
        else:
            end = value.find(",", pos)
            end = n if end < 0 else end
            descriptors, pos = value[pos:end], end
        new = tagged_url(url, base, sentinel) if url else None
        changed |= new is not None
        out += [new or url, trail, descriptors]
    return "".join(out) if changed else None


def rewrite_img(tag: str, base: str, sentinel: str, found: dict[str, None]) -> str:
    """An <img> tag with every image URL attribute made copy-specific; the URL weft would take
    from it goes into ``found``."""
    from udfs.extract.image_refs import SOURCE_ATTRIBUTES, image_source

    url_attrs = set(SOURCE_ATTRIBUTES) | {"data-srcset"}
    out, pos, attrs = [], 0, {}
    end = len(tag) - 1
    for m in ATTR.finditer(tag, 4, end):
        name = m.group(1).lower()
        raw = next((v for v in m.group(2, 3, 4) if v is not None), None)
        value = None if raw is None else html.unescape(raw)
        if name in url_attrs and value:
            srcset = name in ("srcset", "data-srcset") or ("," in value and _SRCSET_LIKE.search(value))
            new = tagged_srcset(value, base, sentinel) if srcset else tagged_url(value, base, sentinel)
            if new is not None:
                out += [tag[pos:m.start()], f'{m.group(1)}="{_escape_attr(new)}"']
                pos, value = m.end(), new
        attrs.setdefault(name, value)
    out.append(tag[pos:])
    url = image_source(attrs, base)[0]
    if url and sentinel in url:
        found.setdefault(url, None)
    return "".join(out)


def build_template(source: Source) -> Template:
    raw = gzip.decompress(Path(source.path).read_bytes())
    text = raw.decode(source.charset, "surrogateescape")
    sentinel = "weftcopytag"
    while sentinel in text:
        sentinel += "x"
    m = BASE_HREF.search(text)
    base = (_resolve(html.unescape(m.group(1)), source.url) if m else None) or source.url
    images: dict[str, None] = {}
    glue, words, pending, pos = [], [], [], 0
    interned: dict[str, str] = {}
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "w":
            pending.append(text[pos:m.start()])
            piece = "".join(pending)
            glue.append(interned.setdefault(piece, piece))
            words.append(m.group())
            pending, pos = [], m.end()
        elif kind == "img" or (kind == "r" and m.group("rn").lower() == "noscript"):
            chunk = m.group()
            new = (rewrite_img(chunk, base, sentinel, images) if kind == "img" else
                   IMG_TAG.sub(lambda t: rewrite_img(t.group(), base, sentinel, images), chunk))
            pending += [text[pos:m.start()], new]
            pos = m.end()
    pending.append(text[pos:])
    glue.append("".join(pending))
    vocab_index: dict[str, int] = {}
    ids = np.fromiter((vocab_index.setdefault(w, len(vocab_index)) for w in words), dtype=np.int32,
                      count=len(words))
    vocab = np.empty(len(vocab_index), dtype=object)
    vocab[:] = list(vocab_index)
    glue_arr = np.empty(len(glue), dtype=object)
    glue_arr[:] = glue
    return Template(glue_arr, vocab, ids, source.charset, sentinel, list(images))


def render(tpl: Template, seed: int, variant: int | None, near: int | None, tag: str) -> str:
    """The page text of a copy: words replaced by words of the same page at PERTURB_RATE
    (``variant`` seeds it; None keeps the text), then at NEAR_RATE (``near``), image URLs tagged."""
    ids, n = tpl.word_ids, len(tpl.word_ids)
    for key, stream, rate in ((variant, 1, PERTURB_RATE), (near, 2, NEAR_RATE)):
        if key is None or n == 0:
            continue
        rng = np.random.default_rng([seed, stream, key])
        mask = rng.random(n) < rate
        ids = ids.copy()
        ids[mask] = tpl.word_ids[rng.integers(0, n, int(mask.sum()))]
    parts = np.empty(2 * n + 1, dtype=object)
    parts[0::2] = tpl.glue
    parts[1::2] = tpl.vocab[ids]
    return "".join(parts.tolist()).replace(tpl.sentinel, tag)


def pad_giant(body: bytes, text: str, charset: str, target: int) -> bytes:
    """The page grown to exactly ``target`` bytes by repeating its own paragraphs before </body>."""
    if len(body) >= target:
        return body
    paragraphs = [p.encode(charset, "surrogateescape") + b"\n" for p in PARAGRAPH.findall(text)]
    paragraphs = paragraphs or [b"<p>" + b" ".join(text.encode(charset, "surrogateescape").split()[:200]) + b"</p>\n"]
    at = body.lower().rfind(b"</body")
    at = len(body) if at < 0 else at
    need, filler, i = target - len(body), [], 0
    while True:
        p = paragraphs[i % len(paragraphs)]
        if len(p) > need:
            break
        filler.append(p)
        need -= len(p)
        i += 1
    filler.append(b" " * need)
    return body[:at] + b"".join(filler) + body[at:]


# --- WARC records -------------------------------------------------------------------------------
def digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def record_id(seed: int, *key) -> str:
    h = hashlib.blake2b("/".join(map(str, (seed,) + key)).encode(), digest_size=16).digest()
    return f"<urn:uuid:{uuid.UUID(bytes=h, version=4)}>"


def warc_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    head = ["WARC/1.0"] + [f"{k}: {v}" for k, v in fields[:3]] + [f"Content-Length: {len(block)}"] + [
        f"{k}: {v}" for k, v in fields[3:]]
    return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"


def warcinfo(filename: str, seed: int, level: int, description: str) -> bytes:
    block = "".join(f"{k}: {v}\r\n" for k, v in (
        ("isPartOf", CRAWL), ("publisher", "weft (synthetic scale input)"),
        ("description", description), ("operator", "weft bench/scale_input.py"),
        ("hostname", "weft-scale"), ("software", f"weft bench/scale_input.py (seed {seed}, gzip level {level})"),
        ("robots", "checked via crawler-commons 1.5-SNAPSHOT (https://github.com/crawler-commons/crawler-commons)"),
        ("format", "WARC File Format 1.1"),
        ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
    )).encode()
    fields = [("WARC-Type", "warcinfo"), ("WARC-Date", warc_date(START)), ("WARC-Record-ID", record_id(seed, "warcinfo")),
              ("Content-Type", "application/warc-fields"), ("WARC-Filename", filename),
              ("WARC-Block-Digest", digest(block))]
    return zlib.compress(record(fields, block), level, 31)


def ip_address(host: str) -> str:
    b = hashlib.blake2b(host.encode(), digest_size=4).digest()
    first = 20 + b[0] % 200
    first += first in (100, 127, 169, 172, 192, 198)
    return f"{first}.{b[1]}.{b[2]}.{1 + b[3] % 254}"


class Writer:
    """Records of one group: request, response and metadata per capture, one gzip member each."""

    def __init__(self, g: int):
        self.g, self.j, self.members = g, 0, []
        self.page: tuple[str, str] | None = None  # (image tag, copy kind) of a page group
        self.when = START + timedelta(seconds=g * SECONDS_PER_GROUP)
        self.delta: collections.Counter = collections.Counter()

    def capture(self, url: str, status_line: str, headers: list[tuple[str, str]], payload: bytes,
                payload_type: str, meta: list[tuple[str, str]], accept: str, truncated: bool = False) -> None:
        seed, level = STATE["seed"], STATE["level"]
        parts = urlsplit(url)
        host = parts.hostname or ""
        when = self.when + timedelta(milliseconds=1000 * self.j)
        date, ip = warc_date(when), ip_address(host)
        ids = [record_id(seed, self.g, self.j, kind) for kind in ("request", "response", "metadata")]
        self.j += 1
        request = (f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
                   f"User-Agent: {USER_AGENT}\r\nAccept: {accept}\r\nAccept-Language: en-US,en;q=0.5\r\n"
                   f"Accept-Encoding: br,gzip\r\nHost: {host}\r\nConnection: Keep-Alive\r\n\r\n").encode("ascii")
        common = [("WARC-Warcinfo-ID", record_id(seed, "warcinfo"))]
        req_fields = [("WARC-Type", "request"), ("WARC-Date", date), ("WARC-Record-ID", ids[0]),
                      ("Content-Type", "application/http; msgtype=request"), *common, ("WARC-IP-Address", ip),
                      ("WARC-Target-URI", url), ("WARC-Payload-Digest", digest(b"")),
                      ("WARC-Block-Digest", digest(request))]
        head = [status_line, f"Date: {format_datetime(when - timedelta(seconds=1), usegmt=True)}", "Server: nginx",
                *(f"{k}: {v}" for k, v in headers), f"Content-Length: {len(payload)}"]
        block = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload
        resp_fields = [("WARC-Type", "response"), ("WARC-Date", date), ("WARC-Record-ID", ids[1]),
                       ("Content-Type", "application/http; msgtype=response"), *common,
                       ("WARC-Concurrent-To", ids[0]), ("WARC-IP-Address", ip), ("WARC-Target-URI", url)]
        if truncated:
            resp_fields.append(("WARC-Truncated", "length"))
        resp_fields += [("WARC-Payload-Digest", digest(payload)), ("WARC-Block-Digest", digest(block)),
                        ("WARC-Identified-Payload-Type", payload_type)]
        fetch_ms = 40 + int.from_bytes(hashlib.blake2b(ids[1].encode(), digest_size=2).digest(), "big") % 1500
        meta_block = "".join(f"{k}: {v}\r\n" for k, v in [("fetchTimeMs", str(fetch_ms)), *meta]).encode("utf-8")
        meta_fields = [("WARC-Type", "metadata"), ("WARC-Date", date), ("WARC-Record-ID", ids[2]),
                       ("Content-Type", "application/warc-fields"), *common, ("WARC-Concurrent-To", ids[1]),
                       ("WARC-Target-URI", url), ("WARC-Payload-Digest", digest(meta_block)),
                       ("WARC-Block-Digest", digest(meta_block))]
        for fields, blk in ((req_fields, request), (resp_fields, block), (meta_fields, meta_block)):
            self.members.append(zlib.compress(record(fields, blk), level, 31))
        self.delta.update({"records/request": 1, "records/response": 1, "records/metadata": 1})


# --- worker side --------------------------------------------------------------------------------
STATE: dict = {}
_TEMPLATES: dict[int, Template] = {}


def init_worker(state: dict) -> None:
    STATE.clear()
    STATE.update(state)
    _TEMPLATES.clear()


def template(i: int) -> Template:
    tpl = _TEMPLATES.get(i)
    if tpl is None:
        tpl = _TEMPLATES[i] = build_template(STATE["sources"][i])
    return tpl


def work(chunk: list[tuple]) -> list[tuple[bytes, dict, tuple | None]]:
    out = []
    for spec in chunk:
        w = Writer(spec[1])
        {"page": page_group, "status": status_group, "other": other_group}[spec[0]](w, *spec[2:])
        out.append((b"".join(w.members), dict(w.delta), w.page))
    return out


def page_group(w: Writer, src_i: int, k: int, content: tuple, copy_kind: str, archive: bool) -> None:
    seed = STATE["seed"]
    source = STATE["sources"][src_i]
    tpl = template(src_i)
    variant, near, tag = content
    text = render(tpl, seed, variant, near, tag)
    body = text.encode(tpl.charset, "surrogateescape")
    truncated, full_length = False, len(body)
    if copy_kind == "giant":
        body = pad_giant(body, text, tpl.charset, STATE["giant_bytes"])
        full_length = len(body)
    elif len(body) > TRUNCATE_BYTES:
        body, truncated = body[:TRUNCATE_BYTES], True
    url = copy_url(source.url, k)
    headers = [("Content-Type", f"text/html; charset={tpl.charset}"), ("X-Crawler-Content-Encoding", "gzip")]
    if truncated:
        headers.append(("X-Crawler-Content-Length", str(full_length)))
    meta = [("charset-detected", tpl.charset.upper())]
    if source.language:
        meta.append(("languages-cld2", json.dumps({"reliable": True, "text-bytes": len(tpl.word_ids) * 6, "languages": [
            {"code": source.language, "text-covered": 0.97, "score": 900.0}]}, separators=(",", ":"))))
    meta += [("weft-source", source.key), ("weft-copy", str(k)), ("weft-copy-kind", copy_kind),
             ("weft-image-tag", tag)]
    w.capture(url, "HTTP/1.1 200 OK", headers, body, "text/html", meta,
              "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", truncated)
    w.page = (tag, copy_kind)
    w.delta.update({"html/200": 1, "html_bytes/200": len(body), f"pages_by_source/{source.corpus}": 1,
                    f"copies/{copy_kind}": 1, "truncated_pages": int(truncated)})
    if archive and tpl.images:
        final = text if not truncated else body.decode(tpl.charset, "ignore")
        urls = [u.replace(tpl.sentinel, tag) for u in tpl.images if _CLEAN_URL.fullmatch(u)]
        random.Random(f"{seed}/{w.g}/images").shuffle(urls)
        chosen = [u for u in urls[:IMAGES_PER_PAGE * 4] if _escape_attr(u) in final][:IMAGES_PER_PAGE]
        for i, image_url in enumerate(chosen):
            ctype, payload = STATE["images"][(w.g * IMAGES_PER_PAGE + i) % len(STATE["images"])]
            w.capture(image_url, "HTTP/1.1 200 OK",
                      [("Content-Type", ctype), ("Cache-Control", "max-age=31536000")], payload, ctype,
                      [("weft-image-of", url)], "image/avif,image/webp,image/png,image/*;q=0.8,*/*;q=0.5")
            w.delta.update({f"images/{ctype}": 1})
        w.delta["pages_with_archived_images"] += bool(chosen)


_MOVED = ("<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>"
          "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
_NOT_FOUND = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Page not found</title></head>"
              "<body><h1>404</h1><p>Sorry, the page <code>{path}</code> does not exist or has moved.</p>"
              "<p><a href=\"/\">Back to the home page</a></p></body></html>\n")


def status_group(w: Writer, src_i: int, status: int, n: int, sub: int) -> None:
    scheme, host = site_host(STATE["sources"][src_i].url)
    host = f"s{sub}.{host}"
    if status == 301:
        url = f"http://{host}/{n:x}/article-{n}"
        location = f"https://{host}/{n:x}/article-{n}"
        body, headers = _MOVED.format(code=301, reason="Moved Permanently"), [("Location", location)]
    elif status == 302:
        url = f"{scheme}://{host}/go/{n}"
        body = _MOVED.format(code=302, reason="Found")
        headers = [("Location", f"{scheme}://{host}/login?next=%2Fgo%2F{n}")]
    else:
        url = f"{scheme}://{host}/archive/{n}/missing-page-{n}.html"
        body, headers = _NOT_FOUND.format(path=html.escape(urlsplit(url).path)), []
    reason = {301: "Moved Permanently", 302: "Found", 404: "Not Found"}[status]
    payload = body.encode()
    w.capture(url, f"HTTP/1.1 {status} {reason}", [("Content-Type", "text/html; charset=utf-8"), *headers],
              payload, "text/html", [("charset-detected", "UTF-8")],
              "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    w.delta.update({f"html/{status}": 1, f"html_bytes/{status}": len(payload)})


def other_group(w: Writer, src_i: int, kind: str, n: int, host_label: str) -> None:
    scheme, host = site_host(STATE["sources"][src_i].url)
    host = f"{host_label}.{host}"
    rng = random.Random(f"{STATE['seed']}/{w.g}/other")
    if kind == "robots":
        url, ctype = f"{scheme}://{host}/robots.txt", "text/plain"
        lines = ["User-agent: *", *(f"Disallow: /{rng.choice(['admin', 'search', 'cart', 'login', 'tmp', 'api'])}"
                                   f"{'/' * rng.randint(0, 1)}" for _ in range(rng.randint(2, 8))),
                 "", "User-agent: GPTBot", "Disallow: /", "", f"Sitemap: {scheme}://{host}/sitemap.xml", ""]
        payload = "\n".join(lines).encode()
    elif kind == "json":
        url, ctype = f"{scheme}://{host}/api/v1/items/{n}.json", "application/json"
        payload = json.dumps({"id": n, "host": host, "items": [
            {"id": rng.randrange(1 << 20), "title": f"item {i}", "score": round(rng.random(), 4)}
            for i in range(rng.randint(3, 40))]}).encode()
    else:
        url, ctype = f"{scheme}://{host}/files/report-{n}.pdf", "application/pdf"
        stream = " ".join(f"BT /F1 12 Tf 72 {720 - 14 * i} Td (line {i} of report {n}) Tj ET"
                          for i in range(rng.randint(5, 60))).encode()
        payload = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
                   b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
                   b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>> endobj\n"
                   + f"4 0 obj <</Length {len(stream)}>> stream\n".encode() + stream
                   + b"\nendstream endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
    w.capture(url, "HTTP/1.1 200 OK", [("Content-Type", ctype)], payload, ctype, [],
              "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    w.delta.update({f"non_html/{ctype}": 1})


# --- the plan (parent side) ----------------------------------------------------------------------
def pick_giants(sources: list[Source], count: int, size: int, rng: random.Random) -> list[int]:
    """Source pages with paragraphs to repeat, well under the giant size."""
    order = list(range(len(sources)))
    rng.shuffle(order)
    picked = []
    for i in order:
        if len(picked) >= count:
            break
        s = sources[i]
        if s.html_bytes * 2 > size and size > 0:
            continue
        text = gzip.decompress(Path(s.path).read_bytes()).decode(s.charset, "replace")
        if len(PARAGRAPH.findall(text)) >= 10:
            picked.append(i)
    return picked


def plan(n_sources: int, pages: int, giants: list[int], seed: int):
    """Endless stream of group specs in file order (the parent stops it): passes over the sources
    in a shuffled order, first uses before copies, non-200 and non-HTML groups in between."""
    rng = random.Random(seed)
    copies = [0] * n_sources
    bases: list[list[tuple]] = [[] for _ in range(n_sources)]
    robots_used: collections.Counter = collections.Counter()
    quarter = max(pages // 4, 1)
    giant_at = {max(1, (i + 1) * quarter // (len(giants) + 1)): s for i, s in enumerate(giants)}
    g = page_no = other_no = 0
    status_due = other_due = 1.0  # exact shares, the first of each kind at the start of the file
    kinds_made: collections.Counter = collections.Counter()
    while True:
        order = list(range(n_sources))
        rng.shuffle(order)
        for src in order:
            status_due += STATUS_RATE
            other_due += OTHER_RATE
            if status_due >= 1:
                status_due -= 1
                status = STATUS_CYCLE[kinds_made["status"] % len(STATUS_CYCLE)]
                kinds_made["status"] += 1
                yield ("status", g, rng.randrange(n_sources), status, other_no, rng.randrange(SUBDOMAINS))
                g, other_no = g + 1, other_no + 1
            if other_due >= 1:
                other_due -= 1
                kind = OTHER_CYCLE[kinds_made["other"] % len(OTHER_CYCLE)]
                kinds_made["other"] += 1
                site = rng.randrange(n_sources)
                if kind == "robots":  # one robots.txt per host
                    used = robots_used[site]
                    robots_used[site] += 1
                    label = f"s{used}" if used < SUBDOMAINS else f"m{used}"
                else:
                    label = f"s{rng.randrange(SUBDOMAINS)}"
                yield ("other", g, site, kind, other_no, label)
                g, other_no = g + 1, other_no + 1
            page_no += 1
            if page_no in giant_at:  # a giant copy takes this slot
                src = giant_at[page_no]
                content, kind, archive = (g, None, f"{g:x}"), "giant", False  # not a base of duplicates
            elif copies[src] == 0:
                content, kind = (None, None, f"{g:x}"), "first_use"
                bases[src].append(content)
                archive = rng.random() < IMAGE_PAGE_RATE
            elif rng.random() < DUPLICATE_RATE:
                base = rng.choice(bases[src])
                if rng.random() < 0.5:
                    content, kind = base, "exact_duplicate"
                else:
                    content, kind = (base[0], g, base[2]), "near_duplicate"
                archive = False
            else:
                content, kind = (g, None, f"{g:x}"), "perturbed"
                bases[src].append(content)
                archive = rng.random() < IMAGE_PAGE_RATE
            yield ("page", g, src, copies[src], content, kind, archive)
            copies[src] += 1
            g += 1


def chunks(groups, size: int):
    while True:
        chunk = [next(groups) for _ in range(size)]
        yield chunk


def image_bodies(data: Path) -> list[tuple[str, bytes]]:
    """(content type, body) of every photo in images/captioned and images/photos_odd_aspect, as
    stored and re-encoded as JPEG at 3/4 and 1/2 size; bodies of 1 MB or more are left out."""
    import io

    from PIL import Image

    inventory = {}
    with open(data / "images" / "image_inventory.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            inventory[row["file"]] = row
    names = sorted(f for f, row in inventory.items()
                   if f.split("/")[0] in ("captioned", "photos_odd_aspect") and row.get("status") == "ok")
    out = []
    for name in names:
        raw = (data / "images" / name).read_bytes()
        fmt = inventory[name]["format"].lower()
        if len(raw) < MAX_IMAGE_BYTES:
            out.append((f"image/{'jpeg' if fmt == 'jpeg' else fmt}", raw))
        with Image.open(io.BytesIO(raw)) as im:
            im = im.convert("RGB")
            for scale, quality in ((0.75, 85), (0.5, 75)):
                size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
                buf = io.BytesIO()
                im.resize(size, Image.Resampling.LANCZOS).save(buf, "JPEG", quality=quality)
                if buf.tell() < MAX_IMAGE_BYTES:
                    out.append(("image/jpeg", buf.getvalue()))
    return out


# --- stats ----------------------------------------------------------------------------------------
def stats_doc(counts: collections.Counter, path: Path, extra: dict) -> dict:
    def sub(prefix: str) -> dict:
        return {k[len(prefix):]: v for k, v in sorted(counts.items()) if k.startswith(prefix) and v}

    html_counts = sub("html/")
    pages = counts.get("html/200", 0)
    doc = {
        "file": path.name, "crawl": CRAWL, "gz_bytes": path.stat().st_size, **extra,
        "records_by_type": sub("records/"), "records": sum(sub("records/").values()),
        "html_responses": sum(html_counts.values()), "html_responses_by_status": html_counts,
        "html_pages_200": pages,
        "mean_html_bytes": round(counts.get("html_bytes/200", 0) / pages, 1) if pages else 0.0,
        "non_html_responses": sum(sub("non_html/").values()), "non_html_by_content_type": sub("non_html/"),
        "image_responses": sum(sub("images/").values()), "image_responses_by_content_type": sub("images/"),
        "pages_with_archived_images": counts.get("pages_with_archived_images", 0),
        "pages_referencing_archived_images": counts.get("pages_referencing_archived_images", 0),
        "pages_by_source": sub("pages_by_source/"), "copies": sub("copies/"),
        "truncated_pages": counts.get("truncated_pages", 0), "giant_pages": counts.get("copies/giant", 0),
    }
    doc["responses"] = doc["html_responses"] + doc["non_html_responses"] + doc["image_responses"]
    return doc


def summary_line(doc: dict) -> str:
    status = ", ".join(f"{k}: {v:,}" for k, v in doc["html_responses_by_status"].items())
    other = ", ".join(f"{k}: {v:,}" for k, v in doc["non_html_by_content_type"].items())
    return (f"  {doc['file']}: {doc['gz_bytes']:,} bytes gzipped ({doc['gz_bytes'] / 1e9:.3f} GB), "
            f"{doc['records']:,} records "
            f"({', '.join(f'{k} {v:,}' for k, v in doc['records_by_type'].items())})\n"
            f"    HTML responses {doc['html_responses']:,} ({status}); mean 200 HTML {doc['mean_html_bytes'] / 1e3:.1f} KB;"
            f" {doc['truncated_pages']:,} truncated at 1 MiB, {doc['giant_pages']} giant\n"
            f"    non-HTML {doc['non_html_responses']:,} ({other}); images {doc['image_responses']:,} "
            f"after {doc['pages_with_archived_images']:,} pages ({doc['pages_referencing_archived_images']:,} pages "
            f"reference one)\n"
            f"    pages by source {doc['pages_by_source']}; copies {doc['copies']}")


# --- main -------------------------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(REPO / "bench" / "out" / "scale"), help="output folder")
    p.add_argument("--pages", type=int, default=40_000, help="HTML 200 pages in the full file (more while "
                   "the file is under --min-gz-bytes)")
    p.add_argument("--min-gz-bytes", type=float, default=1e9, help="the full file is at least this large")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="processes; 1 runs in this process")
    p.add_argument("--giant-pages", type=int, default=2, help="pages padded to --giant-bytes, in the first quarter")
    p.add_argument("--giant-bytes", type=int, default=20_000_000, help="decoded HTML bytes of a giant page")
    p.add_argument("--gzip-level", type=int, default=6)
    p.add_argument("--sources", type=int, default=0, help="use only this many source pages (0: all); tests")
    p.add_argument("--data", default=str(DATA), help="the shared data folder")
    return p.parse_args(argv)


def main(argv=None) -> dict:  # noqa: C901 -- one branch per option
    args = parse_args(argv)
    started = time.perf_counter()
    data, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sources = load_sources(data)
    if 0 < args.sources < len(sources):  # a spread of sizes, the largest page (cut at 1 MiB) included
        by_size = sorted(range(len(sources)), key=lambda i: (sources[i].html_bytes, sources[i].key))
        step = (len(sources) - 1) / (args.sources - 1) if args.sources > 1 else 0
        sources = [sources[by_size[len(sources) - 1 - round(i * step)]] for i in range(args.sources)]
    giants = pick_giants(sources, args.giant_pages, args.giant_bytes, random.Random(f"{args.seed}/giants"))
    if len(giants) < args.giant_pages:
        print(f"weft: only {len(giants)} source pages can be giants", file=sys.stderr)
    state = {"seed": args.seed, "level": args.gzip_level, "giant_bytes": args.giant_bytes, "sources": sources,
             "images": image_bodies(data)}
    paths = {part: out / f"{PREFIX}-{part}.warc.gz" for part in PARTS}
    info = {part: warcinfo(paths[part].name, args.seed, args.gzip_level,
                           f"weft scale input: {part} record stream of {paths['full'].name}"
                           if part != "full" else "weft scale input: real pages as distinct copies")
            for part in PARTS}
    print(f"weft: {len(sources)} source pages, {len(state['images'])} image bodies, writing {paths['full']}",
          file=sys.stderr)

    counts: collections.Counter = collections.Counter({"records/warcinfo": 1})
    log: list[tuple[int, tuple]] = []  # per page group: (end offset, stats delta since the previous one)
    pending: collections.Counter = collections.Counter()
    archived_tags: set[str] = set()  # copies whose page was followed by archived images
    pages = 0
    groups = chunks(plan(len(sources), args.pages, giants, args.seed), CHUNK_GROUPS)
    last_report = time.perf_counter()
    with open(paths["full"], "wb") as fh:
        fh.write(info["full"])
        offset = len(info["full"])
        for results in run_chunks(groups, state, args.workers):
            done = False
            for member_bytes, delta, page in results:
                fh.write(member_bytes)
                offset += len(member_bytes)
                if page is None:
                    counts.update(delta)
                    pending.update(delta)
                    continue
                if delta.get("pages_with_archived_images"):
                    archived_tags.add(page[0])
                if page[0] in archived_tags:  # duplicates carry the same image URLs
                    delta["pages_referencing_archived_images"] = 1
                counts.update(delta)
                pending.update(delta)
                pages += 1
                log.append((offset, tuple((sys.intern(k), v) for k, v in pending.items() if v)))
                pending.clear()
                if pages >= args.pages and offset >= args.min_gz_bytes:
                    done = True
                    break
            if time.perf_counter() - last_report > 15:
                last_report = time.perf_counter()
                print(f"weft: {pages:,} pages, {offset / 1e9:.3f} GB, {last_report - started:.0f} s", file=sys.stderr)
            if done:
                break
    if pages > args.pages:
        print(f"weft: {args.pages:,} pages made {log[args.pages - 1][0]:,} bytes; went on to {pages:,} pages "
              f"for --min-gz-bytes {args.min_gz_bytes:,.0f}", file=sys.stderr)

    docs = {"full": stats_doc(counts, paths["full"], {"seed": args.seed, "part": "full"})}
    for part, share in (("half", 2), ("quarter", 4)):
        cut = max(pages // share, 1)
        end = log[cut - 1][0]
        part_counts = collections.Counter({"records/warcinfo": 1})
        for _, delta in log[:cut]:
            part_counts.update(dict(delta))
        with open(paths["full"], "rb") as src, open(paths[part], "wb") as dst:
            dst.write(info[part])
            src.seek(len(info["full"]))
            left = end - len(info["full"])
            while left > 0:
                buf = src.read(min(left, 8 << 20))
                dst.write(buf)
                left -= len(buf)
        docs[part] = stats_doc(part_counts, paths[part], {"seed": args.seed, "part": part,
                                                           "prefix_of": paths["full"].name})
    elapsed = time.perf_counter() - started
    for part in PARTS:
        docs[part]["generation_seconds"] = round(elapsed, 1)
        docs[part]["generation"] = {"workers": args.workers, "gzip_level": args.gzip_level,
                                    "giant_bytes": args.giant_bytes, "source_pages": len(sources)}
        Path(f"{paths[part]}.stats.json").write_text(json.dumps(docs[part], indent=2) + "\n", encoding="utf-8")
    print(f"weft: scale input (seed {args.seed}, {args.workers} workers, gzip level {args.gzip_level}) in "
          f"{elapsed:.1f} s: {pages / elapsed:,.0f} pages/s, {offset / 1e6 / elapsed:,.1f} MB/s gzipped; in {out}")
    for part in PARTS:
        print(summary_line(docs[part]))
    return docs


def run_chunks(groups, state: dict, workers: int):
    """Results of the chunks in order: in this process, or on ``workers`` processes with at most
    2 * workers + 1 chunks in flight (memory stays bounded whatever the parent's pace)."""
    if workers <= 1:
        init_worker(state)
        for chunk in groups:
            yield work(chunk)
        return
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=init_worker, initargs=(state,)) as pool:
        inflight = collections.deque(pool.apply_async(work, (next(groups),)) for _ in range(2 * workers + 1))
        while inflight:
            result = inflight.popleft().get()
            inflight.append(pool.apply_async(work, (next(groups),)))
            yield result


if __name__ == "__main__":
    main()
