"""Resolve ``--input`` (a WARC file, glob, directory, or manifest) to the list of files to read.

Runs on the driver before Spark starts, so a missing path or an empty manifest stops the run
with a one-line message instead of an empty job.
"""
from __future__ import annotations

import glob
import gzip
import os
import re
import zlib

from udfs.common import storage
from udfs.common.settings import StorageSettings

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".warc.zst", ".warc.lz4")
MANIFEST_SUFFIXES = (".paths", ".paths.gz", ".txt", ".txt.gz", ".lst", ".manifest")
GZIP_MAGIC = b"\x1f\x8b"
_PATH_LINE = re.compile(rb"^[^\s]+$")


class InputError(ValueError):
    """The input cannot be resolved to any file: the run cannot proceed."""


def resolve_input(spec: str, storage_settings: StorageSettings, cc_prefix: str) -> list[str]:
    """Files named by ``spec``, de-duplicated, in a stable order."""
    files = _resolve(spec.strip(), storage_settings, cc_prefix)
    if not files:
        raise InputError(f"input {spec} names no WARC files")
    return list(dict.fromkeys(files))


def _resolve(spec: str, storage_settings: StorageSettings, cc_prefix: str) -> list[str]:
    if not storage.supported(spec):
        raise InputError(f"unsupported input scheme: {spec} (use a local path, s3:// or gs://)")
    if storage.is_remote(spec):  # s3:// (boto3) or gs:// (fsspec)
        if spec.endswith("/"):
            return storage.list_files(spec, storage_settings)
        if not storage.exists(spec, storage_settings):
            raise InputError(f"input not found: {spec}")
        if storage.list_files(spec.rstrip("/") + "/", storage_settings, limit=1):
            return storage.list_files(spec.rstrip("/") + "/", storage_settings)
        return _file_or_manifest(spec, storage_settings, cc_prefix)
    path = storage.local_path(spec)
    if glob.has_magic(path):
        matches = storage.list_files(path, storage_settings)
        if not matches:
            raise InputError(f"input glob matches no files: {spec}")
        return [os.path.abspath(m) for m in matches]
    if os.path.isdir(path):
        return [os.path.abspath(os.path.join(path, n)) for n in sorted(os.listdir(path))
                if not n.startswith(".") and os.path.isfile(os.path.join(path, n))]
    if not os.path.exists(path):
        raise InputError(f"input not found: {spec}")
    return _file_or_manifest(os.path.abspath(path), storage_settings, cc_prefix)


def _file_or_manifest(uri: str, storage_settings: StorageSettings, cc_prefix: str) -> list[str]:
    name = uri.lower()
    if name.endswith(ARCHIVE_SUFFIXES):
        return [uri]
    if not name.endswith(MANIFEST_SUFFIXES) and not _looks_like_manifest(_text_head(uri, storage_settings)):
        return [uri]  # an archive (or garbage, which ingest rejects as unreadable_file)
    data = storage.read_bytes(uri, storage_settings)
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"manifest {uri} is not readable gzip: {exc}") from None
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines()]
    files = [_manifest_entry(ln, uri, cc_prefix) for ln in lines if ln and not ln.startswith("#")]
    if not files:
        raise InputError(f"manifest {uri} lists no WARC files")
    return files


def _manifest_entry(line: str, manifest: str, cc_prefix: str) -> str:
    if line.startswith("crawl-data/"):
        return cc_prefix.rstrip("/") + "/" + line
    if "://" in line or os.path.isabs(line):
        return line
    if storage.is_remote(manifest):
        return manifest.rsplit("/", 1)[0] + "/" + line
    return os.path.abspath(os.path.join(os.path.dirname(manifest), line))


def _looks_like_manifest(head: bytes) -> bool:
    """Text whose lines are single tokens that look like paths or URLs (not WARC/ARC headers)."""
    if head.startswith((b"WARC/", b"filedesc://")) or b"\x00" in head:
        return False
    lines = [ln for ln in head.splitlines()[:-1] or head.splitlines() if ln.strip()]
    return bool(lines) and all(_PATH_LINE.match(ln.strip()) and (b"/" in ln or b"." in ln) for ln in lines)


def _text_head(uri: str, storage_settings: StorageSettings, size: int = 4096) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    stream, _ = storage.open_binary(uri, storage_settings)
    with stream:
        head = stream.read(size)
    if head[:2] == GZIP_MAGIC:
        try:
            return zlib.decompressobj(31).decompress(head, size)
        except zlib.error:
            return b""
    return head
