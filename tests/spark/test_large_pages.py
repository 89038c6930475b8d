"""Pages of 20 MiB of HTML through ingest and extract in the tests' Spark session, at the default
2 GB driver (which is also the executor): stored in ``pages`` and read back, and read again from
the WARC file, each page ends as a document or a reject, the same either way."""
import base64
import dataclasses
import random

import pyarrow.parquet as pq
import pytest

from jobs import extract, ingest
from jobs.runtime import RunContext
from jobs.tables import read_table
from schemas.docs import DOCS
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.table import WIDE_ROW_GROUP_BYTES
from tests.warc_damage import per_record_gzip, rec

pytestmark = pytest.mark.spark

PROSE = ("<p>The museum opened a new wing last spring, and visitors have been arriving in large numbers ever "
         "since, to see its collection of early photographs, one of the best in the country.</p>")
GIANT_BYTES = 20_000_000  # just under ingest.max_html_bytes (20 MiB)


def giant(i: int) -> bytes:
    """20 MB of paragraphs that compress about as little as text does (random words of base64)."""
    head = b'<html><body><article><img src="/lead.jpg" width="800" height="500" alt="the new wing">'
    noise = base64.b64encode(random.Random(i).randbytes(GIANT_BYTES * 3 // 4))
    words = b" ".join(noise[j:j + 8] for j in range(0, len(noise), 8))
    body = b"".join(b"<p>" + words[j:j + 600] + b"</p>" for j in range(0, GIANT_BYTES - len(head) - 64, 607))
    return head + body + b"</article></body></html>"


@pytest.fixture(scope="module")
def warc(tmp_path_factory):
    folder = tmp_path_factory.mktemp("large")
    path = folder / "large-pages.warc.gz"
    small = [rec(i, body=b"<html><body><article>" + PROSE.encode() * 5 + b"</article></body></html>")
             for i in range(3)]
    path.write_bytes(per_record_gzip([small[0], rec(10, body=giant(10)), small[1], rec(11, body=giant(11)),
                                      small[2]]))
    return path


def run(spark, test_settings, folder, warc, store_html):
    config = dataclasses.replace(
        test_settings, ingest=dataclasses.replace(test_settings.ingest, store_html=store_html),
        extract=dataclasses.replace(test_settings.extract, time_limit_seconds=1.0, require_images=False))
    assert config.spark.driver_memory == "2g"
    ctx = RunContext(run_dir=str(folder), config=config, files=[str(warc)])
    ingest.run(spark, ctx)
    return ctx, extract.run(spark, ctx)


def test_twenty_mib_pages_are_stored_read_back_and_extracted_like_any_other(spark, test_settings, tmp_path, warc):
    stored, stats = run(spark, test_settings, tmp_path / "stored", warc, store_html=True)
    pages = read_table(spark, PAGES, stored)
    sizes = sorted(r["n"] for r in pages.selectExpr("length(html) as n").collect())
    assert len(sizes) == 5 and sizes[-2] > 19_000_000
    groups = [pq.ParquetFile(part).metadata.num_row_groups for part in (tmp_path / "stored" / "pages").rglob("*.parquet")]
    assert sum(groups) >= 2  # the two 20 MB pages (~15 MB compressed each) do not share a row group
    for part in (tmp_path / "stored" / "pages").rglob("*.parquet"):  # row groups sized by bytes, not rows
        meta = pq.ParquetFile(part).metadata
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            compressed = sum(group.column(c).total_compressed_size for c in range(group.num_columns))
            assert group.num_rows == 1 or compressed < 2 * WIDE_ROW_GROUP_BYTES
    assert stats["balanced"] and stats["input_rows"] == 5
    again, stats_again = run(spark, test_settings, tmp_path / "again", warc, store_html=False)
    assert read_table(spark, PAGES, again).where("html is not null").count() == 0

    def outcome(ctx):
        docs = {r["doc_id"]: ("doc", r["n_words"]) for r in read_table(spark, DOCS, ctx).collect()}
        rejects = {r["key"]: ("reject", r["reason"])
                   for r in read_table(spark, REJECTS, ctx).where("stage = 'extract'").collect()}
        assert not set(docs) & set(rejects)
        return {**docs, **rejects}

    lengths = {r["page_id"]: r["n"] for r in pages.selectExpr("page_id", "length(html) as n").collect()}
    stored_outcome = outcome(stored)
    assert set(stored_outcome) == set(lengths)  # every page accounted for
    for page_id, (kind, detail) in stored_outcome.items():
        if lengths[page_id] < 1_000_000:
            assert kind == "doc", (kind, detail)
        else:  # the same rules as any page: a document, or the time limit's reject
            assert kind == "doc" or detail == "extract_timeout", (kind, detail)
    assert outcome(again) == stored_outcome
