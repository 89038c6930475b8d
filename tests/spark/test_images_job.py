"""The images stage end to end: the Mona Lisa page's images, archived in its WARC and served by
a local HTTP server, come back ok with their real sizes; every URL has a row."""
import dataclasses
import io
import json
from urllib.parse import unquote

import pytest
from PIL import Image

from jobs import dedup, extract, images, ingest
from jobs.runtime import RunContext
from jobs.tables import read_table
from schemas.images import IMAGES
from schemas.rejects import REJECTS
from tests.conftest import WARC_DIR
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
    assert len(from_archive) >= 5 and {rows[u]["origin"] for u in from_archive} == {"archive"}
    assert {r["status"] for u, r in rows.items() if u not in from_archive} <= {"not_in_archive", "decode_error"}
    assert stats["origin"] == {"archive": len(from_archive)}
