"""A tiny open_clip model for the CLIP tests: seeded random weights saved as a checkpoint file,
loaded back through the checkpoint path as real weights are."""
from __future__ import annotations

import json
from pathlib import Path

TINY = {"embed_dim": 32, "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 4, "layers": 2}}


def save_tiny_model(folder: Path, name: str, seed: int):
    """(model JSON path, checkpoint path) of a tiny model named ``name`` registered with open_clip,
    and the model itself with its preprocessing, as a direct reference."""
    import open_clip
    import torch

    config = folder / f"{name}.json"
    config.write_text(json.dumps(TINY))
    open_clip.add_model_config(str(config))
    torch.manual_seed(seed)
    model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=None)
    checkpoint = folder / "tiny.pt"
    torch.save(model.state_dict(), checkpoint)
    return str(config), str(checkpoint), model.eval(), preprocess


def with_tiny_model(settings, tiny, name: str, **clip_changes):
    """``settings`` with clip pointed at the tiny model ``tiny`` (save_tiny_model's result)."""
    import dataclasses

    config, checkpoint, _, _ = tiny
    return dataclasses.replace(settings, clip=dataclasses.replace(
        settings.clip, model=name, checkpoint=checkpoint, model_config=config, **clip_changes))
