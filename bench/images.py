"""Image download + decode + resize: weft's task against a bare requests + Pillow loop, same run.

    python bench/images.py [--urls 2000] [--threads 32]

A local HTTP server (tests/image_server.py, in its own process) serves the real photos of
../shared/data/images (every file that decodes, under distinct URLs). Both sides use the same
thread count: the bare loop does requests.get + Image.open/convert/thumbnail/save JPEG; weft runs
its images task (udfs.images.image_batches.images_batches: address checks, capped streaming, decode
checks, EXIF, pHash, sha256, thumbnail). Reported: images/s of wall time and per CPU-second of
the client process (per core), and decode + resize alone on one core. Not a test.
"""
from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def serve(port_queue) -> None:
    from tests.image_server import ImageServer

    with ImageServer() as server:
        port_queue.put(server.server_address[1])
        server.thread.join()


def image_paths() -> list[str]:
    from tests.conftest import SHARED

    inventory = [json.loads(line) for line in (SHARED / "images" / "image_inventory.jsonl").read_text().splitlines()]
    return [e["file"] for e in inventory if e["status"] == "ok"]


def bare(urls: list[str], threads: int) -> int:
    import requests
    from PIL import Image

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=threads, pool_maxsize=threads)
    session.mount("http://", adapter)

    def one(url: str) -> bool:
        response = session.get(url, timeout=10)
        image = Image.open(io.BytesIO(response.content)).convert("RGB")
        image.thumbnail((512, 512))
        image.save(io.BytesIO(), format="JPEG", quality=90)
        return True

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, urls))


def weft(urls: list[str], threads: int) -> int:
    import dataclasses

    import pyarrow as pa

    from jobs.config import load_config
    from udfs.images.image_batches import images_batches

    config = load_config(overrides=["images.allowlist=[127.0.0.1]"])
    config = dataclasses.replace(config, images=dataclasses.replace(config.images, threads=threads))
    batches = (pa.record_batch({"image_url": chunk, "archive_file": pa.array([None] * len(chunk), pa.string()),
                                "archive_offset": pa.array([None] * len(chunk), pa.int64())})
               for chunk in (urls[i:i + 64] for i in range(0, len(urls), 64)))
    ok = 0
    for batch in images_batches(batches, config):
        kinds = batch.column("row_kind").to_pylist()
        statuses = batch.column("status").to_pylist()
        ok += sum(1 for k, s in zip(kinds, statuses) if k == "image" and s == "ok")
    return ok


def timed(fn, *args) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    n = fn(*args)
    return n, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    from jobs.config import load_config
    from tests.conftest import SHARED
    from udfs.images.image_decode import configure_pillow, decode

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{queue.get(timeout=60)}"
    files = image_paths()
    urls = [f"{base}/files/{files[i % len(files)]}?copy={i}" for i in range(args.urls)]
    results = {}
    for name, fn in (("bare requests + Pillow", bare), ("weft images task", weft)):
        fn(urls[:100], args.threads)  # warm up connections and imports
        n, wall, cpu = timed(fn, urls, args.threads)
        results[name] = {"ok": n, "images_per_s": round(n / wall), "images_per_cpu_s": round(n / cpu)}
    settings = load_config().images
    configure_pillow(settings.max_pixels)
    bodies = [(SHARED / "images" / f).read_bytes() for f in files]
    n, wall, _ = timed(lambda: sum(decode(b, "image/jpeg", settings)["status"] == "ok"
                                   for _ in range(5) for b in bodies))
    server.terminate()
    ratio = results["weft images task"]["images_per_cpu_s"] / results["bare requests + Pillow"]["images_per_cpu_s"]
    print(json.dumps({"urls": args.urls, "threads": args.threads, **results,
                      "weft_vs_bare_per_core": round(ratio, 2),
                      "decode_resize_hash_one_core_images_per_s": round(n / wall)}, indent=1))


if __name__ == "__main__":
    main()
