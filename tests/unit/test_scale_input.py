"""bench/scale_input.py: a tiny scale input, read back with fastwarc, warcio and weft's own reader."""
import hashlib
import importlib.util
import json
import re
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from jobs.config import load_config
from udfs.ingest.http_body import media_type, parse_response
from udfs.ingest.page_records import ingest_file

REPO = Path(__file__).resolve().parents[2]
PAGES, GIANT_BYTES = 120, 1_500_000
ARGS = ["--pages", str(PAGES), "--min-gz-bytes", "0", "--giant-pages", "1", "--giant-bytes", str(GIANT_BYTES),
        "--sources", "12", "--seed", "0"]
NAMES = {part: f"CC-MAIN-2026-49-weft-scale-{part}.warc.gz" for part in ("full", "half", "quarter")}


def load_script():
    spec = importlib.util.spec_from_file_location("scale_input", REPO / "bench" / "scale_input.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["scale_input"] = module  # worker processes find the task function by module name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def runs(tmp_path_factory, shared_data):
    """The same seed generated twice: in this process, and with two worker processes."""
    script = load_script()
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    script.main(ARGS + ["--out", str(one), "--workers", "1", "--data", str(shared_data)])
    script.main(ARGS + ["--out", str(two), "--workers", "2", "--data", str(shared_data)])
    return one, two


def read(path: Path) -> list[dict]:
    """Every record with fastwarc: offset, type, WARC headers, block, parsed HTTP response."""
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, parse_http=False):
            headers = dict(rec.headers.items())
            block = rec.reader.read()
            rtype = headers["WARC-Type"]
            out.append({"offset": rec.stream_pos, "type": rtype, "headers": headers, "block": block,
                        "http": parse_response(block) if rtype in ("request", "response") else None,
                        "fields": dict(line.split(": ", 1) for line in block.decode().splitlines() if ": " in line)
                        if rtype in ("warcinfo", "metadata") else {}})
    return out


