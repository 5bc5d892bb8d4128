"""A small SMTP server in a thread, enough for smtplib: it accepts or refuses messages
on demand and keeps what it accepted, so a test can see what a lead would receive."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: str


@dataclass
class SmtpState:
    refuse: bool = False  # answer DATA with 451 (try again later), as a busy server does
    messages: list[Received] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(socketserver.StreamRequestHandler):
    state: SmtpState

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test SMTP ready")
        sender, recipients = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode().rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                while (line := self.rfile.readline().decode()) not in (".\r\n", ".\n", ""):
                    lines.append(line[1:] if line.startswith("..") else line)
                with self.state.lock:
                    if self.state.refuse:
                        self.state.refused += 1
                        self.reply("451 try again later")
                    else:
                        self.state.messages.append(Received(sender, recipients, "".join(lines)))
                        self.reply("250 accepted")
            elif verb == "RSET":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SmtpServer:
    """`with SmtpServer() as smtp:` — smtp.port, smtp.state.refuse, smtp.state.messages."""

    def __init__(self):
        self.state = SmtpState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
