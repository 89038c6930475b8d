"""Downloading and decoding single URLs against a real HTTP server on 127.0.0.1: each case has
its exact status."""
import dataclasses
import io
import json

import pytest
from PIL import Image

from tests.conftest import SHARED
from tests.image_server import ImageServer
from udfs.images.image_batches import image_row, rewrite
from udfs.images.image_decode import configure_pillow
from udfs.images.image_fetch import blocked


@pytest.fixture(scope="module")
def server():
    with ImageServer() as running:
        yield running


@pytest.fixture(scope="module")
def settings():
    from jobs.config import load_config

    images = load_config(overrides=["images.allowlist=[127.0.0.1]", "images.timeout_seconds=1.5",
                                    "images.max_bytes=2000000", "images.backoff_seconds=0.05"]).images
    configure_pillow(images.max_pixels)
    return images


def get(server, settings, path: str, **changes) -> dict:
    return image_row(server.base + path, dataclasses.replace(settings, **changes), {})


@pytest.mark.parametrize("path, status", [
    ("/status/404", "http_404"),
    ("/status/403", "http_403"),
    ("/redirect/7", "too_many_redirects"),
    ("/redirect-blocked", "blocked_address"),
    ("/loop", "too_many_redirects"),
    ("/slowloris", "timeout"),
    ("/html", "not_an_image"),
    ("/html-as-jpeg", "decode_error"),
    ("/bomb", "too_many_pixels"),
    ("/noai", "robots_noai"),
    ("/noai?tag=noimageai", "robots_noai"),
    ("/endless", "too_large"),
    ("/slow", "timeout"),
    ("/files/odd/pillow_broken.png", "decode_error"),  # served as image/png: a broken image
    ("/files/odd/skimage_truncated.jpg", "decode_error"),
    ("/files/odd/pillow_broken_data_stream.png", "decode_error"),
])
def test_each_failure_has_its_status(server, settings, path, status):
    row = get(server, settings, path)
    assert row["status"] == status, row.get("detail")
    assert "image_bytes" not in row or row["image_bytes"] is None


def test_retries_honour_retry_after_and_recover_from_5xx(server, settings):
    row = get(server, settings, "/retry-after?case=1")
    assert row["status"] == "ok" and row["attempts"] == 2 and row["fetch_seconds"] >= 1.0  # waited Retry-After: 1
    assert get(server, settings, "/flaky?case=1")["status"] == "ok"
    assert get(server, settings, "/flaky?case=2", retries=0)["status"] == "http_500"


def test_redirects_are_followed_and_each_hop_checked(server, settings):
    row = get(server, settings, "/redirect/3")
    assert row["status"] == "ok" and row["attempts"] == 4 and row["final_url"].endswith("/redirect/0")


def test_addresses_urls_and_schemes_refused_before_connecting(server, settings):
    assert get(server, settings, "/files/odd/pillow_hopper.png", allowlist=[])["status"] == "blocked_address"
    for url, status in (("http://169.254.169.254/latest/meta-data", "blocked_address"),
                        ("http://[::1]/x.png", "blocked_address"), ("http://0.0.0.0/x.png", "blocked_address"),
                        (server.base.replace("http://", "http://user:pw@") + "/files/odd/pillow_hopper.png",
                         "credentials_in_url"),
                        ("ftp://example.com/x.png", "bad_scheme"), ("file:///etc/passwd", "bad_scheme")):
        assert image_row(url, settings, {})["status"] == status, url
    assert blocked("10.0.0.1") and blocked("::ffff:192.168.0.1") and blocked("224.0.0.1") and not blocked("8.8.8.8")


