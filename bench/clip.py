"""CLIP image embedding throughput: weft's Spark task against a bare open_clip loop, same run.

    python bench/clip.py [--images 512] [--model ViT-B-32] [--device cpu|cuda]

Inputs: the decodable real images of ../shared/data/images (their 512-px copies as the images
stage stores them), cycled to --images. Weights: seeded random (``clip.random_init``): speed
does not depend on the values, and nothing is downloaded. Both sides decode, preprocess
(open_clip's transform) and encode in batches of the stage's batch size: the bare loop with
one process, no Spark and one torch thread on the CPU; weft through the clip stage's mapInArrow
task on local Spark (one task of one core). Both per core, on the CPU. Reported: images/s end to end for each and the ratio.
Not a test; bench/gpu_check.sh runs it on a CUDA machine.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def thumbnails(n: int) -> list[bytes]:
    from jobs.config import load_config
    from tests.conftest import SHARED
    from udfs.images.image_decode import decode

    settings = load_config().images
    inventory = [json.loads(line) for line in (SHARED / "images" / "image_inventory.jsonl").read_text().splitlines()]
    copies = [decode((SHARED / "images" / e["file"]).read_bytes(), "image/*", settings)["image_bytes"]
              for e in inventory if e["status"] == "ok"]
    return [copies[i % len(copies)] for i in range(n)]


def bare(images: list[bytes], model_name: str, device: str, batch_size: int) -> float:
    import open_clip
    import torch
    from PIL import Image

    if device == "cpu":
        torch.set_num_threads(1)  # as a Spark task with spark.task.cpus=1 (PySpark sets OMP_NUM_THREADS)
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=None)
    model = model.to(device).eval()
    started = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(images), batch_size):
            batch = torch.stack([preprocess(Image.open(io.BytesIO(b)).convert("RGB")) for b in images[i:i + batch_size]])
            if device.startswith("cuda"):
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    features = model.encode_image(batch.to(device))
            else:
                features = model.encode_image(batch)
            torch.nn.functional.normalize(features.float(), dim=-1).cpu()
    return len(images) / (time.perf_counter() - started)


def through_spark(images: list[bytes], config) -> float:
    import hashlib

    from jobs.runtime import build_session
    from schemas.clip import CLIP_ROWS
    from udfs.clip.clip_batches import image_embedding_batches

    spark = build_session(config, "weft-bench-clip")
    try:
        rows = [(hashlib.sha256(b + str(i).encode()).hexdigest(), b) for i, b in enumerate(images)]
        df = spark.createDataFrame(rows, "key string, image_bytes binary").repartition(1).cache()
        df.count()
        run = lambda: df.mapInArrow(lambda it: image_embedding_batches(it, config), CLIP_ROWS.spark()) \
            .where("row_kind = 'embedding'").count()  # noqa: E731
        run()  # warm-up: the worker loads the model once
        started = time.perf_counter()
        n = run()
        return n / (time.perf_counter() - started)
    finally:
        spark.stop()


def main() -> None:
    from jobs.config import load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--model", default="ViT-B-32")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()
    config = load_config(overrides=["spark.ui=false", "spark.master=local[1]", "clip.random_init=true",
                                    f"clip.model={args.model}"])
    batch_size = config.clip.batch_size_gpu if args.device == "cuda" else config.clip.batch_size_cpu
    config = dataclasses.replace(config, clip=dataclasses.replace(config.clip, embedding_dtype="float16"))
    images = thumbnails(args.images)
    bare_rate = bare(images, args.model, "cuda:0" if args.device == "cuda" else "cpu", batch_size)
    weft_rate = through_spark(images, config)
    print(json.dumps({"model": args.model, "device": args.device, "images": len(images), "batch_size": batch_size,
                      "bare_open_clip_images_per_s": round(bare_rate, 1),
                      "weft_spark_udf_images_per_s": round(weft_rate, 1),
                      "weft_vs_bare": round(weft_rate / bare_rate, 2)}, indent=1))


if __name__ == "__main__":
    main()
