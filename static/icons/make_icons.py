"""Generate the visitcheck app icons with the standard library only.

    python static/icons/make_icons.py

Writes icon-192.png, icon-512.png (rounded square with a white tick) and
icon-maskable-512.png (full-bleed background, tick inside the 80 % safe
zone) for the manifest, and icon.svg (the same drawing, for the app's header
and tab) next to this file. The output is deterministic.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLUE = (0x1D, 0x4F, 0x73)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # supersampling per axis for smooth edges


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def write_png(path: Path, size: int, pixels: list[bytes]) -> None:
    raw = b"".join(b"\x00" + row for row in pixels)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
    path.write_bytes(data)


def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _inside_rounded_square(x: float, y: float, corner: float) -> bool:
    cx = min(max(x, corner), 1 - corner)
    cy = min(max(y, corner), 1 - corner)
    return math.hypot(x - cx, y - cy) <= corner


def _in_tick(x: float, y: float, scale: float) -> bool:
    # The tick in unit coordinates around the centre, scaled to the safe area.
    def p(u: float, v: float) -> tuple[float, float]:
        return 0.5 + (u - 0.5) * scale, 0.5 + (v - 0.5) * scale

    a, b, c = p(0.24, 0.53), p(0.42, 0.71), p(0.77, 0.32)
    width = 0.075 * scale
    return (_segment_distance(x, y, *a, *b) <= width) or (_segment_distance(x, y, *b, *c) <= width)


def render(size: int, *, maskable: bool) -> list[bytes]:
    rows = []
    total = SAMPLES * SAMPLES
    for j in range(size):
        row = bytearray()
        for i in range(size):
            bg = tick = 0
            for sj in range(SAMPLES):
                for si in range(SAMPLES):
                    x = (i + (si + 0.5) / SAMPLES) / size
                    y = (j + (sj + 0.5) / SAMPLES) / size
                    inside = True if maskable else _inside_rounded_square(x, y, 0.18)
                    if not inside:
                        continue
                    if _in_tick(x, y, 0.72 if maskable else 1.0):
                        tick += 1
                    else:
                        bg += 1
            alpha = (bg + tick) / total
            if alpha == 0:
                row += bytes((0, 0, 0, 0))
                continue
            mix = tick / (bg + tick)
            colour = [round(BLUE[k] * (1 - mix) + WHITE[k] * mix) for k in range(3)]
            row += bytes((*colour, round(alpha * 255)))
        rows.append(bytes(row))
    return rows


def svg() -> str:
    """The same icon as a few hundred bytes of SVG, for the app's own header and tab:
    the tick as a stroke with round ends and joins is the set of points within
    `width` of the two segments that `_in_tick` draws."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" rx="18" fill="#{"".join(f"{c:02x}" for c in BLUE)}"/>'
        '<path d="M24 53 42 71 77 32" fill="none" stroke="#fff" stroke-width="15"'
        ' stroke-linecap="round" stroke-linejoin="round"/></svg>\n'
    )


def main() -> None:
    (HERE / "icon.svg").write_text(svg())
    write_png(HERE / "icon-192.png", 192, render(192, maskable=False))
    write_png(HERE / "icon-512.png", 512, render(512, maskable=False))
    write_png(HERE / "icon-maskable-512.png", 512, render(512, maskable=True))


if __name__ == "__main__":
    main()
