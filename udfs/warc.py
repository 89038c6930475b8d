"""Read every record of a WARC (or ARC) file, whatever state the file is in.

Readers are tried in order: fastwarc, then ``resync``, a lenient
reader that finds record boundaries by looking for record headers, so it survives wrong
Content-Length fields, ARC files, garbage between records and truncated gzip members. When a
reader fails part-way, the next one re-reads the file and skips the records already handed
out, so each record is produced once. Whatever no reader can parse comes out as an
``Unreadable`` item with a reason: nothing is dropped silently.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator

from fastwarc.warc import ArchiveIterator, WarcRecordType

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 20
MAX_HEADER = 64 << 10
MAX_RECORD = 512 << 20

# A WARC header line, or an ARC v1/v2 header line ("URL IP 14-digit-date ... length").
RECORD_START = re.compile(
    rb"^(?:WARC/\d+\.\d+\r?\n[A-Za-z][A-Za-z0-9-]*:|[a-z][a-z0-9+.-]*:\S* \S+ \d{14} (?:[^\n]* )?\d+\r?\n)",
    re.M,
)
_ARC_LINE = re.compile(rb"(\S+) (\S+) (\d{14}) (?:(\S*) )?(?:[^\n]* )?(\d+)\r?\n")


@dataclass(slots=True)
class RawRecord:
    """One record as read: WARC named fields (ARC fields mapped to WARC names) and its block."""

    offset: int
    headers: dict[str, str]
    block: bytes | None  # None when the caller did not want the block read
    declared_length: int | None
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
        head = _peek(stream)
    if not head.strip():
        yield Unreadable(0, "empty_file", "the file holds no bytes" if not head else "the file holds only whitespace")
        return
    if not head.lstrip().startswith(b"WARC/"):
        if not RECORD_START.search(head):
            log.reader = "none"
            yield Unreadable(0, "unreadable_file", f"not a WARC or ARC file: starts with {head[:40]!r}")
            return
        readers = [("resync", _resync)]
    else:
        readers = [("fastwarc", _fastwarc), ("resync", _resync)]
    emitted = 0
    for name, reader in readers:
        log.reader = name
        try:
            with open_stream() as stream:
                for index, item in enumerate(_with_lengths(reader(stream, want_block), size)):
                    if index >= emitted:  # a fallback reader skips what an earlier one handed out
                        emitted += 1
                        yield item
            return
        except BaseException as exc:  # noqa: B036 - fastwarc reports some failures as a Rust panic
            if not _is_parse_error(exc):
                raise
            log.errors.append(f"{name}: {exc}")
    yield Unreadable(0, "unreadable_file", "; ".join(log.errors))


def _is_parse_error(exc: BaseException) -> bool:
    """Errors that mean "this reader cannot parse the file"; anything else (a network error
    while streaming from S3, an interrupt) propagates so Spark can retry the task."""
    return isinstance(exc, (OSError, ValueError, zlib.error, EOFError)) or type(exc).__name__ == "PanicException"


def _peek(stream: BinaryIO, n: int = 4096) -> bytes:
    raw = stream.read(n)
    if raw.startswith(GZIP_MAGIC[:2]):
        try:
            return zlib.decompressobj(31).decompress(raw, n)
        except zlib.error:
            return raw
    return raw


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
        yield RawRecord(rec.stream_pos, headers, block, rec.content_length)


def _resync(stream: BinaryIO, want_block: WantBlock) -> Iterator[Item]:
    """Lenient reader: record boundaries from declared lengths when they hold, else from the next
    record header; ARC records are mapped to WARC fields."""
    source = _Decompressed(stream)
    buf = bytearray()
    base = 0  # decompressed position of buf[0]
    pos = 0

    def fill(upto: int) -> bool:
        """Grow buf until it holds ``upto`` bytes; False at end of stream."""
        while len(buf) < upto:
            chunk = source.read_chunk()
            if not chunk:
                return False
            buf.extend(chunk)
        return True

    def find_start(start: int) -> re.Match | None:
        while True:
            m = RECORD_START.search(buf, start)
            if m or not fill(len(buf) + CHUNK) or len(buf) - pos > MAX_RECORD:
                return m or RECORD_START.search(buf, start)

    while True:
        fill(pos + CHUNK)
        if pos >= len(buf):
            break
        m = find_start(pos)
        gap_end = m.start() if m else len(buf)
        yield from source.take_notes(base + gap_end)
        if buf[pos:gap_end].strip():
            yield Unreadable(base + pos, "garbage_between_records", f"{gap_end - pos} bytes that are not a record")
        if not m:
            break
        start = m.start()
        header = _read_header(buf, start, fill)
        if header is None:
            yield Unreadable(base + start, "malformed_record", "record header never ends")
            pos = start + 1
            continue
        headers, body_start, declared = header
        end = body_start + declared if declared is not None else None
        if end is not None:
            fill(end + 8)
        if end is None or not _at_boundary(buf, end, fill):
            nxt = RECORD_START.search(buf, body_start) or find_start(body_start)
            end = nxt.start() if nxt else len(buf)
            if end > body_start and (declared is None or declared > end - body_start):
                end = _trim_separator(buf, body_start, end)
        block = bytes(buf[body_start:end]) if want_block(headers) else None
        after = _skip_separator(buf, end)
        offset, length = source.locate(base + start, base + after)
        yield RawRecord(offset, headers, block, declared, length)
        pos = after
        if pos > 8 * CHUNK:
            del buf[:pos]
            base += pos
            pos = 0
    yield from source.take_notes()


def _read_header(buf: bytearray, start: int, fill) -> tuple[dict[str, str], int, int | None] | None:
    if buf.startswith(b"WARC/", start):
        while True:
            idx = [i for i in (buf.find(b"\r\n\r\n", start, start + MAX_HEADER),
                               buf.find(b"\n\n", start, start + MAX_HEADER)) if i >= 0]
            if idx or not fill(len(buf) + CHUNK):
                break
        if not idx:
            return None
        end = min(idx)
        body_start = end + (4 if buf.startswith(b"\r\n\r\n", end) else 2)
        lines = bytes(buf[start:end]).decode("utf-8", "replace").splitlines()[1:]
        headers = {}
        for line in lines:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip()] = value.strip()
        return headers, body_start, _int(headers.get("Content-Length"))
    fill(start + 4096)
    m = _ARC_LINE.match(buf, start)
    if not m:
        return None
    url, ip, date, mime, length = (g.decode("utf-8", "replace") if g else "" for g in m.groups())
    body_start = m.end()
    is_info = url.startswith("filedesc:")
    iso = f"{date[:4]}-{date[4:6]}-{date[6:8]}T{date[8:10]}:{date[10:12]}:{date[12:14]}Z"
    has_http = buf.startswith(b"HTTP/", body_start)
    headers = {
        "WARC-Type": "warcinfo" if is_info else "response",
        "WARC-Target-URI": url,
        "WARC-IP-Address": ip,
        "WARC-Date": iso,
        "Content-Type": "application/http; msgtype=response" if has_http and not is_info else mime,
        "ARC-Header": m.group(0).decode("utf-8", "replace").strip(),
    }
    return headers, body_start, _int(length)


def _skip_separator(buf: bytearray, end: int) -> int:
    """Position after the blank lines that close a record (at most 8 bytes of CR/LF)."""
    j = end
    while j < len(buf) and j < end + 8 and buf[j] in b"\r\n":
        j += 1
    return j


def _at_boundary(buf: bytearray, end: int, fill) -> bool:
    """True when a record (or the end of the stream) follows ``end`` after the record separator."""
    if end > len(buf):
        return False
    fill(end + 4096)
    j = _skip_separator(buf, end)
    return j >= len(buf) or RECORD_START.match(buf, j) is not None


def _trim_separator(buf: bytearray, start: int, end: int) -> int:
    while end > start and buf[end - 1] in b"\r\n":
        end -= 1
    return end


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


class _Decompressed:
    """A plain or multi-member gzip stream read as one byte stream. Remembers where each gzip
    member starts (so records that fill one member get CommonCrawl-style compressed offsets),
    and notes damage: garbage between members, corrupt or truncated members."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.first = raw.read(CHUNK)
        self.gzip = self.first.startswith(GZIP_MAGIC[:2])
        self.member_at: dict[int, int] = {}  # decompressed position -> compressed offset
        self.member_end: dict[int, int] = {}  # compressed offset where each member's data ended
        self.notes: list[tuple[int, Unreadable]] = []
        self.out = bytearray()  # output of the read_chunk call in progress
        self.out_pos = 0
        self.in_pos = 0  # compressed offset of self.pending[0]
        self.pending = self.first
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

    def locate(self, start: int, end: int) -> tuple[int, int]:
        """(offset, length) of decompressed [start, end): compressed when it is exactly whole members."""
        if start in self.member_at:
            cstart = self.member_at[start]
            cend = self.member_at.get(end) if end in self.member_at else self.member_end.get(end)
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
                data = self.dec.decompress(self.pending)
            except zlib.error as exc:
                self.note(self.member_start, "corrupt_gzip_member", str(exc))
                self.dec = None
                self.pending, self.in_pos = self.pending[1:], self.in_pos + 1
                continue
            out += data
            if self.dec.eof:
                used = len(self.pending) - len(self.dec.unused_data)
                self.in_pos += used
                self.pending = self.dec.unused_data
                self.member_end[self.out_pos + len(out)] = self.in_pos
                self.dec = None
            else:
                self.in_pos += len(self.pending)
                self.pending = b""
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
        self.member_at[self.out_pos] = self.in_pos
        self.dec = zlib.decompressobj(31)
        return True
