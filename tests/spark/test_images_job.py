"""The images stage end to end: the Mona Lisa page's images, archived in its WARC and served by
a local HTTP server, come back ok with their real sizes; every URL has a row."""
import dataclasses
import io
import json
from urllib.parse import unquote, urljoin

import pytest
from PIL import Image

from jobs import dedup, extract, images, ingest
from jobs.runtime import RunContext
from jobs.tables import read_table
from schemas.archived_images import ARCHIVED_IMAGES
from schemas.images import IMAGES
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from tests.conftest import SHARED, WARC_DIR
from tests.image_server import ImageServer

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def run(spark, test_settings, tmp_path_factory):
    with ImageServer() as server:
        extract_settings = dataclasses.replace(  # OBELICS's rules keep the page's figures; the article is long
            test_settings.extract, mode="obelics",
            document=dataclasses.replace(test_settings.extract.document, max_words=100_000))
        settings = dataclasses.replace(test_settings, extract=extract_settings, images=dataclasses.replace(
            test_settings.images, allowlist=["127.0.0.1"], threads=8, source="web_only",
            rewrite_prefixes={"http://": f"{server.base}/mirror/http/", "https://": f"{server.base}/mirror/https/"}))
        ctx = RunContext(run_dir=str(tmp_path_factory.mktemp("images")), config=settings,
                         files=[str(WARC_DIR / "ukwa_wikipedia-mona-lisa.warc.gz")])
        for stage in (ingest, extract, dedup):
            stage.run(spark, ctx)
        stats = images.run(spark, ctx)
        yield ctx, stats, spark, server


def test_the_pages_archived_images_come_back_ok_with_their_sizes(run):
    ctx, stats, spark, server = run
    rows = {r["image_url"]: r for r in read_table(spark, IMAGES, ctx).collect()}
    path = lambda url: unquote(url.split("://", 1)[1])  # noqa: E731 -- the mirror's key
    archived = {url for url in rows if path(url) in server.archived_by_path}
    assert len(archived) >= 5, sorted(rows)
    for url in archived:
        row = rows[url]
        body = server.archived_by_path[path(url)][0]
        assert row["status"] == "ok", (url, row["detail"])
        assert (row["width"], row["height"]) == Image.open(io.BytesIO(body)).size
        assert Image.open(io.BytesIO(row["image_bytes"])).mode == "RGB"
    for url in set(rows) - archived:  # not in the archive: the local mirror answers 404
        assert rows[url]["status"] == "http_404"


def test_every_url_is_accounted_for(run):
    ctx, stats, spark, _ = run
    assert stats["input_rows"] == stats["images_rows"] == stats["output_rows"] + sum(stats["rejected"].values())
    assert stats["balanced"] and stats["status"]["ok"] == stats["output_rows"]
    rejects = read_table(spark, REJECTS, ctx).where("stage = 'images'")
    assert rejects.count() == sum(stats["rejected"].values())
    saved = json.loads(open(ctx.path("_stats/images.json")).read())
    assert saved["output_rows"] == stats["output_rows"]


def test_images_the_input_warcs_hold_are_read_from_them_without_any_download(run, tmp_path):
    ctx, _, spark, _ = run
    archive_only = dataclasses.replace(ctx.config, images=dataclasses.replace(
        ctx.config.images, source="archive_only", rewrite_prefixes={}, allowlist=[]))
    local = RunContext(run_dir=ctx.run_dir, config=archive_only)
    stats = images.run(spark, local)
    rows = {r["image_url"]: r for r in read_table(spark, IMAGES, local).collect()}
    from_archive = {u for u, r in rows.items() if r["status"] == "ok"}
    assert len(from_archive) >= 5 and {rows[u]["source"] for u in from_archive} == {"archive"}
    assert {r["status"] for u, r in rows.items() if u not in from_archive} <= {"not_in_archive", "decode_error"}
    assert stats["image_sources"] == {"archive": len(from_archive)} and "origin" not in stats
    archived = {r["image_url"]: r for r in read_table(spark, ARCHIVED_IMAGES, local).collect()}
    for url in from_archive:  # the archive's copy: its capture time, its bytes
        if url in archived:
            assert rows[url]["fetch_time"] == archived[url]["fetch_time"]
            assert rows[url]["byte_size"] == len(archived[url]["payload"])


def test_an_image_both_archived_and_served_is_read_from_the_archive_without_a_request(run):
    ctx, _, spark, server = run
    both = dataclasses.replace(ctx.config, images=dataclasses.replace(ctx.config.images, source="archive_then_web"))
    before = dict(server.hits)
    stats = images.run(spark, RunContext(run_dir=ctx.run_dir, config=both))
    requested = {p for p, n in server.hits.items() if n > before.get(p, 0)}
    rows = {r["image_url"]: r for r in read_table(spark, IMAGES, ctx).collect()}
    archived = {u for u, r in rows.items() if r["source"] == "archive"}
    path = lambda url: "/mirror/" + url.replace("://", "/", 1)  # noqa: E731 -- how the mirror is asked
    assert len(archived) >= 5 and not any(unquote(p).startswith(unquote(path(u))) for u in archived for p in requested)
    assert all(rows[u]["status"] == "ok" for u in archived)
    served = {u for u in archived if unquote(u.split("://", 1)[1]) in server.archived_by_path}
    assert served == archived  # the server has every one of them (the web_only fixture fetched them there)
    web_ok = sum(r["source"] == "web" and r["status"] == "ok" for r in rows.values())
    assert stats["image_sources"] == {"archive": len(archived), **({"web": web_ok} if web_ok else {})}


