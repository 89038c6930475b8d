"""Record → page/archived image/reject rules, and per-file accounting on every real WARC (warcio as oracle)."""
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from jobs.config import load_config
from tests.conftest import QUIRKY_DIR, WARC_DIR, warc_files
from udfs.ingest.page_records import classify, ingest_file, page_id, parse_warc_date
from udfs.ingest.warc import RawRecord

CFG = load_config()
HTML = b"<html><head><meta charset='utf-8'></head><body><p>caf\xc3\xa9</p></body></html>"


def record(block: bytes, warc_type="response", content_type="application/http; msgtype=response", **headers):
    hdrs = {"WARC-Type": warc_type, "WARC-Target-URI": "http://example.com/a", "Content-Type": content_type,
            "WARC-Date": "2024-05-01T10:00:00Z", "WARC-Record-ID": "<urn:uuid:1>", **headers}
    return RawRecord(offset=100, headers=hdrs, block=block, declared_length=len(block), length=50)


def http(status=200, ctype="text/html; charset=utf-8", body=HTML) -> bytes:
    return f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\n\r\n".encode() + body


def test_html_response_becomes_a_page():
    row = classify(record(http()), "s3://b/CC-MAIN-2024-22/x.warc.gz", "CC-MAIN-2024-22", CFG.ingest)
    assert row["row_kind"] == "page"
    assert row["html"].endswith("<p>café</p></body></html>")
    assert (row["http_status"], row["content_type"], row["charset"], row["charset_source"]) == (
        200, "text/html", "utf-8", "http")
    assert row["fetch_time"].isoformat() == "2024-05-01T10:00:00+00:00"
    assert row["page_id"] == page_id("/elsewhere/x.warc.gz", 100)  # stable across storage locations
    assert (row["warc_record_offset"], row["warc_record_length"], row["crawl"]) == (100, 50, "CC-MAIN-2024-22")


@pytest.mark.parametrize("rec, reason", [
    (record(b"GET / HTTP/1.1\r\n\r\n", warc_type="request"), "not_response"),
    (record(http(status=404, ctype="image/gif", body=b"GIF89a")), "not_html"),
    (record(http(ctype="application/pdf", body=b"%PDF-1.4")), "not_html"),
    (record(b"<html>no http head</html>"), "malformed_http"),
    (RawRecord(0, record(http()).headers, http()[:40], declared_length=400), "truncated_record"),
])
def test_rejects_carry_a_reason(rec, reason):
    row = classify(rec, "f.warc.gz", "unknown", CFG.ingest)
    assert row["row_kind"] == "reject" and row["reason"] == reason and row["stage"] == "ingest"
    assert row["key"] == "http://example.com/a" and row["detail"]


GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def test_image_responses_become_archived_images():
    row = classify(record(http(ctype="image/gif", body=GIF), **{"WARC-Payload-Digest": "sha1:ABC"}), "f.warc.gz",
                   "unknown", CFG.ingest)
    assert row["row_kind"] == "archived_image" and row["payload"] == GIF and row["image_url"] == "http://example.com/a"
    assert (row["content_type"], row["http_status"], row["record_kind"], row["payload_digest"]) == (
        "image/gif", 200, "response", "sha1:ABC")
    assert (row["warc_filename"], row["warc_record_offset"], row["fetch_time"].year) == ("f.warc.gz", 100, 2024)
    sniffed = classify(record(http(ctype="application/octet-stream", body=b"\xff\xd8\xff\xe0" + b"\x00" * 40)),
                       "f", "u", CFG.ingest)
    assert sniffed["row_kind"] == "archived_image"  # by its magic bytes
    small = load_config(overrides=["ingest.max_image_bytes=5"]).ingest
    assert classify(record(http(ctype="image/gif", body=GIF)), "f", "u", small)["reason"] == "too_large"
    revisit = record(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n", warc_type="revisit",
                     **{"WARC-Refers-To-Target-URI": "http://example.com/original.jpg"})
    row = classify(revisit, "f", "u", CFG.ingest)
    assert row["row_kind"] == "archived_image" and row["payload"] is None
    assert (row["record_kind"], row["refers_to"]) == ("revisit", "http://example.com/original.jpg")
    page_revisit = record(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", warc_type="revisit")
    assert classify(page_revisit, "f", "u", CFG.ingest)["reason"] == "not_response"


def test_status_filter_is_a_setting():
    page = record(http(status=404))
    assert classify(page, "f", "unknown", CFG.ingest)["row_kind"] == "page"
    strict = load_config(overrides=["ingest.keep_status=[200]"]).ingest
    assert classify(page, "f", "unknown", strict)["reason"] == "http_status_404"


def test_capture_without_http_head_is_a_page_with_no_status():
    row = classify(record(HTML, content_type="text/html; charset=utf-8", **{"WARC-Date": "null"}), "f", "u", CFG.ingest)
    assert row["row_kind"] == "page" and row["http_status"] is None and row["fetch_time"] is None


def test_warc_dates():
    assert parse_warc_date("2009-03-67T15:35:34-0700") is None
    assert parse_warc_date("2009-03-07T15:35:34-0700").hour == 22
    assert parse_warc_date("2008-04-30T20:48:26.123Z").microsecond == 123000
    assert parse_warc_date("0001-01-01T00:00:00+01:00") is None  # before year 1 in UTC


def oracle_html_responses(path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for r in WarcioIterator(fh) if r.rec_type == "response" and r.http_headers and
                   (r.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
                   in ("text/html", "application/xhtml+xml"))


def rows_of(path):
    rows = list(ingest_file(str(path), CFG))
    return rows[:-1], rows[-1]


@pytest.mark.parametrize("path", warc_files(quirky=False), ids=lambda p: p.name)
def test_pages_are_exactly_the_html_responses(path):
    rows, summary = rows_of(path)
    assert summary["pages"] == oracle_html_responses(path)
    with open(path, "rb") as fh:
        assert summary["records_read"] == sum(1 for _ in WarcioIterator(fh))


@pytest.mark.parametrize("path", warc_files(quirky=True), ids=lambda p: p.name)
def test_every_record_is_a_page_or_a_reject(path):
    rows, summary = rows_of(path)
    kinds = Counter(r["row_kind"] for r in rows)
    assert summary["records_read"] == kinds["page"] + kinds["archived_image"] + kinds["reject"] == len(rows) > 0
    assert (summary["pages"], summary["archived_images"], summary["rejected"]) == (
        kinds["page"], kinds["archived_image"], kinds["reject"])


def oracle_image_responses(path) -> set[str]:
    with open(path, "rb") as fh:
        return {r.rec_headers.get_header("WARC-Target-URI") for r in WarcioIterator(fh)
                if r.rec_type == "response" and r.http_headers and r.http_headers.get_statuscode() == "200"
                and (r.http_headers.get_header("Content-Type") or "").lower().startswith("image/")}


def test_known_file_counts():
    rows, summary = rows_of(WARC_DIR / "aut_archive-org-2008_example.warc.gz")
    images = [r for r in rows if r["row_kind"] == "archived_image"]
    assert summary["pages"] == 140 and summary["archived_images"] == len(images) == 55
    assert sum(r["content_type"] in ("image/gif", "image/jpeg") for r in images) == 47  # and 8 PNG
    assert {r["image_url"] for r in rows if r["row_kind"] == "archived_image"} == oracle_image_responses(
        WARC_DIR / "aut_archive-org-2008_example.warc.gz")
    assert rows_of(WARC_DIR / "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz")[1]["crawl"] == "CC-MAIN-2020-34"


@pytest.mark.parametrize("name, reader, reasons", [
    ("copycat_LICENSE", "none", {"unreadable_file": 1}),
    ("resiliparse_clipped.warc.gz", "resync", {"truncated_record": 1}),
    ("pywarc_clueweb09-en_sample_MALFORMED.warc.gz", "resync", {"not_response": 1}),
    ("copycat_commoncrawl-2008-09_small-sample-1262850551027_8.arc.gz", "resync", {"not_response": 1}),
])
def test_quirky_files_end_with_their_reasons(name, reader, reasons):
    rows, summary = rows_of(QUIRKY_DIR / name)
    assert summary["reader"] == reader
    assert dict(Counter(r["reason"] for r in rows if r["row_kind"] == "reject")) == reasons


def test_arc_pages_match_their_warc_conversion():
    arc, _ = rows_of(QUIRKY_DIR / "copycat_commoncrawl-2008-09_small-sample-1213893279526_0.arc.gz")
    warc, _ = rows_of(WARC_DIR / "commoncrawl-2008_small-sample-1213893279526_0.CONVERTED.warc.gz")

    def pages(rows):
        return [(r["url"], r["http_status"], r["html"][:200]) for r in rows if r["row_kind"] == "page"]

    assert pages(arc) == pages(warc)


def test_wayback_captures_with_null_dates_are_pages():
    rows, summary = rows_of(QUIRKY_DIR / "copycat_wayback-snapshots-clueweb09-topic02.warc.gz")
    pages = [r for r in rows if r["row_kind"] == "page"]
    assert len(pages) == 128 and all(p["fetch_time"] is None and p["http_status"] is None for p in pages)


def test_missing_file_is_one_unreadable_reject(tmp_path):
    rows, summary = rows_of(tmp_path / "gone.warc.gz")
    assert [r["reason"] for r in rows] == ["unreadable_file"] and summary["records_read"] == 1
