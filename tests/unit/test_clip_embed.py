"""CLIP model loading and embeddings on a tiny open_clip model with seeded random weights, saved
as a checkpoint and loaded through the checkpoint path like real weights."""
import io

import numpy as np
import open_clip  # the clip extra is part of the test install (make test)
import pytest
import torch

from tests.conftest import SHARED
from tests.tiny_clip import save_tiny_model
from udfs.clip import clip_model
from udfs.clip.clip_embed import embed_images, embed_texts
from udfs.clip.clip_model import ClipUnavailable, ModelSpec

IMAGES = ["captioned/skimage_astronaut.png", "odd/pillow_flower.jpg", "odd/pillow_pil_sample_cmyk.jpg",
          "odd/pillow_hopper.gif", "photos_odd_aspect/img2dataset_456_123.jpg", "captioned/skimage_camera.png"]
TEXTS = ["an astronaut in a white suit", "a red flower", "", "a cat " * 100, "Mona Lisa", "ΣΑΣ café"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(spec, reference model, preprocess) of a tiny model saved as a checkpoint file."""
    config, checkpoint, _, _ = save_tiny_model(tmp_path_factory.mktemp("tiny_clip"), "weft-tiny-test", seed=7)
    reference, _, preprocess = open_clip.create_model_and_transforms("weft-tiny-test", pretrained=checkpoint)
    spec = ModelSpec("weft-tiny-test", checkpoint=checkpoint, model_config=config)
    return spec, reference.eval(), preprocess, str(tmp_path_factory.mktemp("cache"))


def image_bytes() -> list[bytes]:
    return [(SHARED / "images" / name).read_bytes() for name in IMAGES]


def direct_images(reference, preprocess) -> np.ndarray:
    from PIL import Image

    batch = torch.stack([preprocess(Image.open(io.BytesIO(b)).convert("RGB")) for b in image_bytes()])
    with torch.no_grad():
        return torch.nn.functional.normalize(reference.encode_image(batch), dim=-1).numpy()


def test_embeddings_equal_a_direct_open_clip_computation(tiny):
    spec, reference, preprocess, cache = tiny
    loaded = clip_model.load(spec, "cpu", cache)
    ours = np.stack([v for v, _ in embed_images(image_bytes(), loaded, batch_size=4)])
    assert np.allclose(ours, direct_images(reference, preprocess), atol=1e-5)  # float32 on the CPU
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    with torch.no_grad():
        theirs = torch.nn.functional.normalize(reference.encode_text(open_clip.get_tokenizer("weft-tiny-test")(TEXTS)),
                                               dim=-1).numpy()
    assert np.allclose(np.stack(list(embed_texts(TEXTS, loaded, batch_size=4))), theirs, atol=1e-5)


def test_results_do_not_depend_on_the_batch_size_and_the_model_loads_once(tiny):
    spec, _, _, cache = tiny
    before = clip_model.LOADS["count"]
    runs = [np.stack([v for v, _ in embed_images(image_bytes(), clip_model.load(spec, "cpu", cache), size)])
            for size in (1, 3, 32)]
    assert all(np.allclose(runs[0], r, atol=1e-5) for r in runs[1:])
    assert clip_model.LOADS["count"] - before <= 1


def test_an_unreadable_image_gets_an_error_not_a_crash(tiny):
    spec, _, _, cache = tiny
    broken = [(SHARED / "images" / "odd" / n).read_bytes() for n in ("pillow_broken.png", "skimage_truncated.jpg")]
    results = list(embed_images([image_bytes()[0], *broken, b"", image_bytes()[1]], clip_model.load(spec, "cpu", cache), 2))
    assert [v is None for v, _ in results] == [False, True, True, True, False]
    assert all(e for v, e in results if v is None)


def test_weights_that_cannot_be_had_fail_with_a_pointer_to_a_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no test reaches the internet
    for spec in (ModelSpec("ViT-B-32", pretrained="laion2b_s34b_b79k"),
                 ModelSpec("ViT-B-32", checkpoint=str(tmp_path / "missing.bin"))):
        with pytest.raises(ClipUnavailable, match="clip.checkpoint"):
            clip_model.load(spec, "cpu", str(tmp_path))


def test_random_weights_say_so(tiny):
    spec, _, _, cache = tiny
    random = ModelSpec("weft-tiny-test", random_init=True, seed=3, model_config=spec.model_config)
    assert "random_init" in clip_model.load(random, "cpu", cache).label
    assert "random_init" not in spec.label and spec.label.startswith("weft-tiny-test@")
