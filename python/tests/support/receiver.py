"""A local HTTP endpoint for Holdpoint's resume webhooks (stdlib only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from queue import Queue


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


#: Turns one delivery into (status, response body); the default accepts everything.
Handler = Callable[[Delivery], "tuple[int, bytes]"]


class WebhookReceiver:
    def __init__(self, handle: Handler | None = None) -> None:
        self.deliveries: Queue[Delivery] = Queue()
        self._handle: Handler = handle or (lambda _delivery: (200, b"{}"))
        receiver = self

        class _Endpoint(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                delivery = Delivery(headers=dict(self.headers.items()), body=self.rfile.read(length))
                receiver.deliveries.put(delivery)
                status, body = receiver._handle(delivery)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # quiet: request lines would only clutter pytest output

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/holdpoint"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
