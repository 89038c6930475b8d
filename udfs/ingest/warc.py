"""Read every record of a WARC (or ARC) file, whatever state the file is in.

Readers are tried in order: fastwarc (plain, per-record gzip, zstd and lz4 files), then
``resync``, a lenient reader that finds record boundaries by looking for record headers, so it
survives wrong Content-Length fields, ARC files, garbage between records and damaged gzip
members. When fastwarc fails part-way, resync re-reads the file and hands out only the records
after the last one already produced (both readers use the same offsets), so each record comes
out once. Whatever no reader can parse comes out as an ``Unreadable`` item with a reason:
nothing is dropped silently. Memory stays bounded: no record is buffered beyond ``MAX_RECORD``.
"""
from __future__ import annotations

import errno
import re
import socket
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator

from fastwarc.warc import ArchiveIterator, WarcRecordType

GZIP_MAGIC = b"\x1f\x8b\x08"
OTHER_MAGICS = (b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18")  # zstd, lz4 frames: fastwarc reads these
CHUNK = 1 << 20
PEEK = 64 << 10
MAX_HEADER = 64 << 10
MAX_RECORD = 64 << 20  # a record whose end is not found within this many bytes is cut here
MAX_SEPARATOR = 4096

_HEAD = (rb"(?:WARC/\d+\.\d+\r?\n[A-Za-z][A-Za-z0-9-]*:"
         rb"|(?i:[a-z][a-z0-9+.-]*):[^\r\n]*? \S+ \d{14}(?: [^\r\n]*)? \d+\r?\n)")
RECORD_START = re.compile(rb"^" + _HEAD, re.M)  # a record header at the start of a line
RECORD_AT = re.compile(_HEAD)  # a record header exactly at a given position
_DATE14 = re.compile(rb"^\d{14}$")


@dataclass(slots=True)
class RawRecord:
    """One record as read: WARC named fields (ARC fields mapped to WARC names) and its block."""

    offset: int
    headers: dict[str, str]
    block: bytes | None  # None when the caller did not want the block read
    declared_length: int | None  # None when the file gives no trustworthy length (ARC)
    length: int | None = None

    @property
    def warc_type(self) -> str:
        return (self.headers.get("WARC-Type") or "unknown").strip().lower()


@dataclass(slots=True)
class Unreadable:
    """A stretch of the file no reader could turn into a record."""

    offset: int
    reason: str
    detail: str


@dataclass
class ReadLog:
    """How a file was read: filled in while iterating."""

    reader: str = ""
    errors: list[str] = field(default_factory=list)


Item = RawRecord | Unreadable
WantBlock = Callable[[dict[str, str]], bool]


def read_archive(open_stream: Callable[[], BinaryIO], size: int | None,
                 want_block: WantBlock = lambda h: True, log: ReadLog | None = None) -> Iterator[Item]:
    """Every record (and every unreadable stretch) of the file ``open_stream()`` opens."""
    log = log if log is not None else ReadLog()
    with open_stream() as stream:
        kind = _sniff(stream.read(PEEK))
    if kind in ("empty", "unknown"):
        log.reader = "none"
        yield Unreadable(0, "empty_file" if kind == "empty" else "unreadable_file",
                         "the file holds no data" if kind == "empty" else "not a WARC or ARC file")
        return
    readers = {"warc": [("fastwarc", _fastwarc), ("resync", _resync)], "framed": [("fastwarc", _fastwarc)],
               "lenient": [("resync", _resync)]}[kind]
    last_offset = -1  # offset of the last record handed out
    emitted = False
    for name, reader in readers:
        log.reader = name
        resume = last_offset  # an earlier reader handed out the records up to here
        try:
            with open_stream() as stream:
                for item in _with_lengths(reader(stream, want_block), size):
                    if isinstance(item, RawRecord):
                        if item.offset <= resume:
                            continue
                        last_offset = item.offset
                    emitted = True
                    yield item
            return
        except BaseException as exc:  # noqa: B036 - fastwarc reports some failures as a Rust panic
            if not _is_parse_error(exc):
                raise
            log.errors.append(f"{name}: {exc}")
    yield Unreadable(max(last_offset, 0), "malformed_record" if emitted else "unreadable_file",
                     "no reader can parse the rest of the file: " + "; ".join(log.errors))


def is_transient(exc: BaseException) -> bool:
    """Network trouble while streaming (S3): the task should fail and be retried by Spark."""
    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.ETIMEDOUT, errno.EPIPE):
        return True
    if not type(exc).__module__.startswith(("botocore", "urllib3")):
        return False
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # an S3 error reply: only throttling and server errors are transient
        code = response.get("Error", {}).get("Code", "")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in ("SlowDown", "Throttling", "RequestTimeout", "InternalError", "ServiceUnavailable") or status >= 500
    return True  # connection, read and timeout errors


