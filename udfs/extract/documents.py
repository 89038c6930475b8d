"""Pages to interleaved documents: node filters remove paragraphs and images (counted per
reason), document signals become columns and ``keep``/``drop_reasons`` (tag, then mix:
``udfs.extract.document_rules``); pages that cannot be extracted become rejects. Plus the Arrow adapter
that runs it in a Spark task."""
from __future__ import annotations

import itertools
import re
import signal
import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from schemas.docs import ALT_PAIRS, DOCS
from schemas.rejects import REJECTS
from udfs.common import langid
from udfs.common.arrow_rows import reject_row, to_batch
from udfs.extract.image_refs import document_base, image_source, node_image_reason, rendered_size
from udfs.extract.interleave import ImageNode, clean_text, interleave, parse
from udfs.common.settings import Config, ExtractSettings, ImageRules, TextThresholds
from udfs.common.side_output import SideWriter
from udfs.extract.document_rules import decide, stored
from udfs.extract.quality_rules import quality_signals
from udfs.extract.text_filters import text_reasons, text_signals

STAGE = "extract"
PAGE_COLUMNS = ["page_id", "url", "warc_filename", "warc_record_offset", "warc_record_length", "fetch_time",
                "http_status", "html", "crawl"]
POINTER_COLUMNS = [c for c in PAGE_COLUMNS if c != "html"]  # pages stored without HTML: read again from the file


_BLOCK_TAG = re.compile(r"<(/?)(?:div|section|article|table|tbody|tr|td|th|ul|ol|li|dl|dd|blockquote|"
                        r"main|aside|nav|header|footer|form|fieldset|center|font|span)\b", re.I)


def block_depth(html: str) -> int:
    """Deepest nesting of block-like tags, from a linear scan of the tags. lexbor's tree
    building is quadratic in it (100,000 nested divs take 13 s inside one C call that no
    timer can interrupt); browsers give up at a depth of 512. The running depth (a closing tag
    never takes it below 0) is a random walk reflected at 0: depth = x - min(0, min of x so far)."""
    marks = _BLOCK_TAG.findall(html)  # "" for an opening tag, "/" for a closing one
    if not marks:
        return 0
    x = np.cumsum(np.where(np.array(marks) == "", 1, -1))
    return int((x - np.minimum.accumulate(np.minimum(x, 0))).max())


class ExtractTimeout(Exception):
    """The page took longer than extract.time_limit_seconds."""


def build_document(page: dict[str, Any], extract: ExtractSettings) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(docs row, alt_pairs rows) for one page; ``extract`` is the run's ExtractSettings."""
    structure = interleave(parse(page["html"]), extract.mode)
    base = document_base(page["url"] or "", structure.base_href)
    raw_text = "\n\n".join(b for b in structure.blocks if isinstance(b, str))
    lang, lang_score = langid.detect(raw_text, extract.langid_model)
    drops: Counter[str] = Counter()
    texts: list[list[str] | None] = []  # pieces of each text position, joined at the end
    images: list[str | None] = []
    metas: list[dict | None] = []
    seen_images: set[str] = set()
    filter_paragraphs = extract.mode in extract.paragraph_filter_modes
    for block in structure.blocks:
        if isinstance(block, str):
            kept = _kept_paragraphs(block, lang, extract.paragraph, drops) if filter_paragraphs else block
            if kept and texts and texts[-1] is not None:
                texts[-1].append(kept)  # an image between them was dropped
            elif kept:
                texts.append([kept])
                images.append(None)
                metas.append(None)
            continue
        meta = _image(block, base, extract.images, drops, seen_images)
        if meta is not None:
            texts.append(None)
            images.append(meta["src"])
            metas.append(meta)
    texts = ["\n\n".join(pieces) if pieces is not None else None for pieces in texts]
    doc_text = "\n\n".join(t for t in texts if t is not None)
    signals = text_signals(doc_text, lang)
    n_images = sum(1 for i in images if i is not None)
    perplexity = kenlm_perplexity(doc_text, extract.kenlm_model) if extract.kenlm_model and doc_text else None
    doc = {
        "row_kind": "doc", "doc_id": page["page_id"], "url": page["url"], "texts": texts, "images": images,
        "image_meta": metas,
        "general_metadata": {k: page[k] for k in ("url", "warc_filename", "warc_record_offset", "warc_record_length")},
        "lang": lang, "lang_score": lang_score,
        "crawl": page["crawl"], "fetch_time": page["fetch_time"], "extract_mode": extract.mode,
        "n_words": signals.n_words, "n_paragraphs": sum(t.count("\n\n") + 1 for t in texts if t is not None),
        "n_images": n_images, "char_repetition": signals.char_repetition,
        "word_repetition": signals.word_repetition, "special_char_ratio": signals.special_char_ratio,
        "punctuation_ratio": signals.punctuation_ratio, "stop_word_ratio": signals.stop_word_ratio,
        "flagged_word_ratio": signals.flagged_word_ratio, "common_word_ratio": signals.common_word_ratio,
        "perplexity": perplexity, "node_drops": dict(drops),
        **quality_signals(doc_text, lang),  # Gopher, C4, FineWeb: stored whichever rule sets decide
    }
    doc["drop_reasons"] = decide(stored(doc), extract)  # tag, then mix: the rule reads what docs stores
    doc["keep"] = not doc["drop_reasons"]
    pairs = [{"row_kind": "alt_pair", "doc_id": page["page_id"], "image_url": m["src"], "alt_text": m["alt_text"],
              "page_url": page["url"], "position": i}
             for i, m in enumerate(metas) if m is not None and m["alt_text"]]
    return doc, pairs


