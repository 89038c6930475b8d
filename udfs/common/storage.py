"""Byte access to local paths, ``s3://`` objects (boto3, endpoint configurable) and any other
fsspec filesystem (``gs://`` with the ``gcs`` extra's gcsfs).

Spark reads and writes tables itself; this module is for what happens outside Spark's
readers: streaming WARC files inside a task, manifests, stats and state files.
"""
from __future__ import annotations

import functools
import glob
import io
import os
import shutil
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from udfs.common.settings import StorageSettings

S3_SCHEMES = ("s3", "s3a", "s3n")
FSSPEC_SCHEMES = ("gs", "gcs", "memory")  # memory://: fsspec's in-process filesystem (tests)


def is_s3(uri: str) -> bool:
    return urlparse(uri).scheme in S3_SCHEMES


def is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def supported(uri: str) -> bool:
    """A local path, or a scheme this module reads and writes."""
    return not is_remote(uri) or urlparse(uri).scheme in S3_SCHEMES + FSSPEC_SCHEMES


def _fsspec(uri: str):
    """The fsspec filesystem of a non-S3 remote ``uri`` (gs:// needs gcsfs) and the path in it."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(uri)
    except ImportError as exc:
        raise ValueError(f"cannot reach {uri}: {exc} (gs:// needs weft's gcs extra)") from None


def local_path(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


def split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


@functools.lru_cache(maxsize=8)
def _s3_client(endpoint_url: str | None, region: str, anonymous: bool):
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(signature_version=UNSIGNED if anonymous else None,
                    retries={"max_attempts": 8, "mode": "adaptive"})
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def s3_client(storage: StorageSettings):
    """A cached boto3 S3 client for ``storage`` (a StorageSettings)."""
    return _s3_client(storage.s3_endpoint_url, storage.s3_region, storage.s3_anonymous)


def open_binary(uri: str, storage: StorageSettings) -> tuple[BinaryIO, int | None]:
    """A readable binary stream over ``uri`` and its size in bytes (None if unknown)."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        obj = s3_client(storage).get_object(Bucket=bucket, Key=key)
        return io.BufferedReader(_BotoStream(obj["Body"]), 1 << 20), obj.get("ContentLength")
    if is_remote(uri):
        fs, path = _fsspec(uri)
        return fs.open(path, "rb", block_size=1 << 20), fs.size(path)
    path = local_path(uri)
    return open(path, "rb", buffering=1 << 20), os.path.getsize(path)


def open_at(uri: str, offset: int, storage: StorageSettings) -> BinaryIO:
    """A readable binary stream over ``uri`` from byte ``offset`` (an S3 range request)."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        obj = s3_client(storage).get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-")
        return io.BufferedReader(_BotoStream(obj["Body"]), 1 << 16)
    if is_remote(uri):
        fs, path = _fsspec(uri)
        stream = fs.open(path, "rb")
        stream.seek(offset)
        return stream
    stream = open(local_path(uri), "rb", buffering=1 << 16)
    stream.seek(offset)
    return stream


def size(uri: str, storage: StorageSettings) -> int | None:
    """Size in bytes of a file or object; raises like ``open_binary`` when it cannot be read."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        return s3_client(storage).head_object(Bucket=bucket, Key=key).get("ContentLength")
    if is_remote(uri):
        fs, path = _fsspec(uri)
        return fs.size(path)
    path = local_path(uri)
    if os.path.isdir(path):
        raise IsADirectoryError(path)
    return os.path.getsize(path)


def read_bytes(uri: str, storage: StorageSettings) -> bytes:
    stream, _ = open_binary(uri, storage)
    with stream:
        return stream.read()


def write_bytes(uri: str, data: bytes, storage: StorageSettings) -> None:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        s3_client(storage).put_object(Bucket=bucket, Key=key, Body=data)
        return
    if is_remote(uri):
        fs, path = _fsspec(uri)
        fs.pipe_file(path, data)
        return
    path = Path(local_path(uri))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # hidden from Spark's readers
    tmp.write_bytes(data)
    tmp.replace(path)