def _is_parse_error(exc: BaseException) -> bool:
    """Errors that mean "this reader cannot parse the file"; transient errors and interrupts propagate."""
    if is_transient(exc):
        return False
    return isinstance(exc, (OSError, ValueError, zlib.error, EOFError)) or type(exc).__name__ == "PanicException"


def _sniff(raw: bytes) -> str:
    """empty, unknown, framed (zstd/lz4: fastwarc only), warc (plain or one gzip member per
    record: fastwarc, then resync), or lenient (ARC, one gzip member for the whole file,
    junk before the first record: resync only)."""
    if not raw.strip(b"\x00\r\n\t "):
        return "empty"
    if raw.startswith(OTHER_MAGICS):
        return "framed"
    gz_at = raw.find(GZIP_MAGIC, 0, 64)
    if gz_at < 0:
        head, per_record = raw, True
    else:
        head, per_record = _gunzip_head(raw[gz_at:])
        if not head.strip(b"\x00\r\n\t "):
            return "empty" if len(raw) < PEEK else "lenient"
    if head.startswith(b"WARC/") and per_record and (gz_at <= 0):
        return "warc"
    return "lenient" if RECORD_START.search(head) else "unknown"


def _gunzip_head(raw: bytes) -> tuple[bytes, bool]:
    """Decompressed start of a gzip stream (across members), and whether the first member ends
    inside ``raw`` (one member per record, as CommonCrawl writes them)."""
    out, first_ended, data = bytearray(), None, raw
    while data.startswith(GZIP_MAGIC[:2]) and len(out) < PEEK:
        dec = zlib.decompressobj(31)
        try:
            out += dec.decompress(data, PEEK)
        except zlib.error:
            break
        first_ended = dec.eof if first_ended is None else first_ended
        if not dec.eof:
            break
        data = dec.unused_data
    return bytes(out), bool(first_ended)


def _with_lengths(items: Iterator[Item], size: int | None) -> Iterator[Item]:
    """Fill each record's length from the next record's offset; hold one record back so that a
    record whose successor failed to parse is re-read by the next reader rather than emitted."""
    pending: RawRecord | None = None
    for item in items:
        if isinstance(item, RawRecord) and pending is not None and pending.length is None:
            pending.length = item.offset - pending.offset if item.offset > pending.offset else None
        if pending is not None:
            yield pending
            pending = None
        if isinstance(item, RawRecord):
            pending = item
        else:
            yield item
    if pending is not None:
        if pending.length is None and size is not None and size > pending.offset:
            pending.length = size - pending.offset
        yield pending


def _fastwarc(stream: BinaryIO, want_block: WantBlock) -> Iterator[Item]:
    records = ArchiveIterator(stream, record_types=WarcRecordType.any_type, parse_http=False, fsspec_args=False)
    last = -1
    for rec in records:
        if rec.stream_pos <= last:
            raise ValueError(f"record offsets stop increasing at {rec.stream_pos}")
        last = rec.stream_pos
        headers = rec.headers.to_dict()
        block = rec.reader.read() if want_block(headers) else None
        if block is not None and len(block) < rec.content_length:
            # fastwarc reads a too-long Content-Length up to the end of the file: let resync
            # decide whether records follow inside those bytes
            raise ValueError(f"record at {rec.stream_pos} ends before its declared length")
        yield RawRecord(rec.stream_pos, headers, block, rec.content_length)
    if last < 0:  # the file starts with a record (we sniffed it), so none at all means fastwarc gave up
        raise ValueError("fastwarc found no record")


