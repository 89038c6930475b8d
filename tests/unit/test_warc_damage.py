"""Generated damage the reader must survive: every record comes out once, or as a reject."""
import gzip
import io

from fastwarc.stream_io import ZstdWriter

from jobs.config import load_config
from udfs.ingest.page_records import ingest_file
from tests.warc_damage import damaged_files, per_record_gzip, rec
from udfs.ingest.warc import RawRecord, ReadLog, read_archive


def read(data: bytes) -> tuple[list, ReadLog]:
    log = ReadLog()
    return list(read_archive(lambda: io.BytesIO(data), len(data), log=log)), log


def uris(items) -> list:
    return [i.headers["WARC-Target-URI"] if isinstance(i, RawRecord) else i.reason for i in items]


def test_negative_content_length_neither_crashes_nor_loops():
    for packed in (lambda parts: b"".join(parts), per_record_gzip):
        items, _ = read(packed([rec(0), rec(1, cl=-10**9), rec(2)]))
        assert uris(items) == ["http://a/0", "http://a/1", "http://a/2"]


def test_content_length_past_the_end_does_not_swallow_the_records_after_it():
    for packed in (lambda parts: b"".join(parts), per_record_gzip):
        items, log = read(packed([rec(0), rec(1, cl=10**6), rec(2), rec(3)]))
        assert log.reader == "resync"
        assert [u for u in uris(items) if u.startswith("http")] == [f"http://a/{i}" for i in range(4)]


def test_record_glued_to_the_next_without_blank_line():
    glued = rec(1)[:-4]
    for packed in (lambda parts: b"".join(parts), per_record_gzip):
        items, _ = read(packed([rec(0), glued, rec(2), rec(3)]))
        assert uris(items) == [f"http://a/{i}" for i in range(4)]


def test_damaged_header_is_garbage_and_its_neighbour_keeps_its_exact_block():
    bad = rec(2).replace(b"WARC/1.0", b"WARX/1.0")
    items, _ = read(b"".join([rec(0), rec(1), bad, rec(3)]))
    assert uris(items) == ["http://a/0", "http://a/1", "garbage_between_records", "http://a/3"]
    assert items[1].block.endswith(b"<html>1</html>")


def test_arc_lines_with_spaces_and_upper_case_schemes():
    def arc(url: str, body: bytes) -> bytes:
        return f"{url} 1.2.3.4 20080509190241 text/html {len(body)}\n".encode() + body + b"\n"
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>x</html>"
    info = b"1 0 test\nURL IP-address Archive-date Content-type Archive-length\n"
    data = (f"filedesc://t.arc 0.0.0.0 20080619093439 text/plain {len(info)}\n".encode() + info + b"\n"
            + arc("http://a/with space.html", body) + arc("HTTP://A/2", body) + arc("http://a/3", body))
    items, log = read(data)
    assert log.reader == "resync"
    assert uris(items) == ["filedesc://t.arc", "http://a/with space.html", "HTTP://A/2", "http://a/3"]


def test_one_gzip_member_for_the_whole_file_gets_stream_offsets():
    parts = [rec(i, body=b"<html>" + b"x" * 5000 + b"</html>") for i in range(20)]
    plain = b"".join(parts)
    items, log = read(gzip.compress(plain, mtime=0))
    assert log.reader == "resync"
    assert [i.offset for i in items] == [plain.index(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://a/%d\r" % i)
                                         for i in range(20)]


def test_empty_first_gzip_member_and_junk_before_the_first_record():
    items, _ = read(gzip.compress(b"", mtime=0) + per_record_gzip([rec(0), rec(1)]))
    assert uris(items) == ["http://a/0", "http://a/1"]
    items, _ = read(b"\n" * 3 + b"junk line\n" * 600 + rec(0) + rec(1))
    assert uris(items) == ["garbage_between_records", "http://a/0", "http://a/1"]


def test_zstd_framed_warc_is_read_by_fastwarc():
    sink = io.BytesIO()
    writer = ZstdWriter(sink)
    for part in (rec(0), rec(1)):
        writer.write(part)
    writer.close()
    items, log = read(sink.getvalue())
    assert log.reader == "fastwarc" and uris(items) == ["http://a/0", "http://a/1"]


def test_oversized_records_are_not_loaded_and_end_as_too_large(tmp_path):
    path = tmp_path / "big.warc"
    path.write_bytes(rec(0) + rec(1, body=b"<html>" + b"x" * 4096 + b"</html>") + rec(2))
    config = load_config(overrides=["ingest.max_record_bytes=1000"])
    rows = [r for r in ingest_file(str(path), config) if r["row_kind"] != "file"]
    assert [(r.get("url"), r.get("reason")) for r in rows] == [
        ("http://a/0", None), (None, "too_large"), ("http://a/2", None)]


def test_every_generated_damage_keeps_the_accounting(tmp_path):
    config = load_config()
    cases = damaged_files()
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        rows = list(ingest_file(str(tmp_path / name), config))
        summary = rows[-1]
        assert summary["records_read"] == summary["pages"] + summary["archived_images"] + summary["rejected"] \
            == len(rows) - 1 > 0, name
        assert not any(r.get("reason") == "internal_error" for r in rows), (name, rows)
