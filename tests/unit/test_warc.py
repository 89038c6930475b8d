"""The WARC reader against real files, an independent parser (warcio), and generated damage."""
import gzip
import io
import zlib

import pytest
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from tests.conftest import QUIRKY_DIR, WARC_DIR, warc_files
from udfs.ingest.warc import RawRecord, ReadLog, Unreadable, read_archive


def read_bytes(data: bytes, log: ReadLog | None = None) -> list:
    return list(read_archive(lambda: io.BytesIO(data), len(data), log=log))


def read_path(path, log: ReadLog | None = None) -> list:
    return list(read_archive(lambda: open(path, "rb"), path.stat().st_size, log=log))


def warcio_records(path) -> list[tuple[str, str | None]]:
    with open(path, "rb") as fh:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID")) for r in WarcioIterator(fh)]


@pytest.mark.parametrize("path", warc_files(quirky=False), ids=lambda p: p.name)
def test_every_record_of_clean_files_matches_warcio(path):
    log = ReadLog()
    ours = read_path(path, log)
    assert log.reader == "fastwarc"
    assert all(isinstance(r, RawRecord) for r in ours)
    assert [(r.warc_type, r.headers.get("WARC-Record-ID")) for r in ours] == warcio_records(path)


def test_offsets_and_lengths_address_each_gzip_member():
    """CommonCrawl's index convention: data[offset:offset+length] is one gzip member holding the record."""
    path = WARC_DIR / "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz"
    data = path.read_bytes()
    records = read_path(path)
    assert sum(r.length for r in records) == len(data)
    for rec in records:
        member = gzip.decompress(data[rec.offset:rec.offset + rec.length])
        assert member.startswith(b"WARC/1.0")
        assert rec.headers["WARC-Record-ID"].encode() in member[:2000]


def test_arc_files_are_read_leniently_and_match_their_warc_conversion():
    """The quirky ARC files declare wrong record lengths; CommonCrawl's own WARC conversion of the
    same crawl segment is the reference."""
    arc = read_path(QUIRKY_DIR / "copycat_commoncrawl-2008-09_small-sample-1213893279526_0.arc.gz", log := ReadLog())
    assert log.reader == "resync"
    converted = read_path(WARC_DIR / "commoncrawl-2008_small-sample-1213893279526_0.CONVERTED.warc.gz")
    arc_urls = [r.headers["WARC-Target-URI"] for r in arc if r.warc_type == "response"]
    warc_urls = [r.headers["WARC-Target-URI"] for r in converted if r.warc_type == "response"]
    assert arc_urls == warc_urls and len(arc_urls) == 145
    assert all(r.block.startswith(b"HTTP/") for r in arc if r.warc_type == "response")


def test_malformed_warc_falls_back_to_resync_and_reads_every_record():
    path = QUIRKY_DIR / "pywarc_clueweb09-en_sample_MALFORMED.warc.gz"
    log = ReadLog()
    records = read_path(path, log)
    expected = gzip.decompress(path.read_bytes()).count(b"\nWARC/0.18\n") + 1
    assert log.reader == "resync"  # one gzip member for the whole file: fastwarc's offsets mean nothing
    assert len(records) == expected == 101
    assert len({r.headers.get("WARC-Record-ID") for r in records}) == 101
    offsets = [r.offset for r in records]
    assert offsets == sorted(set(offsets))  # one gzip member: positions in the decompressed stream


def test_clipped_record_comes_out_short_of_its_declared_length():
    (rec,) = read_path(QUIRKY_DIR / "resiliparse_clipped.warc.gz")  # one reject, not two, for one cut
    assert rec.declared_length > len(rec.block) > 0


def test_not_an_archive_and_empty_files_are_one_unreadable_item():
    (item,) = read_path(QUIRKY_DIR / "copycat_LICENSE")
    assert isinstance(item, Unreadable) and item.reason == "unreadable_file"
    assert read_bytes(b"")[0].reason == "empty_file"
    assert read_bytes(gzip.compress(b"just text, no records\n"))[0].reason == "unreadable_file"


def _members(path):
    data = path.read_bytes()
    records = read_path(path)
    return data, [data[r.offset:r.offset + r.length] for r in records]


def test_truncated_gzip_member_keeps_the_records_before_it():
    data, members = _members(WARC_DIR / "dolma_sample-0000.warc.gz")
    cut = b"".join(members[:10]) + members[10][: len(members[10]) // 2]
    items = read_bytes(cut)
    records = [i for i in items if isinstance(i, RawRecord)]
    assert len(records) >= 10
    assert [r.headers["WARC-Record-ID"] for r in records[:10]] == [
        r.headers["WARC-Record-ID"] for r in read_bytes(b"".join(members[:10]))]
    damaged = [i for i in items if isinstance(i, Unreadable)] + [
        r for r in records[10:] if r.declared_length and len(r.block or b"") < r.declared_length]
    assert damaged, "the cut member must surface as a truncated record or an unreadable stretch"


def test_garbage_between_records_is_reported_and_the_rest_kept():
    data, members = _members(WARC_DIR / "dolma_sample-0000.warc.gz")
    damaged = b"".join(members[:5]) + b"this is not gzip data at all\n" * 20 + b"".join(members[5:])
    items = read_bytes(damaged)
    records = [i for i in items if isinstance(i, RawRecord)]
    garbage = [i for i in items if isinstance(i, Unreadable)]
    assert len(records) == len(members)
    assert [g.reason for g in garbage] == ["garbage_between_records"]


def test_wrong_content_length_in_plain_warc_loses_no_record():
    data = gzip.decompress((WARC_DIR / "dolma_sample-0001.warc.gz").read_bytes())
    good = read_bytes(data)
    first_len = data.index(b"Content-Length: ")
    end = data.index(b"\r\n", first_len)
    bad = data[:first_len] + b"Content-Length: 5" + data[end:]  # warcinfo block declared far too short
    log = ReadLog()
    items = read_bytes(bad, log)
    assert log.reader == "resync" and log.errors
    ids = [i.headers.get("WARC-Record-ID") for i in items if isinstance(i, RawRecord)]
    assert ids == [r.headers.get("WARC-Record-ID") for r in good]


def test_zero_length_record_is_a_record():
    record = (b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
              b"Content-Length: 0\r\n\r\n\r\n\r\n")
    (rec,) = read_bytes(record + b"")
    assert rec.warc_type == "resource" and rec.block == b"" and rec.declared_length == 0
    two = read_bytes(zlib.compress(b"") and gzip.compress(record) + gzip.compress(record))
    assert len(two) == 2