def _resync(stream: BinaryIO, want_block: WantBlock) -> Iterator[Item]:
    """Lenient reader: a WARC record ends at its declared length when a record (or the end of
    the file) follows there, else at the next record header; ARC lengths are not trusted."""
    scan = _Scanner(_Decompressed(stream))
    buf = scan.buf
    cut = False  # the last record was cut by the end of the stream: its truncated member is no second reject

    def release(upto: int | None = None) -> list[Unreadable]:
        return [n for n in scan.source.take_notes(upto) if not (cut and n.reason == "truncated_gzip_member")]
    while True:
        pos = scan.pos
        m = scan.search(pos)
        gap_end = m.start() if m else len(buf)
        yield from release(scan.base + gap_end)
        if buf[pos:gap_end].strip(b"\x00\r\n\t "):
            yield Unreadable(scan.locate(pos), "garbage_between_records", f"{gap_end - pos} bytes that are not a record")
        if not m:
            scan.pos = gap_end
            if scan.at_eof():
                break
            scan.trim()
            continue
        start = m.start()
        header = _parse_header(buf, start, scan)
        if header is None:
            nxt = scan.search(start + 1)
            end = nxt.start() if nxt else len(buf)
            yield Unreadable(scan.locate(start), "malformed_record", f"unparseable record header ({end - start} bytes)")
            scan.pos = end
            scan.trim()
            continue
        headers, body_start, declared, is_arc = header
        end, after = _record_end(buf, body_start, declared, is_arc, scan)
        if is_arc:
            declared = None
        block = bytes(buf[body_start:end]) if want_block(headers) else None
        offset, length = scan.source.locate(scan.base + start, scan.base + after)
        yield RawRecord(offset, headers, block, declared, length)
        cut = declared is not None and end - body_start < declared
        scan.pos = max(after, start + 1)
        scan.trim()
    yield from release()


def _record_end(buf: bytearray, body_start: int, declared: int | None, is_arc: bool, scan) -> tuple[int, int]:
    """(end of the block, start of what follows) for a record whose body starts at ``body_start``."""
    if declared is not None and declared <= MAX_RECORD:
        end = body_start + declared
        scan.fill(end + MAX_SEPARATOR)
        if end <= len(buf) and scan.boundary_after(end):
            return end, _skip_separator(buf, end)
    nxt = scan.search(body_start)
    if nxt is None:
        end = min(len(buf), body_start + MAX_RECORD)
        return _trim_separator(buf, body_start, end), end
    if not is_arc and declared is not None and body_start + declared < nxt.start():
        end = body_start + declared  # trust the length: what lies between is reported as garbage
        return end, _skip_separator(buf, end)
    return _trim_separator(buf, body_start, nxt.start()), nxt.start()


