"""datatrove as the oracle of udfs.extract.quality_rules: its Gopher, C4 and FineWeb filters, with their
defaults, judge weft's own documents of every bundled WARC page and readability page; our
decisions (keep = no reasons) must agree on ≥ 99% per family, and each page where they differ
must be in ``EXPLAINED`` with its reason.

datatrove runs as configured by default (English words: spaCy's blank tokenizer, from the nlp
extra); ours gets each document's language, as extraction will. Texts are cut at 20,000
characters, the same cut for both: datatrove needs ~4 µs a character, and the cut keeps the
test within a minute (31 of the ~470 documents are longer)."""
import gzip
import inspect
from collections import Counter

import pytest
from datatrove.data import Document
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                        GopherRepetitionFilter)
from datatrove.pipeline.filters import gopher_quality_filter as dt_gopher
from datatrove.utils import text as dt_text

from jobs.config import load_config
from tests.conftest import SHARED, warc_files
from udfs.extract import quality_rules as qr
from udfs.extract.documents import build_document
from udfs.ingest.page_records import ingest_file

CUT = 20_000
MIN_AGREEMENT = 0.99
# doc id (page_id, or readability/<page>) -> why our decision differs from datatrove's
_CJK = ("datatrove's default English tokenizer keeps each run of Han/kana characters as one word "
        "(a handful of words against many line breaks: list ratio > 0.3); quality_rules splits "
        "zh/ja into characters, as datatrove's own Chinese and Japanese tokenizers would split words")
EXPLAINED = {
    "fineweb": {
        "c751ee03cdd19fed": "ja, www.sauna-suit.net shop footer: " + _CJK,
        "readability/gmw": "zh news article: " + _CJK,
        "readability/qq": "zh news article: " + _CJK,
        "readability/youth": "zh news article: " + _CJK,
    },
    "gopher": {},
    "c4": {},
}


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, str, str]]:
    """(doc id, lang, text) of weft's document for every bundled WARC page and readability page."""
    readability = SHARED / "html" / "mozilla_readability"
    if not readability.is_dir():
        pytest.fail("real test data missing: ../shared/data (see its README.md)")
    config = load_config()
    docs = []
    for path in warc_files(quirky=False):
        for row in ingest_file(str(path), config):
            if row["row_kind"] == "page":
                docs.append(_document(row, config))
    for folder in sorted(p for p in readability.iterdir() if (p / "source.html.gz").is_file()):
        html = gzip.decompress((folder / "source.html.gz").read_bytes()).decode("utf-8", "replace")
        page = {"page_id": f"readability/{folder.name}", "url": "http://fakehost/test/page.html", "html": html,
                "warc_filename": "", "warc_record_offset": 0, "warc_record_length": 0, "fetch_time": None,
                "http_status": 200, "crawl": ""}
        docs.append(_document(page, config))
    assert len(docs) > 400
    return docs


def _document(page: dict, config) -> tuple[str, str, str]:
    doc, _ = build_document(page, config.extract)
    return doc["doc_id"], doc["lang"], "\n\n".join(t for t in doc["texts"] if t is not None)[:CUT]


# in this order, datatrove splits a text into words once (split_into_words keeps the last 5)
SHIPPED = load_config().extract  # configs/default.yaml's thresholds
ORACLE = {"gopher": (GopherQualityFilter(), GopherRepetitionFilter()), "fineweb": (FineWebQualityFilter(),),
          "c4": (C4QualityFilter(),)}


def _keeps(family: str, text: str) -> bool:
    """datatrove's decision; a fresh Document per filter (C4QualityFilter rewrites the text)."""
    return all(f.filter(Document(text=text, id="x")) is True for f in ORACLE[family])


@pytest.fixture(scope="module")
def decisions(documents) -> dict[str, list[tuple[str, bool, bool, list[str]]]]:
    """Per family: (doc id, our keep, datatrove's keep, our reasons) for every document."""
    out: dict[str, list] = {f: [] for f in ORACLE}
    for doc_id, lang, text in documents:
        signals = qr.quality_signals(text, lang)
        for family in ORACLE:
            reasons = qr.quality_reasons(signals, family, getattr(SHIPPED, family))
            out[family].append((doc_id, not reasons, _keeps(family, text), reasons))
    return out


@pytest.mark.parametrize("family", ["gopher", "c4", "fineweb"])
def test_decisions_agree_with_datatrove(decisions, family):
    rows = decisions[family]
    differ = {doc_id: (ours, reasons) for doc_id, ours, theirs, reasons in rows if ours != theirs}
    unexplained = {d: v for d, v in differ.items() if d not in EXPLAINED[family]}
    assert not unexplained, f"{family}: decisions differ from datatrove's, not in EXPLAINED: {unexplained}"
    agreement = 1 - len(differ) / len(rows)
    assert agreement >= MIN_AGREEMENT, f"{family}: {agreement:.4f}"
    # both sides keep and drop real shares of the pages: the agreement is not all-keep or all-drop
    kept = Counter(ours for _, ours, _, _ in rows)
    assert kept[True] >= 20 and kept[False] >= 20, kept


def test_character_sets_and_stop_words_are_datatroves():
    assert qr.PUNCTUATION_SET == frozenset(dt_text.PUNCTUATION_SET)
    assert qr.TERMINAL_PUNCTUATION == frozenset(dt_text.TERMINAL_PUNCTUATION)
    assert set(qr.FINEWEB_LINE_ENDS) == set(FineWebQualityFilter().stop_chars)
    assert qr.GOPHER_STOP_WORDS == frozenset(dt_gopher.STOP_WORDS)
    from spacy.pipeline.sentencizer import Sentencizer

    assert qr.SENTENCE_ENDS == frozenset(Sentencizer.default_punct_chars)


def _defaults(cls) -> dict:
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty}


def test_thresholds_are_datatroves_defaults():
    gopher = {**_defaults(GopherQualityFilter), **_defaults(GopherRepetitionFilter)}
    ours = SHIPPED.gopher
    for name in ("min_doc_words", "max_doc_words", "min_avg_word_length", "max_avg_word_length",
                 "max_symbol_word_ratio", "max_bullet_lines_ratio", "max_ellipsis_lines_ratio", "min_stop_words",
                 "dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac"):
        assert getattr(ours, name) == gopher[name], name
    assert tuple((n, getattr(ours, f"top_{n}gram_char_frac")) for n in qr.TOP_NGRAMS) == gopher["top_n_grams"]
    assert tuple((n, getattr(ours, f"dup_{n}gram_char_frac")) for n in qr.DUP_NGRAMS) == gopher["dup_n_grams"]
    assert ours.min_alpha_words_ratio == gopher["max_non_alpha_words_ratio"]  # datatrove's name, a minimum
    c4 = _defaults(C4QualityFilter)
    assert (SHIPPED.c4.min_num_sentences, qr.C4_MIN_WORDS_PER_LINE, qr.C4_MAX_WORD_LENGTH) == (
        c4["min_num_sentences"], c4["min_words_per_line"], c4["max_word_length"])
    assert c4["split_paragraph"] and c4["remove_citations"] and c4["filter_no_terminal_punct"]
    assert c4["filter_javascript"] and c4["filter_policy"]  # the c4_v1 line rules
    fineweb = _defaults(FineWebQualityFilter)
    for name in ("line_punct_thr", "line_punct_exclude_zero", "short_line_thr", "char_duplicates_ratio",
                 "new_line_ratio"):
        assert getattr(SHIPPED.fineweb, name) == fineweb[name], name
    assert fineweb["short_line_length"] == qr.FINEWEB_SHORT_LINE and fineweb["stop_chars"] is None
