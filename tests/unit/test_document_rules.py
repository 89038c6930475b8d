"""Tag, then mix: the document decision made at extract time is the one made again from the stored
signals, and other settings change it without extracting again."""
import dataclasses
import gzip

import pandas as pd
import pyarrow as pa

from jobs.config import load_config
from schemas.docs import DOCS
from tests.conftest import SHARED
from udfs.extract.document_rules import SIGNALS, decide, decider, stored
from udfs.extract.documents import build_document

EXTRACT = load_config().extract
READABILITY = sorted((SHARED / "html" / "mozilla_readability").glob("*/source.html.gz"))[:60]


def documents(settings=EXTRACT) -> list[dict]:
    rows = []
    for i, path in enumerate(READABILITY):
        page = {"page_id": f"p{i}", "url": f"http://site{i}.example/a.html", "warc_filename": "f", "warc_record_offset": i,
                "warc_record_length": 1, "fetch_time": None, "http_status": 200, "crawl": "c",
                "html": gzip.decompress(path.read_bytes()).decode("utf-8", "replace")}
        rows.append(build_document(page, settings)[0])
    return rows


def through_the_table(rows: list[dict]) -> pd.DataFrame:
    """The signal columns as a Spark pandas UDF receives them after a round trip through docs' types."""
    table = pa.Table.from_pylist([{k: r.get(k) for k in DOCS.names} for r in rows], schema=DOCS.arrow())
    return table.select(list(SIGNALS)).to_pandas()


def test_the_decision_read_back_from_the_table_is_the_one_extract_made():
    rows = documents()
    assert {r["keep"] for r in rows} == {True, False} and len({tuple(r["drop_reasons"]) for r in rows}) >= 3
    again = decider(EXTRACT)(through_the_table(rows))
    assert [list(x) for x in again] == [r["drop_reasons"] for r in rows]


def test_other_settings_decide_from_stored_signals_as_a_new_extraction_would():
    rows = documents()
    relaxed = dataclasses.replace(EXTRACT, languages=[], require_images=False,
                                  document=dataclasses.replace(EXTRACT.document, min_words=5))
    strict = dataclasses.replace(EXTRACT, max_images=2, document=dataclasses.replace(EXTRACT.document, min_words=800))
    gopher = dataclasses.replace(relaxed, document_rules=["gopher"])
    all_sets = dataclasses.replace(relaxed, document_rules=["fineweb", "c4", "obelics", "gopher"],
                                   gopher=dataclasses.replace(EXTRACT.gopher, min_doc_words=None))
    for settings in (relaxed, strict, gopher, all_sets):
        fresh = [r["drop_reasons"] for r in documents(settings)]
        assert [list(x) for x in decider(settings)(through_the_table(rows))] == fresh
        assert fresh != [r["drop_reasons"] for r in rows]  # the settings did change the decisions


def test_a_signal_that_is_not_stored_fails_no_rule():
    doc = stored({"n_paragraphs": 3, "n_words": None, "lang": "en", "lang_score": None, "n_images": None})
    assert decide(doc, EXTRACT) == []
    assert decide({**doc, "n_paragraphs": 0}, EXTRACT) == ["no_text"]
    assert decide({**doc, "lang": "fr"}, EXTRACT) == ["language"]
    assert decide({**doc, "n_images": 0, "n_words": 3}, EXTRACT) == ["too_few_words", "no_images"]


def test_each_rule_set_decides_only_when_chosen():
    rows = documents(dataclasses.replace(EXTRACT, languages=[], require_images=False))
    signals = through_the_table(rows)
    chosen = {}
    for family in ("obelics", "gopher", "c4", "fineweb"):
        settings = dataclasses.replace(EXTRACT, languages=[], require_images=False, document_rules=[family])
        chosen[family] = [list(x) for x in decider(settings)(signals)]
        prefix = "" if family == "obelics" else f"{family}_"
        fired = {r for reasons in chosen[family] for r in reasons}
        assert fired and all(r.startswith(prefix) or r in ("no_text", "too_many_images") for r in fired), fired
        assert any(not reasons for reasons in chosen[family])  # each set keeps some of the pages
    both = dataclasses.replace(EXTRACT, languages=[], require_images=False, document_rules=["c4", "gopher"])
    assert [set(x) for x in decider(both)(signals)] == [set(c) | set(g) for c, g in zip(chosen["c4"], chosen["gopher"])]
    none = dataclasses.replace(EXTRACT, languages=[], require_images=False, document_rules=[])
    assert {r for x in decider(none)(signals) for r in x} <= {"no_text", "too_many_images"}
