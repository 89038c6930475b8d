"""Images the crawl already holds: read one image response record back from its WARC file by
offset (ingest marks them as ``image_record`` rejects with their offset), so the images stage
need not download what the archive has."""
from __future__ import annotations

from fastwarc.warc import ArchiveIterator, WarcRecordType

from udfs import storage
from udfs.http_body import BodyError, decode_body, parse_response


def read_archived(warc_filename: str, offset: int, max_bytes: int, storage_settings) -> tuple[bytes, str | None]:
    """(body, Content-Type) of the image response record at ``offset`` of the file; raises
    LookupError when there is no such record there."""
    with storage.open_at(warc_filename, offset, storage_settings) as stream:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=False):
            response = parse_response(record.reader.read(max_bytes + 65536))
            if response is None or response.status != 200:
                raise LookupError(f"no HTTP 200 response at {warc_filename}@{offset}")
            try:
                return decode_body(response, max_bytes), response.headers.get("content-type")
            except BodyError as exc:
                raise LookupError(f"{exc.reason}: {exc}") from None
    raise LookupError(f"no response record at {warc_filename}@{offset}")