def _kept_paragraphs(block: str, lang: str, thresholds: TextThresholds, drops: Counter) -> str:
    kept = []
    for paragraph in block.split("\n\n"):
        reasons = text_reasons(text_signals(paragraph, lang), thresholds)
        if reasons:
            drops[f"paragraph_{reasons[0]}"] += 1
        else:
            kept.append(paragraph)
    return "\n\n".join(kept)


def _image(node: ImageNode, base: str, rules: ImageRules, drops: Counter, seen: set[str]) -> dict | None:
    attrs = node.attrs
    url, raw, reason = image_source(attrs, base)
    width, height = rendered_size(attrs)
    if reason is None:
        reason = node_image_reason(url, width, height, rules)
    if reason is None and url in seen:
        reason = "duplicate_image"  # OBELICS: an image appears once per document
    if reason is not None:
        drops[reason] += 1
        return None
    seen.add(url)
    return {"src": url, "unformatted_src": raw, "alt_text": clean_text(attrs.get("alt") or "") or None,
            "title": clean_text(attrs.get("title") or "") or None, "rendered_width": width,
            "rendered_height": height, "figcaption": node.figcaption or None}


def kenlm_perplexity(text: str, model_path: str) -> float:
    return _kenlm(model_path).perplexity(" ".join(text.split()))


_KENLM: dict[str, Any] = {}


def _kenlm(path: str):
    if path not in _KENLM:
        try:
            import kenlm
        except ImportError:
            raise RuntimeError("extract.kenlm_model is set but the kenlm package is not installed "
                               "(pip install kenlm), or unset extract.kenlm_model") from None
        _KENLM[path] = kenlm.Model(path)
    return _KENLM[path]


RETRY_SECONDS = 0.05  # a time-limit exception Python dropped is raised again this much later


@contextmanager
def time_limit(seconds: float):
    """Raise ExtractTimeout in the block after ``seconds`` (a SIGALRM timer; only possible on the
    main thread, where Spark's Python workers run UDFs; elsewhere the block is not limited).

    The timer repeats every RETRY_SECONDS until the block ends: an exception raised while Python
    runs a gc callback or a ``__del__`` is printed and dropped, and the next one stops the block."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise ExtractTimeout(f"extraction took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, RETRY_SECONDS)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)


def page_reject(page: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    return reject_row(STAGE, reason, detail, page["page_id"], page["warc_filename"], page["warc_record_offset"])


def extract_page(page: dict[str, Any], extract: ExtractSettings) -> list[dict[str, Any]]:
    """Rows for one page: a doc and its alt pairs, or one reject."""
    def reject(reason: str, detail: str) -> list[dict[str, Any]]:
        return [page_reject(page, reason, detail)]

    status = page["http_status"]
    if status is not None and extract.keep_status and status not in extract.keep_status:
        return reject(f"http_status_{status}", f"HTTP status {status}")
    html = page["html"] or ""
    if len(html) > extract.max_html_chars:
        return reject("too_large", f"{len(html)} characters of HTML exceed {extract.max_html_chars}")
    if html.count("<") - html.count("</") > extract.max_depth:  # fewer opening tags cannot nest deeper (93%
        depth = block_depth(html)                                 # of real pages: no scan)
        if depth > extract.max_depth:
            return reject("too_deep", f"block elements nest {depth} deep (limit {extract.max_depth})")
    started = time.perf_counter()
    try:
        with time_limit(extract.time_limit_seconds):
            doc, pairs = build_document(page, extract)
    except ExtractTimeout as exc:
        return reject("extract_timeout", str(exc))
    except RecursionError as exc:
        return reject("parse_error", f"RecursionError: {exc}")
    except Exception as exc:  # noqa: BLE001 -- never kill the task for one page
        return reject("parse_error", f"{type(exc).__name__}: {exc}")
    doc["extract_seconds"] = time.perf_counter() - started
    return [doc, *pairs]


def load_models(extract: ExtractSettings) -> None:
    """Load the language-id model, word lists and KenLM once per worker, outside any page's
    time limit; a model that cannot be loaded fails the task with its own error."""
    langid.detect("warm up", extract.langid_model)
    for lang in ("en", "de", "fr", "es", "it", "pt", "nl", "ru"):
        text_signals("warm up", lang)
    if extract.kenlm_model:
        _kenlm(extract.kenlm_model)


OUTPUT_ROWS, OUTPUT_BYTES = 512, 32 << 20  # a task's docs batch: at most this many rows or text characters
EXTRACT_SIDE = {"alt_pair": ALT_PAIRS, "reject": REJECTS}  # extract's tables that go to side files
_ARROW_ERRORS = (pa.ArrowException, UnicodeError, OverflowError, TypeError, ValueError)


def extract_batches(batches: Iterator[pa.RecordBatch], config: Config, side_dir: str) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: pages with their HTML in, ``docs`` rows out; alt-text pairs and
    rejects to side files (``udfs.common.side_output``) named after the task's first page."""
    load_models(config.extract)
    pages = (page for batch in batches for page in batch.select(PAGE_COLUMNS).to_pylist())
    yield from _with_side(pages, config, side_dir)


