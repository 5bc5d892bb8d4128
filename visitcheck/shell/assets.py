"""Static files as they are served: comments cut, compressed once, kept in memory.

The files in `static/` are the source and stay the source (no build step,
DESIGN.md §4). What goes over the wire is the same code, line for line, with
its comments and indentation removed, so that a line number in a tablet's
stack trace is the line number in the repository; then it is compressed with
Brotli and gzip once per file version (not per request) and kept in this
process. The cut is made on a real parse of the file (tree-sitter's JavaScript
grammar); a file that does not parse is served exactly as written.

Why cut comments at all: they are a third of the shell's compressed bytes, and
a tablet in a family's home may be on one bar of 3G when it first installs or
updates the app. docs/performance.md has the figures.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import brotli
import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

log = logging.getLogger(__name__)

# Already compressed (PNG) or too small to matter: served as they are.
COMPRESSIBLE_SUFFIXES = {".js", ".mjs", ".css", ".webmanifest", ".json", ".svg", ".html",
                         ".txt"}
MIMETYPES = {".js": "text/javascript", ".mjs": "text/javascript",
             ".webmanifest": "application/manifest+json"}

_JS = Language(tree_sitter_javascript.language())
_LITERALS = {"string", "template_string", "regex"}
_CSS_TOKENS = re.compile(rb"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|/\*.*?\*/""", re.DOTALL)


@dataclass(frozen=True)
class Asset:
    mimetype: str
    body: bytes
    etag: str
    # Content-coding -> bytes, only for codings that make the body smaller.
    encoded: dict[str, bytes]


def load_asset(path: Path) -> Asset:
    """The served form of a static file, made once per version of the file."""
    stat = path.stat()
    return _made(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _made(name: str, _mtime_ns: int, _size: int) -> Asset:
    path = Path(name)
    source = path.read_bytes()
    suffix = path.suffix.lower()
    body = source
    if suffix in {".js", ".mjs"}:
        body = strip_js(source, name=path.name)
    elif suffix == ".css":
        body = strip_css(source)
    mimetype = MIMETYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Asset(mimetype=mimetype, body=body, etag=hashlib.sha256(body).hexdigest()[:20],
                 encoded=compressed(body) if suffix in COMPRESSIBLE_SUFFIXES else {})


@lru_cache(maxsize=64)
def compressed(body: bytes) -> dict[str, bytes]:
    """Brotli and gzip at their best settings, each kept only if it is smaller; made
    once per distinct body (the shell's pages render the same for everyone)."""
    encoded: dict[str, bytes] = {}
    # mtime=0: the same file always gives the same bytes (and the same ETag) on every host.
    for coding, data in (("br", brotli.compress(body, mode=brotli.MODE_TEXT, quality=11)),
                         ("gzip", gzip.compress(body, compresslevel=9, mtime=0))):
        if len(data) < len(body):
            encoded[coding] = data
    return encoded


def strip_js(source: bytes, *, name: str = "") -> bytes:
    """The same module with comments, indentation and trailing blanks removed, every
    line where it was. A source that does not parse comes back unchanged."""
    parser = Parser(_JS)
    tree = parser.parse(source)
    if tree.root_node.has_error:
        log.warning("%s does not parse; served with its comments", name)
        return source
    comments = sorted(_nodes(tree.root_node, {"comment"}))
    out = bytearray()
    position = 0
    for start, end in comments:
        out += source[position:start]
        text = source[start:end]
        # A comment spanning lines counts as a line break for semicolon insertion:
        # keep its line breaks; one on a line keeps tokens apart with a space.
        newlines = text.count(b"\n")
        out += b"\n" * newlines if newlines else (b" " if text.startswith(b"/*") else b"")
        position = end
    out += source[position:]
    without_comments = bytes(out)

    reparsed = parser.parse(without_comments)
    if reparsed.root_node.has_error:  # pragma: no cover - removing comments cannot break a parse
        log.warning("%s no longer parses without comments; served as written", name)
        return source
    literals = sorted(_nodes(reparsed.root_node, _LITERALS))
    return _strip_lines(without_comments, literals)


def strip_css(source: bytes) -> bytes:
    """The same stylesheet without comments or indentation, line for line."""

    def keep_strings(match: re.Match[bytes]) -> bytes:
        if match.group(1) is not None:
            return match.group(1)
        return b"\n" * match.group(0).count(b"\n")

    # CSS strings cannot span lines unescaped, so every line break is outside one.
    text = _CSS_TOKENS.sub(keep_strings, source)
    return b"\n".join(line.strip() for line in text.split(b"\n"))


def _nodes(root: Node, kinds: set[str]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in kinds:
            found.append((node.start_byte, node.end_byte))
            continue
        stack.extend(node.children)
    return found


def _strip_lines(source: bytes, literals: list[tuple[int, int]]) -> bytes:
    """Strip the blanks around each line break that is not inside a string, template
    or regular expression (there they are content)."""
    lines = source.split(b"\n")
    breaks: list[int] = []
    offset = 0
    for line in lines[:-1]:
        offset += len(line)
        breaks.append(offset)
        offset += 1
    inside = _inside(breaks, literals)
    out: list[bytes] = []
    for index, line in enumerate(lines):
        keep_start = index > 0 and inside[index - 1]
        keep_end = index < len(breaks) and inside[index]
        if not keep_start:
            line = line.lstrip(b" \t")
        if not keep_end:
            line = line.rstrip(b" \t\r")
        out.append(line)
    return b"\n".join(out)


def _inside(positions: list[int], ranges: list[tuple[int, int]]) -> list[bool]:
    """For each position (ascending), whether it falls strictly inside one of the
    ranges (sorted, not overlapping)."""
    result = []
    index = 0
    for position in positions:
        while index < len(ranges) and ranges[index][1] <= position:
            index += 1
        result.append(index < len(ranges) and ranges[index][0] < position < ranges[index][1])
    return result