def test_every_page_image_the_archive_holds_resolves_to_it(spark, test_settings, tmp_path):
    """aut_archive-org-2008: 140 pages and 55 image responses (29 GIF, 18 JPEG, 8 PNG) in one file."""
    settings = dataclasses.replace(test_settings, images=dataclasses.replace(
        test_settings.images, source="archive_only", allowlist=[], rewrite_prefixes={}),
        ingest=dataclasses.replace(test_settings.ingest, store_html=True))  # the test reads the pages' <img>
    ctx = RunContext(run_dir=str(tmp_path), config=settings,
                     files=[str(WARC_DIR / "aut_archive-org-2008_example.warc.gz")])
    assert ingest.run(spark, ctx)["archived_images"] == 55
    extract.run(spark, ctx)
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    from udfs.common.url_normalize import normalize_url

    every = {urljoin(page["url"], node.attributes.get("src") or "")  # every <img> of every page
             for page in read_table(spark, PAGES, ctx).collect()
             for node in HTMLParser(page["html"]).css("img") if node.attributes.get("src")}
    every = spark.createDataFrame([(u,) for u in sorted(every)], "image_url string")
    found = {r["image_url"]: r["archive_at"] for r in images.with_archived(spark, ctx, every).collect()}
    held = {normalize_url(r["image_url"]) for r in read_table(spark, ARCHIVED_IMAGES, ctx).collect()}
    matching = {u for u in found if normalize_url(u) in held}
    assert matching and all(found[u] is not None for u in matching)  # every one resolves to its record
    assert all(found[u] is None for u in set(found) - matching)
    stats = images.run(spark, ctx)  # the kept documents' images: archive_only, no network
    rows = read_table(spark, IMAGES, ctx).collect()
    assert stats["image_sources"] == {"archive": sum(r["status"] == "ok" for r in rows)} and all(
        r["source"] == "archive" for r in rows if r["status"] == "ok")
    print(f"aut_archive: {len(found)} distinct <img> URLs on its 140 pages, {len(matching)} held by the archive "
          f"(55 image records), all {len(matching)} resolved; kept documents: {len(rows)} image URLs, "
          f"{stats['image_sources'].get('archive', 0)} read from the archive")


def test_revisits_and_normalised_urls_resolve_to_the_archived_response(spark, test_settings, tmp_path):
    """A revisit of another URL with the same payload digest, a revisit that only names its
    target URI, and a URL written differently (case, default port, utm_ parameter) all get the
    archived response's bytes."""
    from tests.warc_damage import record_bytes

    jpeg = (SHARED / "images" / "odd" / "pillow_flower.jpg").read_bytes()
    http = lambda ctype, body=b"": f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n\r\n".encode() + body  # noqa: E731
    warc = tmp_path / "revisits.warc"
    warc.write_bytes(b"".join([
        record_bytes("response", "http://img.example/a.jpg", http("image/jpeg", jpeg), **{
            "WARC-Payload-Digest": "sha1:FLOWER", "WARC-Date": "2024-01-02T03:04:05Z"}),
        record_bytes("revisit", "http://mirror.example/b.jpg", http("image/jpeg"), **{
            "WARC-Payload-Digest": "sha1:FLOWER", "WARC-Refers-To-Target-URI": "http://elsewhere.example/x.jpg"}),
        record_bytes("revisit", "http://img.example/c.jpg", http("image/jpeg"), **{
            "WARC-Refers-To-Target-URI": "http://img.example/a.jpg"}),
    ]))
    ctx = RunContext(run_dir=str(tmp_path / "run"), config=test_settings, files=[str(warc)])
    assert ingest.run(spark, ctx)["archived_images"] == 3
    wanted = ["http://img.example/a.jpg", "http://mirror.example/b.jpg", "http://img.example/c.jpg",
              "HTTP://IMG.EXAMPLE:80/a.jpg?utm_source=feed", "http://img.example/missing.jpg"]
    urls = spark.createDataFrame([(u,) for u in wanted], "image_url string")
    found = {r["image_url"]: r for r in images.with_archived(spark, ctx, urls).collect()}
    assert set(found) == set(wanted)
    for url in wanted[:4]:
        assert found[url]["archive_payload"] == jpeg, url
        assert found[url]["archive_at"] == f"{warc}@0", url
    assert found[wanted[0]]["archive_fetch_time"].year == 2024
    assert found[wanted[4]]["archive_payload"] is None
