"""Compressed answers: what the server compresses on the fly, and what it never does.

Compressed (Brotli or gzip, whichever the client prefers, when it sends
`Accept-Encoding` and the body is at least 1 KiB; `Vary: Accept-Encoding`):
- JSON from the API (bootstrap, pull pages, push results, problems);
- the app shell's own pages, `/app` and `/offline`: the same for everyone, with
  no token and nothing from the request in them.

Never compressed: the server-rendered HTML pages (sign-in, review, people,
admin). Each carries a CSRF token and shows back what the user typed or chose
(a search, a comment, a sign-in name), the two ingredients of BREACH: an
observer of the encrypted traffic who can make the browser send chosen input
could recover the token from the compressed lengths. They are small, and the
server-side pages are used on desktops on office networks.

The static files (the shell's JS, CSS, icons, manifest) are not compressed
here: shell/assets.py compresses each once, ahead of the first request for it.
docs/security.md ("Compression and BREACH") gives the reasoning.
"""

from __future__ import annotations

from flask import Flask, Response, request

from .extensions import compress

# The shell's pages: no secret and nothing reflected from the request in them.
COMPRESSED_PAGES = {"shell.app_shell", "shell.offline"}
COMPRESSED_TYPES = ["application/json", "application/problem+json", "text/html"]
MIN_SIZE = 1024


def register_compression(app: Flask) -> None:
    app.config.update(
        # Registered below, behind the policy, rather than on every response.
        COMPRESS_REGISTER=False,
        COMPRESS_MIMETYPES=COMPRESSED_TYPES,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIN_SIZE=MIN_SIZE,
        # Per request, so fast settings: most of the gain at a fraction of the CPU.
        COMPRESS_BR_LEVEL=4,
        COMPRESS_LEVEL=6,
        COMPRESS_STREAMS=False,
    )
    compress.init_app(app)

    @app.after_request
    def compress_response(response: Response) -> Response:
        if request.endpoint == "static":
            return response  # already compressed ahead of time, or not worth it (PNG)
        if response.mimetype == "text/html" and request.endpoint not in COMPRESSED_PAGES:
            return response
        return compress.after_request(response)