def test_real_images_decode_with_sizes_formats_and_tags(server, settings):
    inventory = [json.loads(line) for line in (SHARED / "images" / "image_inventory.jsonl").read_text().splitlines()]
    for entry in (e for e in inventory if e["status"] == "ok"):
        row = get(server, settings, "/files/" + entry["file"])
        assert row["status"] == "ok", (entry["file"], row.get("detail"))
        assert [row["width"], row["height"]] == entry["size"] and row["format"] == entry["format"], entry["file"]
        thumb = Image.open(io.BytesIO(row["image_bytes"]))
        assert thumb.mode == "RGB" and max(thumb.size) <= 512 and thumb.format == "JPEG"
        assert row["sha256"] == __import__("hashlib").sha256((SHARED / "images" / entry["file"]).read_bytes()).hexdigest()
    rotated = get(server, settings, "/files/odd/pillow_hopper_orientation_6.jpg")
    upright = get(server, settings, "/files/odd/pillow_hopper.jpg")
    assert abs(bin((rotated["phash"] ^ upright["phash"]) & (2**64 - 1)).count("1")) <= 12  # EXIF applied
    wide = get(server, settings, "/files/photos_odd_aspect/img2dataset_456_123.jpg")
    assert (wide["obelics_ok"], wide["obelics_reason"], wide["datacomp_reason"]) == (False, "too_small", "too_small")
    tall = get(server, settings, "/files/photos_odd_aspect/img2dataset_208_495.jpg")
    assert (tall["obelics_reason"], tall["datacomp_ok"]) == ("aspect", True)
    cmyk = get(server, settings, "/files/odd/pillow_pil_sample_cmyk.jpg")
    assert Image.open(io.BytesIO(cmyk["image_bytes"])).mode == "RGB"
    assert get(server, settings, "/wrong-type")["status"] == "ok"  # the bytes decide, the header is recorded
    webp = get(server, settings, "/files/odd/pillow_iss634.webp", thumbnail_format="webp")
    assert Image.open(io.BytesIO(webp["image_bytes"])).format == "WEBP" and webp["n_frames"] > 1


def test_perceptual_hash_matches_near_copies_not_other_images(server, settings):
    jpg, webp = (get(server, settings, f"/files/odd/pillow_flower.{ext}")["phash"] for ext in ("jpg", "webp"))
    other = get(server, settings, "/files/odd/pillow_hopper.jpg")["phash"]
    distance = lambda a, b: bin((a ^ b) & (2**64 - 1)).count("1")  # noqa: E731
    assert distance(jpg, webp) <= 6 and distance(jpg, other) >= 20


def test_rewrite_uses_the_longest_prefix():
    assert rewrite("https://a.org/x/y.png", {"https://a.org/": "L/", "https://a.org/x/": "M/"}) == "M/y.png"
    assert rewrite("https://b.org/y.png", {"https://a.org/": "L/"}) == "https://b.org/y.png"


def test_perceptual_hash_equals_imagehash():
    import imagehash

    from udfs.images.image_decode import phash

    for name in ("odd/pillow_flower.jpg", "odd/skimage_logo.png", "captioned/skimage_camera.png",
                 "photos_odd_aspect/img2dataset_456_123.jpg", "odd/pillow_hopper.gif"):
        image = Image.open(SHARED / "images" / name)
        theirs = int(str(imagehash.phash(image)), 16)
        assert phash(image) & (2**64 - 1) == theirs, name


HOSTILE = ("/bomb", "/endless", "/slow", "/slowloris", "/loop", "/redirect-blocked", "/html-as-jpeg",
           "/files/odd/pillow_broken.png", "/files/odd/skimage_truncated.jpg", "/files/odd/pillow_iss634.apng",
           "/files/odd/pillow_iss634.gif", "/files/odd/pillow_pil_sample_cmyk.jpg", "/files/odd/pillow_anim_frame1.webp")
PROBE = """
import json, resource, sys
from jobs.config import load_config
from tests.image_server import ImageServer
from udfs.images.image_batches import image_row
from udfs.images.image_decode import configure_pillow
settings = load_config(overrides=["images.allowlist=[127.0.0.1]", "images.timeout_seconds=1.5",
                                  "images.max_bytes=2000000"]).images
configure_pillow(settings.max_pixels)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with ImageServer() as server:
    statuses = {p: image_row(server.base + p, settings, {})["status"] for p in sys.argv[1:]}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"statuses": statuses, "rss_before_mb": before / 1024, "peak_rss_mb": peak / 1024}))
"""


def test_hostile_images_end_with_a_status_in_bounded_memory():
    """Every hostile case in one fresh process: each gets its status, and the process's peak RSS
    stays small (the bomb is refused before decoding, bodies are capped while they arrive)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    proc = subprocess.run([sys.executable, "-c", PROBE, *HOSTILE], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.splitlines()[-1])
    statuses = result["statuses"]
    assert statuses["/bomb"] == "too_many_pixels" and statuses["/endless"] == "too_large"
    assert statuses["/slowloris"] == statuses["/slow"] == "timeout" and statuses["/loop"] == "too_many_redirects"
    assert statuses["/files/odd/pillow_pil_sample_cmyk.jpg"] == statuses["/files/odd/pillow_iss634.apng"] == "ok"
    assert statuses["/files/odd/pillow_broken.png"] == "decode_error"
    assert result["peak_rss_mb"] - result["rss_before_mb"] < 200, result
    print(json.dumps(result))  # bench/RESULTS.md records the figures