def sha1(data: bytes) -> str:
    import base64

    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def shingles(html: str) -> set:
    """Word 5-grams of the visible text (CJK: characters as words)."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(html)
    for node in tree.css("script, style, noscript, textarea, template"):
        node.decompose()
    text = tree.root.text(separator=" ") if tree.root else ""
    words = re.findall(r"[\u3040-\u30ff\u3400-\u9fff]|[^\W_\u3040-\u30ff\u3400-\u9fff]+", text)  # CJK: characters
    return {tuple(words[i:i + 5]) for i in range(len(words) - 4)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / max(len(a | b), 1)


def test_same_seed_gives_the_same_bytes_whatever_the_workers(runs):
    one, two = runs
    for name in NAMES.values():
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_one_gzip_member_per_record_at_the_offsets_a_cc_index_gives(runs):
    path = runs[0] / NAMES["full"]
    data = path.read_bytes()
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        d = zlib.decompressobj(31)
        member = d.decompress(data[pos:])
        assert d.eof and member.startswith(b"WARC/1.0\r\n") and member.count(b"\r\nWARC-Record-ID: ") == 1
        pos = len(data) - len(d.unused_data)
    records = read(path)
    assert [r["offset"] for r in records] == starts
    with open(path, "rb") as fh:  # warcio: the same records and offsets
        it = WarcioIterator(fh)
        warcio_records = [(rec.rec_headers.get_header("WARC-Record-ID"), it.get_record_offset())
                          for rec in it if rec.content_stream().read() is not None]
    assert warcio_records == [(r["headers"]["WARC-Record-ID"], r["offset"]) for r in records]


def test_records_are_laid_out_as_commoncrawl_ships_them(runs):
    records = read(runs[0] / NAMES["full"])
    assert records[0]["type"] == "warcinfo" and records[0]["fields"]["isPartOf"] == "CC-MAIN-2026-49"
    assert records[0]["headers"]["WARC-Filename"] == NAMES["full"]
    rest = records[1:]
    assert len(rest) % 3 == 0 and {r["type"] for r in records} == {"warcinfo", "request", "response", "metadata"}
    ids = [r["headers"]["WARC-Record-ID"] for r in records]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"<urn:uuid:[0-9a-f-]{36}>", i) for i in ids)
    for req, resp, meta in zip(rest[0::3], rest[1::3], rest[2::3]):
        assert (req["type"], resp["type"], meta["type"]) == ("request", "response", "metadata")
        assert resp["headers"]["WARC-Concurrent-To"] == req["headers"]["WARC-Record-ID"]
        assert meta["headers"]["WARC-Concurrent-To"] == resp["headers"]["WARC-Record-ID"]
        assert req["headers"]["WARC-Target-URI"] == resp["headers"]["WARC-Target-URI"] == meta["headers"][
            "WARC-Target-URI"]
        assert resp["headers"]["Content-Type"] == "application/http; msgtype=response"
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", resp["headers"]["WARC-IP-Address"])
        assert re.fullmatch(r"2026-1[12]-\d\dT\d\d:\d\d:\d\dZ", resp["headers"]["WARC-Date"])
        assert "fetchTimeMs" in meta["fields"]
        for r in (req, resp, meta):
            assert r["headers"]["WARC-Block-Digest"] == sha1(r["block"])
        assert resp["headers"]["WARC-Payload-Digest"] == sha1(resp["http"].body)
        assert resp["block"].startswith(b"HTTP/1.1 ")
        assert resp["headers"]["WARC-Identified-Payload-Type"] == media_type(resp["http"].headers["content-type"])[0]


def summarise(records: list[dict]) -> tuple[Counter, list[dict]]:
    """What the stats file claims, counted from the records; and the responses with their metadata."""
    counts, responses = Counter(), []
    metadata = {r["headers"]["WARC-Concurrent-To"]: r["fields"] for r in records if r["type"] == "metadata"}
    for r in records:
        counts[f"records/{r['type']}"] += 1
        if r["type"] != "response":
            continue
        resp = r["http"]
        ctype = media_type(resp.headers["content-type"])[0]
        r["meta"] = metadata[r["headers"]["WARC-Record-ID"]]
        responses.append(r)
        if ctype == "text/html":
            counts[f"html/{resp.status}"] += 1
            if resp.status == 200:
                counts["html_bytes"] += len(resp.body)
                counts[f"pages_by_source/{r['meta']['weft-source'].split('/')[0]}"] += 1
                counts[f"copies/{r['meta']['weft-copy-kind']}"] += 1
                counts["truncated_pages"] += "WARC-Truncated" in r["headers"]
        elif ctype.startswith("image/"):
            counts[f"images/{ctype}"] += 1
        else:
            counts[f"non_html/{ctype}"] += 1
    return counts, responses


@pytest.mark.parametrize("part", ["full", "half", "quarter"])
def test_stats_file_matches_the_records(runs, part):
    path = runs[0] / NAMES[part]
    counts, _ = summarise(read(path))
    stats = json.loads(Path(f"{path}.stats.json").read_text())

    def sub(prefix):
        return {k[len(prefix):]: v for k, v in counts.items() if k.startswith(prefix)}

    assert stats["gz_bytes"] == path.stat().st_size
    assert stats["records_by_type"] == sub("records/")
    assert stats["html_responses_by_status"] == sub("html/")
    assert stats["non_html_by_content_type"] == sub("non_html/")
    assert stats["image_responses_by_content_type"] == sub("images/")
    assert stats["pages_by_source"] == sub("pages_by_source/") and stats["copies"] == sub("copies/")
    assert stats["truncated_pages"] == counts["truncated_pages"]
    assert stats["mean_html_bytes"] == pytest.approx(counts["html_bytes"] / counts["html/200"], abs=0.1)
    assert stats["html_pages_200"] == {"full": PAGES, "half": PAGES // 2, "quarter": PAGES // 4}[part]
    assert stats["giant_pages"] == 1  # in every part


def test_pages_are_distinct_copies_with_planted_duplicates(runs):
    records = read(runs[0] / NAMES["full"])
    _, responses = summarise(records)
    urls = [r["headers"]["WARC-Target-URI"] for r in responses]
    assert len(set(urls)) == len(urls)
    pages = [r for r in responses if r["http"].status == 200 and r["http"].headers["content-type"].startswith("text/html")]
    kinds = Counter(p["meta"]["weft-copy-kind"] for p in pages)
    assert len({p["meta"]["weft-source"] for p in pages}) == 12  # --sources
    assert kinds["first_use"] >= 11 and kinds["perturbed"] > 20 and kinds["exact_duplicate"] and kinds["near_duplicate"]
    by_tag = {p["meta"]["weft-image-tag"]: p for p in pages if p["meta"]["weft-copy-kind"] in ("first_use", "perturbed")}
    first = {p["meta"]["weft-source"]: p for p in pages if p["meta"]["weft-copy-kind"] == "first_use"}
    checked = Counter()
    for p in pages:
        kind, body = p["meta"]["weft-copy-kind"], p["http"].body
        charset = media_type(p["http"].headers["content-type"])[1]
        if kind == "giant":
            assert len(body) == GIANT_BYTES and "WARC-Truncated" not in p["headers"]
            continue
        assert len(body) <= 1 << 20 and ("WARC-Truncated" in p["headers"]) == (len(body) == 1 << 20)
        if kind == "exact_duplicate":
            assert body == by_tag[p["meta"]["weft-image-tag"]]["http"].body
        elif kind == "near_duplicate":
            base = by_tag[p["meta"]["weft-image-tag"]]["http"].body
            similar = jaccard(shingles(body.decode(charset, "replace")), shingles(base.decode(charset, "replace")))
            assert body != base and similar > 0.75, similar
        elif kind == "perturbed" and p["meta"]["weft-source"] in first:
            base = first[p["meta"]["weft-source"]]["http"].body
            similar = jaccard(shingles(body.decode(charset, "replace")), shingles(base.decode(charset, "replace")))
            assert similar < 0.3, similar
        checked[kind] += 1
    assert checked["perturbed"] and checked["near_duplicate"] and checked["exact_duplicate"]


def test_archived_images_belong_to_the_page_before_them(runs):
    _, responses = summarise(read(runs[0] / NAMES["full"]))
    page_html, seen, n_images, pages_html = None, Counter(), 0, []
    for r in responses:
        ctype = media_type(r["http"].headers["content-type"])[0]
        if ctype == "text/html" and r["http"].status == 200:
            charset = media_type(r["http"].headers["content-type"])[1]
            page_html = r["http"].body.decode(charset, "replace")
            pages_html.append(page_html)
        elif ctype.startswith("image/"):
            url = r["headers"]["WARC-Target-URI"]
            assert url.replace("&", "&amp;") in page_html and "weft=" in url
            assert r["http"].status == 200 and len(r["http"].body) < 1_000_000
            assert r["http"].body[:3] == (b"\xff\xd8\xff" if ctype == "image/jpeg" else b"\x89PN")
            seen[url] += 1
            n_images += 1
    assert n_images and max(seen.values()) == 1
    stats = json.loads(Path(f"{runs[0] / NAMES['full']}.stats.json").read_text())
    referencing = sum(any(u.replace("&", "&amp;") in html for u in seen) for html in pages_html)
    assert stats["image_responses"] == n_images and stats["pages_referencing_archived_images"] == referencing
    assert 0 < stats["pages_with_archived_images"] <= referencing


@pytest.mark.parametrize("part", ["half", "quarter"])
def test_parts_are_prefixes_of_the_full_stream(runs, part):
    full, prefix = read(runs[0] / NAMES["full"]), read(runs[0] / NAMES[part])
    assert prefix[0]["type"] == "warcinfo" and prefix[0]["headers"]["WARC-Filename"] == NAMES[part]
    assert prefix[0]["fields"]["isPartOf"] == "CC-MAIN-2026-49"
    assert 1 < len(prefix) < len(full)
    key = [(r["headers"]["WARC-Record-ID"], r["block"]) for r in full[1:len(prefix)]]
    assert [(r["headers"]["WARC-Record-ID"], r["block"]) for r in prefix[1:]] == key
    data, full_data = (runs[0] / NAMES[part]).read_bytes(), (runs[0] / NAMES["full"]).read_bytes()
    assert full_data[full[1]["offset"]:].startswith(data[prefix[1]["offset"]:])


def test_weft_reader_accounts_for_every_record(runs):
    settings = load_config([], [])
    path = runs[0] / NAMES["full"]
    stats = json.loads(Path(f"{path}.stats.json").read_text())
    rows = list(ingest_file(str(path), settings))
    kinds = Counter(row["row_kind"] for row in rows)
    assert set(kinds) == {"page", "archived_image", "reject", "file"} and kinds["file"] == 1
    file_row = rows[-1]
    assert file_row["row_kind"] == "file" and file_row["crawl"] == "CC-MAIN-2026-49"
    assert file_row["records_read"] == stats["records"] == sum(kinds[k] for k in ("page", "archived_image", "reject"))
    assert file_row["records_read"] == file_row["pages"] + file_row["archived_images"] + file_row["rejected"]
    assert file_row["pages"] == stats["html_responses"] and file_row["archived_images"] == stats["image_responses"]
    reasons = Counter(row["reason"] for row in rows if row["row_kind"] == "reject")
    assert reasons == {"not_response": stats["records"] - stats["responses"], "not_html": stats["non_html_responses"]}
    assert stats["non_html_by_content_type"] == {"application/json": 1, "application/pdf": 1, "text/plain": 1}
    assert set(stats["html_responses_by_status"]) == {"200", "301", "302", "404"}
    pages = [row for row in rows if row["row_kind"] == "page"]
    assert {row["crawl"] for row in pages} == {"CC-MAIN-2026-49"}
    assert sum(row["warc_truncated"] == "length" for row in pages) == stats["truncated_pages"] > 0