def _parse_header(buf: bytearray, start: int, scan) -> tuple[dict[str, str], int, int | None, bool] | None:
    scan.fill(start + MAX_HEADER)
    if buf.startswith(b"WARC/", start):
        crlf = buf.find(b"\r\n\r\n", start, start + MAX_HEADER)
        lf = buf.find(b"\n\n", start, crlf if crlf >= 0 else start + MAX_HEADER)
        if lf < 0 and crlf < 0:
            return None
        end, body_start = (lf, lf + 2) if lf >= 0 else (crlf, crlf + 4)
        headers = {}
        for line in bytes(buf[start:end]).decode("utf-8", "replace").splitlines()[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip()] = value.strip()
        return headers, body_start, _length(headers.get("Content-Length")), False
    eol = buf.find(b"\n", start, start + MAX_HEADER)
    if eol < 0:
        return None
    fields = bytes(buf[start:eol]).rstrip(b"\r").decode("utf-8", "replace").split(" ")
    date_at = next((i for i in range(2, len(fields) - 1) if _DATE14.match(fields[i].encode())), None)
    if date_at is None:
        return None
    url, ip, date = " ".join(fields[:date_at - 1]), fields[date_at - 1], fields[date_at]
    mime = fields[date_at + 1] if date_at + 2 < len(fields) else ""
    body_start = eol + 1
    is_info = url.lower().startswith("filedesc:")
    has_http = buf.startswith(b"HTTP/", body_start)
    headers = {
        "WARC-Type": "warcinfo" if is_info else "response",
        "WARC-Target-URI": url,
        "WARC-IP-Address": ip,
        "WARC-Date": f"{date[:4]}-{date[4:6]}-{date[6:8]}T{date[8:10]}:{date[10:12]}:{date[12:14]}Z",
        "Content-Type": "application/http; msgtype=response" if has_http and not is_info else mime,
        "ARC-Header": " ".join(fields),
    }
    return headers, body_start, _length(fields[-1]), True


def _length(value: str | None) -> int | None:
    """A declared length, or None when it is missing, not a number or negative."""
    try:
        n = int(value.strip()) if value is not None else None
    except ValueError:
        return None
    return n if n is not None and n >= 0 else None


def _skip_separator(buf: bytearray, end: int) -> int:
    """Position after the blank lines that close a record."""
    j = end
    while j < len(buf) and j < end + MAX_SEPARATOR and buf[j] in b"\r\n":
        j += 1
    return j


def _trim_separator(buf: bytearray, start: int, end: int) -> int:
    while end > start and buf[end - 1] in b"\r\n":
        end -= 1
    return end


class _Scanner:
    """A growing window over the decompressed stream: ``buf`` holds the bytes from absolute
    position ``base`` on, ``pos`` is where scanning resumes."""

    def __init__(self, source: _Decompressed):
        self.source = source
        self.buf = bytearray()
        self.base = 0
        self.pos = 0
        self.eof = False

    def fill(self, upto: int) -> bool:
        """Grow the window to ``upto`` bytes; False when the stream ends first."""
        while len(self.buf) < upto and not self.eof:
            chunk = self.source.read_chunk()
            if not chunk:
                self.eof = True
            self.buf.extend(chunk)
        return len(self.buf) >= upto

    def at_eof(self) -> bool:
        return self.pos >= len(self.buf) and not self.fill(self.pos + 1)

    def search(self, start: int) -> re.Match | None:
        """The next record header at or after ``start``, looking at most MAX_RECORD ahead."""
        self.fill(start + CHUNK)
        here = RECORD_AT.match(self.buf, start)  # a record right after the previous, no line break
        if here:
            return here
        scanned = start
        while True:
            m = RECORD_START.search(self.buf, scanned)
            if m or self.eof or len(self.buf) - start >= MAX_RECORD:
                return m
            scanned = max(start, len(self.buf) - 256)  # a header may straddle the old end
            self.fill(len(self.buf) + CHUNK)

    def boundary_after(self, end: int) -> bool:
        """True when a record header (or the end of the stream) follows ``end`` after blank lines."""
        j = _skip_separator(self.buf, end)
        self.fill(j + 256)
        return (j >= len(self.buf) and self.eof) or RECORD_AT.match(self.buf, j) is not None

    def locate(self, pos: int) -> int:
        return self.source.locate(self.base + pos, self.base + pos)[0]

    def trim(self) -> None:
        if self.pos > 8 * CHUNK:
            del self.buf[:self.pos]
            self.base += self.pos
            self.pos = 0
            self.source.forget(self.base)