def put_file(local: str, uri: str, storage: StorageSettings) -> None:
    """Move the local file ``local`` to ``uri`` (S3: a multipart upload streamed from disk, so
    memory does not grow with the file); replaces what is there in one step."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        s3_client(storage).upload_file(local, bucket, key)
        os.remove(local)
        return
    if is_remote(uri):
        fs, path = _fsspec(uri)
        fs.put_file(local, path)
        os.remove(local)
        return
    path = Path(local_path(uri))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # hidden from Spark's readers
    shutil.move(local, tmp)
    tmp.replace(path)


def delete_tree(uri: str, storage: StorageSettings) -> None:
    """Remove a folder (local) or every object under a prefix (S3); absent is fine."""
    if is_s3(uri):
        bucket, key = split_s3(uri.rstrip("/") + "/")
        client = s3_client(storage)
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                client.delete_objects(Bucket=bucket, Delete={"Objects": objects})
        return
    if is_remote(uri):
        fs, path = _fsspec(uri)
        if fs.exists(path):
            fs.rm(path, recursive=True)
        return
    shutil.rmtree(local_path(uri), ignore_errors=True)


def exists(uri: str, storage: StorageSettings) -> bool:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        client = s3_client(storage)
        try:
            client.head_object(Bucket=bucket, Key=key)
            return True
        except client.exceptions.ClientError:
            return bool(list_files(uri.rstrip("/") + "/", storage, limit=1))
    if is_remote(uri):
        fs, path = _fsspec(uri)
        return fs.exists(path)
    return os.path.exists(local_path(uri))


def list_files(prefix: str, storage: StorageSettings, limit: int | None = None) -> list[str]:
    """Objects under an ``s3://`` prefix, or files matching a local glob, sorted."""
    if is_s3(prefix):
        bucket, key = split_s3(prefix)
        scheme = urlparse(prefix).scheme
        found: list[str] = []
        for page in s3_client(storage).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            found += [f"{scheme}://{bucket}/{o['Key']}" for o in page.get("Contents", []) if not o["Key"].endswith("/")]
            if limit and len(found) >= limit:
                break
        return sorted(found)[:limit]
    if is_remote(prefix):
        fs, path = _fsspec(prefix)
        scheme = urlparse(prefix).scheme
        if glob.has_magic(path):
            found = [p for p in fs.glob(path) if fs.isfile(p)]
        else:  # a folder's files (a trailing "/" names only a folder), or the file itself
            found = fs.find(path) if fs.isdir(path) or not prefix.endswith("/") else []
        return sorted(f"{scheme}://{p.lstrip('/')}" for p in found)[:limit]
    return sorted(p for p in glob.glob(local_path(prefix)) if os.path.isfile(p))[:limit]


def list_folders(uri: str, storage: StorageSettings) -> list[str]:
    """Names of the folders (S3: common prefixes) directly under ``uri``, sorted; none if absent."""
    if is_s3(uri):
        bucket, key = split_s3(uri.rstrip("/") + "/")
        names = []
        for page in s3_client(storage).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key,
                                                                                 Delimiter="/"):
            names += [p["Prefix"][len(key):].rstrip("/") for p in page.get("CommonPrefixes", [])]
        return sorted(names)
    if is_remote(uri):
        fs, path = _fsspec(uri)
        if not fs.exists(path):
            return []
        return sorted(e["name"].rstrip("/").rsplit("/", 1)[-1] for e in fs.ls(path, detail=True)
                      if e["type"] == "directory")
    path = local_path(uri)
    return sorted(n for n in os.listdir(path) if os.path.isdir(os.path.join(path, n))) if os.path.isdir(path) else []


class _BotoStream(io.RawIOBase):
    """botocore's StreamingBody as a standard raw stream that knows its position (parsers ask
    for ``tell()`` and no-op seeks); any real seek is refused."""

    def __init__(self, body):
        self._body = body
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self._pos + offset if whence == io.SEEK_CUR else -1
        if target != self._pos:
            raise io.UnsupportedOperation("an S3 object stream only moves forward")
        return self._pos

    def readinto(self, buffer) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()

