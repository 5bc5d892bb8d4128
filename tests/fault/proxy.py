"""A small fault-injecting TCP proxy for HTTP/1.1 with one request per connection.

It sits between the simulated devices and gunicorn on loopback and, by a
seeded random draw per request, does one of:

- pass:            forward the request and the answer
- drop_request:    close the client's connection before the server sees anything
- drop_answer:     forward the request, let the server commit, then close the
                   client's connection without the answer
- server_error:    forward the request, then answer the client 502 instead
- duplicate:       forward the request twice at once, answer with the first reply
- delayed_copy:    answer normally, and send a copy of the request again later
                   (after the device has moved on: reordered and duplicated)

Everything stays on 127.0.0.1; the proxy stops when asked.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

FAULTS = ["pass", "drop_request", "drop_answer", "server_error", "duplicate", "delayed_copy"]
BAD_GATEWAY = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
               b"Content-Length: 11\r\nConnection: close\r\n\r\nbad gateway")


def _read_http_message(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 message with a Content-Length body (our clients send one)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


@dataclass
class FaultyProxy:
    upstream_port: int
    seed: int = 1
    # Probability of each fault other than "pass".
    rates: dict[str, float] = field(default_factory=lambda: {
        "drop_request": 0.06, "drop_answer": 0.08, "server_error": 0.05,
        "duplicate": 0.06, "delayed_copy": 0.06})
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def _draw(self) -> str:
        with self._lock:
            roll, edge = self._random.random(), 0.0
            for fault, rate in self.rates.items():
                edge += rate
                if roll < edge:
                    self.counts[fault] += 1
                    return fault
            self.counts["pass"] += 1
            return "pass"

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60) as up:
            up.sendall(request)
            return _read_all(up)

    def _handle(self, client: socket.socket) -> None:
        with client:
            client.settimeout(60)
            request = _read_http_message(client)
            if not request:
                return
            fault = self._draw()
            if fault == "drop_request":
                return
            if fault == "duplicate":
                copy = threading.Thread(target=self._forward, args=(request,), daemon=True)
                copy.start()
                answer = self._forward(request)
                copy.join(timeout=60)
            else:
                answer = self._forward(request)
            if fault == "drop_answer":
                return
            if fault == "delayed_copy":
                self._later(request)
            client.sendall(BAD_GATEWAY if fault == "server_error" else answer)

    def _later(self, request: bytes) -> None:
        delay = self._random.uniform(0.05, 0.4)

        def send():
            time.sleep(delay)
            try:
                self._forward(request)
            except OSError:
                pass

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def start(self) -> FaultyProxy:
        self._server_thread = threading.Thread(target=self._serve, daemon=True)
        self._server_thread.start()
        return self

    def stop(self) -> None:
        for thread in self._threads:
            thread.join(timeout=5)
        self._stopping.set()
        self._server_thread.join(timeout=5)
        self._listener.close()
