"""A real HTTP server on 127.0.0.1 for the image stage's tests: the real images of
../shared/data/images, the image responses archived in two bundled WARCs (under /mirror/), and
endpoints that misbehave in every way a downloader meets."""
from __future__ import annotations

import io
import mimetypes
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.conftest import SHARED, WARC_DIR

IMAGES = SHARED / "images"
ARCHIVED = ("aut_archive-org-2008_example.warc.gz", "ukwa_wikipedia-mona-lisa.warc.gz")


def archived_images() -> dict[str, tuple[bytes, str]]:
    """Original URL -> (body, Content-Type) of every image response in the two WARCs."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from udfs.ingest.http_body import decode_body, parse_response

    found = {}
    for name in ARCHIVED:
        with open(WARC_DIR / name, "rb") as fh:
            for record in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=False):
                response = parse_response(record.reader.read())
                if response and response.status == 200 and response.headers.get("content-type", "").startswith("image/"):
                    found[record.headers.get("WARC-Target-URI")] = (decode_body(response, 1 << 26),
                                                                     response.headers["content-type"])
    return found


def bomb_png() -> bytes:
    """A 10,000 x 10,000 PNG (100 Mpx, above Pillow's 89 Mpx limit) of a few kilobytes."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "ImageServer"

    def log_message(self, *args) -> None:  # quiet tests
        pass

    def send(self, status: int, body: bytes = b"", content_type: str = "text/plain", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: C901 -- one branch per endpoint
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        hits = self.server.hits
        hits[self.path] += 1
        jpeg = (IMAGES / "odd" / "pillow_flower.jpg").read_bytes()
        if path.startswith("/files/"):
            file = IMAGES / unquote(path[len("/files/"):])
            if not file.is_file():
                return self.send(404)
            return self.send(200, file.read_bytes(), mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        if path.startswith("/mirror/"):
            scheme, rest = path[len("/mirror/"):].split("/", 1)
            wanted = unquote(rest + (f"?{parts.query}" if parts.query else ""))
            match = self.server.archived_by_path.get(wanted)
            if match is None:
                return self.send(404)
            body, content_type = match
            return self.send(200, body, content_type)
        if path.startswith("/status/"):
            return self.send(int(path.rsplit("/", 1)[1]))
        if path == "/retry-after":  # 429 with Retry-After once, then the image
            if hits[self.path] == 1:
                return self.send(429, Retry_After="1")
            return self.send(200, jpeg, "image/jpeg")
        if path == "/flaky":  # 500 once, then the image
            return self.send(500) if hits[self.path] == 1 else self.send(200, jpeg, "image/jpeg")
        if path == "/slow":  # a body that trickles in
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(jpeg)))
            self.end_headers()
            for i in range(0, len(jpeg), 64):
                self.wfile.write(jpeg[i:i + 64])
                self.wfile.flush()
                time.sleep(0.3)
            return None
        if path == "/endless":  # a body that never ends
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.close_connection = True
            chunk = b"\xff" * 65536
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return None
        if path.startswith("/redirect/"):  # /redirect/N: N more hops, then the image
            n = int(path.rsplit("/", 1)[1])
            if n == 0:
                return self.send(200, jpeg, "image/jpeg")
            return self.send(302, Location=f"/redirect/{n - 1}")
        if path == "/loop":  # a redirect to itself
            return self.send(302, Location="/loop")
        if path == "/slowloris":  # headers that trickle in and never end
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n")
            try:
                for i in range(600):
                    self.wfile.write(f"X-Slow-{i}: a\r\n".encode())
                    self.wfile.flush()
                    time.sleep(0.25)
            except OSError:
                pass
            self.close_connection = True
            return None
        if path == "/redirect-blocked":
            return self.send(302, Location="http://10.1.2.3/internal.jpg")
        if path == "/wrong-type":  # a real JPEG served as text/html
            return self.send(200, jpeg, "text/html")
        if path == "/html":
            return self.send(200, b"<!doctype html><html><body>not an image</body></html>", "text/html")
        if path == "/html-as-jpeg":
            return self.send(200, b"<!doctype html><html><body>not an image</body></html>", "image/jpeg")
        if path == "/bomb":
            return self.send(200, self.server.bomb, "image/png")
        if path == "/noai":
            return self.send(200, jpeg, "image/jpeg", X_Robots_Tag=query.get("tag", ["noai"])[0])
        return self.send(404)


class ImageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.archived = archived_images()
        self.archived_by_path = {unquote(url.split("://", 1)[1]): item for url, item in self.archived.items()}
        self.bomb = bomb_png()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "ImageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
