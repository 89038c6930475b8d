"""CLIP weights for the clip stage: an open_clip model by name and pretrained tag, or a
checkpoint file (local or ``s3://``, staged once to a local cache), loaded once per Python
worker and device.

Weights that cannot be obtained raise ``ClipUnavailable`` with one message saying how to point
at a checkpoint; nothing falls back to random weights. ``random_init`` (tests only) builds
seeded random weights and says so in ``ModelSpec.label``, which every output row carries.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from udfs.common.settings import ClipSettings, StorageSettings

HINT = ("point clip.checkpoint at a local or s3:// open_clip checkpoint file (for example "
        "open_clip_pytorch_model.bin of laion/CLIP-ViT-B-32-laion2B-s34B-b79K), or set clip.required=false "
        "to skip the CLIP stages")


class ClipUnavailable(RuntimeError):
    """The configured CLIP weights cannot be loaded here."""


@dataclass(frozen=True)
class ModelSpec:
    """Which weights: ``checkpoint`` wins over ``pretrained``; ``model_config`` is an open_clip
    model JSON for architectures open_clip does not ship (the tests' tiny model)."""

    name: str
    pretrained: str | None = None
    checkpoint: str | None = None
    random_init: bool = False
    seed: int = 0
    model_config: str | None = None

    @classmethod
    def from_settings(cls, clip: ClipSettings) -> "ModelSpec":
        return cls(clip.model, clip.pretrained, clip.checkpoint, clip.random_init, clip.seed, clip.model_config)

    @property
    def label(self) -> str:
        """What produced an embedding, as stored in every ``model`` column."""
        if self.random_init:
            return f"{self.name}/random_init(seed={self.seed}) TEST ONLY"
        if self.checkpoint:
            return f"{self.name}@{self.checkpoint}"
        return f"{self.name}/{self.pretrained}"


@dataclass
class LoadedModel:
    model: Any
    preprocess: Any
    tokenizer: Any
    device: str
    label: str


_CACHE: dict[tuple[ModelSpec, str], LoadedModel] = {}
_LOCK = threading.Lock()
LOADS = {"count": 0}  # models built in this process (tests check the cache works)


def stage_checkpoint(uri: str, cache_dir: str, storage_settings: StorageSettings | None) -> str:
    """A local path for the checkpoint: itself when local, else a copy in ``cache_dir`` made once
    (written under a temporary name, then renamed, so concurrent workers never read half a file)."""
    from udfs.common import storage

    if not storage.is_remote(uri):
        path = storage.local_path(uri)
        if not Path(path).is_file():
            raise ClipUnavailable(f"CLIP checkpoint {uri} does not exist; {HINT}")
        return path
    target = Path(cache_dir) / hashlib.blake2b(uri.encode(), digest_size=8).hexdigest() / Path(uri).name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        try:
            stream, _ = storage.open_binary(uri, storage_settings)
            with stream, open(partial, "wb") as out:
                shutil.copyfileobj(stream, out, 8 << 20)  # streamed: checkpoints are GBs
        except Exception as exc:  # noqa: BLE001 -- any storage failure means: no weights
            partial.unlink(missing_ok=True)
            raise ClipUnavailable(f"cannot read CLIP checkpoint {uri}: {type(exc).__name__}: {exc}; {HINT}") from None
        partial.replace(target)
    return str(target)


def load(spec: ModelSpec, device: str, cache_dir: str, storage_settings: StorageSettings | None = None) -> LoadedModel:
    """The model for ``spec`` on ``device``, built once per process."""
    key = (spec, device)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = _build(spec, device, cache_dir, storage_settings)
            LOADS["count"] += 1
        return _CACHE[key]


def _build(spec: ModelSpec, device: str, cache_dir: str, storage_settings: StorageSettings | None) -> LoadedModel:
    try:
        import open_clip
        import torch
    except ImportError as exc:
        raise ClipUnavailable(f"open_clip/torch are not installed ({exc}): pip install 'weft[clip]'; "
                              "or set clip.required=false to skip the CLIP stages") from None
    if spec.model_config:
        open_clip.add_model_config(spec.model_config)
    if spec.name not in open_clip.list_models():
        raise ClipUnavailable(f"unknown open_clip model {spec.name!r} (clip.model); see open_clip.list_models()")
    try:
        if spec.random_init:
            torch.manual_seed(spec.seed)
            model, _, preprocess = open_clip.create_model_and_transforms(spec.name, pretrained=None)
        else:
            weights = stage_checkpoint(spec.checkpoint, cache_dir, storage_settings) if spec.checkpoint \
                else spec.pretrained
            model, _, preprocess = open_clip.create_model_and_transforms(spec.name, pretrained=weights,
                                                                         cache_dir=cache_dir)
    except ClipUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 -- download refused, corrupt file, wrong architecture
        raise ClipUnavailable(f"cannot load CLIP weights {spec.label}: {type(exc).__name__}: {str(exc)[:300]}; "
                              f"{HINT}") from None
    model = model.to(device).eval()
    return LoadedModel(model, preprocess, open_clip.get_tokenizer(spec.name), device, spec.label)