def reread_batches(batches: Iterator[pa.RecordBatch], config: Config, side_dir: str) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter for pages stored without their HTML (``ingest.store_html: false``):
    the input rows come sorted by file and offset; each file is read again as ingest read it
    and its pages' records are extracted as the reader reaches them (a merge of two sorted
    streams: nothing of the file is held). A page whose record is no longer a page there (the
    file changed, or ingest settings did) is a ``record_not_found`` reject."""
    load_models(config.extract)
    pointers = (page for batch in batches for page in batch.select(POINTER_COLUMNS).to_pylist())
    yield from _with_side(_reread(pointers, config), config, side_dir)


def _with_side(pages: Iterator[dict[str, Any]], config: Config, side_dir: str) -> Iterator[pa.RecordBatch]:
    first = next(pages, None)
    if first is None:
        return
    with SideWriter(side_dir, first["page_id"], {k: t.arrow() for k, t in EXTRACT_SIDE.items()},
                    config.storage) as side:
        yield from documents(itertools.chain([first], pages), config, side)


def _reread(pointers: Iterator[dict[str, Any]], config: Config) -> Iterator[dict[str, Any]]:
    """Each pointer row as a page with its HTML, read again from its file."""
    from udfs.ingest.page_records import ingest_file

    uri, found, ahead = None, iter(()), None
    for pointer in pointers:
        if pointer["warc_filename"] != uri:
            uri, ahead = pointer["warc_filename"], None
            found = (row for row in ingest_file(uri, config) if row["row_kind"] == "page")
        offset = pointer["warc_record_offset"]
        while ahead is None or ahead["warc_record_offset"] < offset:
            ahead = next(found, None)
            if ahead is None:
                break
        if ahead is not None and ahead["warc_record_offset"] == offset:
            yield ahead
        else:
            yield {**pointer, "html": None, "missing": f"no page record at offset {offset} of {uri} any more"}


def documents(pages: Iterator[dict[str, Any]], config: Config, side) -> Iterator[pa.RecordBatch]:
    """``docs`` batches (at most OUTPUT_ROWS rows or OUTPUT_BYTES characters of text) for
    ``pages``; their alt-text pairs and rejects go to ``side``. Nothing of a page's HTML is kept
    once it is extracted."""
    out: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    size = 0
    for page in pages:
        if page.get("missing"):
            rows = [page_reject(page, "record_not_found", page["missing"])]
        else:
            rows = extract_page(page, config.extract)
        if rows[0]["row_kind"] == "reject":
            side.add("reject", rows[0])
            continue
        out.append(({k: page[k] for k in REJECT_KEYS}, rows))
        size += output_bytes(rows[0])
        if len(out) >= OUTPUT_ROWS or size >= OUTPUT_BYTES:
            yield _docs_batch(out, side)
            out, size = [], 0
    if out:
        yield _docs_batch(out, side)


REJECT_KEYS = ("page_id", "warc_filename", "warc_record_offset")


def output_bytes(row: dict[str, Any]) -> int:
    """Characters of a docs row's text (what makes an output batch large)."""
    return sum(len(t) for t in row.get("texts") or () if t)


def _docs_batch(per_page: list, side) -> pa.RecordBatch:
    """The pages' docs rows as a batch, their pairs to ``side``; a page whose output does not
    fit the schemas becomes a parse_error reject instead of failing the task."""
    docs_schema, pairs_schema = DOCS.arrow(), ALT_PAIRS.arrow()
    try:
        batch = to_batch([rows[0] for _, rows in per_page], docs_schema)
        pairs = [pair for _, rows in per_page for pair in rows[1:]]
        to_batch(pairs, pairs_schema)
    except _ARROW_ERRORS:
        kept, pairs = [], []
        for page, rows in per_page:
            try:
                to_batch(rows[:1], docs_schema)
                to_batch(rows[1:], pairs_schema)
            except _ARROW_ERRORS as exc:
                side.add("reject", page_reject(page, "parse_error", f"output does not fit the docs schema: "
                                               f"{type(exc).__name__}: {exc}"))
                continue
            kept.append(rows[0])
            pairs += rows[1:]
        batch = to_batch(kept, docs_schema)
    for pair in pairs:
        side.add("alt_pair", pair)
    return batch