class _Decompressed:
    """A plain or multi-member gzip stream read as one byte stream. Remembers where each gzip
    member starts and ends (so records that fill one member get CommonCrawl-style compressed
    offsets), and notes damage: garbage between members, corrupt or truncated members."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        first = raw.read(CHUNK)
        gz_at = first.find(GZIP_MAGIC, 0, 64)
        self.gzip = gz_at >= 0
        self.member_at: dict[int, int] = {}  # decompressed position -> compressed offset of its member
        self.member_end: dict[int, int] = {}  # decompressed position -> compressed offset where a member ended
        self.notes: list[tuple[int, Unreadable]] = []
        self.out_pos = 0
        self.out = bytearray()  # output of the read_chunk call in progress
        self.in_pos = 0  # compressed offset of self.pending[0]
        self.pending = first
        self.dec = None
        self.member_start = 0
        self.eof = False

    def take_notes(self, upto: int | None = None) -> list[Unreadable]:
        """Damage noted before decompressed position ``upto`` (all of it when None), in order."""
        ready = [n for at, n in self.notes if upto is None or at <= upto]
        self.notes = [(at, n) for at, n in self.notes if upto is not None and at > upto]
        return ready

    def note(self, offset: int, reason: str, detail: str) -> None:
        self.notes.append((self.out_pos + len(self.out), Unreadable(offset, reason, detail)))

    def forget(self, before: int) -> None:
        """Drop the member positions before decompressed position ``before`` (the scanner is past
        them), so a file of 100,000 members keeps only the few in its window."""
        for positions in (self.member_at, self.member_end):
            for key in [k for k in positions if k < before]:
                del positions[key]

    def locate(self, start: int, end: int) -> tuple[int, int]:
        """(offset, length) of decompressed [start, end): compressed when it is exactly whole members."""
        if start in self.member_at:
            cstart = self.member_at[start]
            cend = self.member_end.get(end, self.member_at.get(end))
            if cend is not None:
                return cstart, cend - cstart
        return start, end - start

    def read_chunk(self) -> bytes:
        if not self.gzip:
            data, self.pending = self.pending or self.raw.read(CHUNK), b""
            self.out_pos += len(data)
            return data
        out = self.out = bytearray()
        while not out and not self.eof:
            if not self.pending:
                self.pending = self.raw.read(CHUNK)
                if not self.pending:
                    if self.dec is not None:
                        self.note(self.member_start, "truncated_gzip_member", "the file ends inside a gzip member")
                    self.eof = True
                    break
            if self.dec is None and not self._start_member():
                continue
            try:
                data = self.dec.decompress(self.pending, CHUNK)
            except zlib.error as exc:
                self.note(self.member_start, "corrupt_gzip_member", str(exc))
                self.dec = None
                self.pending, self.in_pos = self.pending[1:], self.in_pos + 1
                continue
            out += data
            rest = self.dec.unused_data if self.dec.eof else self.dec.unconsumed_tail
            self.in_pos += len(self.pending) - len(rest)
            self.pending = rest
            if self.dec.eof:
                self.member_end[self.out_pos + len(out)] = self.in_pos
                self.dec = None
        self.out_pos += len(out)
        self.out = bytearray()
        return bytes(out)

    def _start_member(self) -> bool:
        """Begin the member at the front of ``pending``, skipping (and noting) garbage before it."""
        idx = self.pending.find(GZIP_MAGIC)
        if idx < 0:
            keep = 2  # the magic may straddle two reads
            if self.pending[:-keep].strip(b"\x00\r\n "):
                self.note(self.in_pos, "garbage_between_records",
                          f"{len(self.pending) - keep} bytes outside any gzip member")
            self.in_pos += max(len(self.pending) - keep, 0)
            tail = self.pending[-keep:]
            more = self.raw.read(CHUNK)
            self.pending = tail + more if more else b""
            if not more and tail.strip(b"\x00\r\n "):
                self.note(self.in_pos, "garbage_between_records", f"{len(tail)} trailing bytes")
            return False
        if idx > 0:
            if self.pending[:idx].strip(b"\x00\r\n "):
                self.note(self.in_pos, "garbage_between_records", f"{idx} bytes outside any gzip member")
            self.in_pos += idx
            self.pending = self.pending[idx:]
        self.member_start = self.in_pos
        self.member_at[self.out_pos + len(self.out)] = self.in_pos
        self.dec = zlib.decompressobj(31)
        return True
