#!/usr/bin/env python3
"""Draws examples/logo.png, the demo seller's logo (a sound wave on a rounded square), 144 x 144
RGBA, with the standard library alone: `python3 examples/logo.py > examples/logo.png`."""
import struct
import sys
import zlib

W = H = 144
NAVY, TEAL, WHITE = (0x1B, 0x3A, 0x5C), (0x2A, 0x9D, 0x8F), (255, 255, 255)
SAMPLES = 4  # per axis, for smooth edges
pixels = [[(0.0, 0.0, 0.0, 0.0)] * W for _ in range(H)]


def inside(x, y, x0, y0, w, h, r):
    cx, cy = min(max(x, x0 + r), x0 + w - r), min(max(y, y0 + r), y0 + h - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def shape(x0, y0, w, h, r, color):
    """A rounded rectangle, blended over what is drawn."""
    for y in range(int(y0) - 1, int(y0 + h) + 2):
        for x in range(int(x0) - 1, int(x0 + w) + 2):
            if not (0 <= x < W and 0 <= y < H):
                continue
            hits = sum(
                inside(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES, x0, y0, w, h, r)
                for sy in range(SAMPLES)
                for sx in range(SAMPLES)
            )
            if hits:
                a = hits / SAMPLES**2
                r0, g0, b0, a0 = pixels[y][x]
                out = a + a0 * (1 - a)
                mix = lambda c, c0: (c * a + c0 * a0 * (1 - a)) / out
                pixels[y][x] = (mix(color[0], r0), mix(color[1], g0), mix(color[2], b0), out)


shape(4, 4, 136, 136, 28, NAVY)
bars, width, gap = [28, 52, 84, 108, 64, 40], 10, 8
left = 72 - (len(bars) * width + (len(bars) - 1) * gap) / 2
for i, height in enumerate(bars):
    shape(left + i * (width + gap), 72 - height / 2, width, height, width / 2, TEAL if i == 3 else WHITE)

raw = b"".join(
    b"\x00" + b"".join(bytes((int(r + 0.5), int(g + 0.5), int(b + 0.5), int(a * 255 + 0.5))) for r, g, b, a in row)
    for row in pixels
)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


sys.stdout.buffer.write(
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw, 9))
    + chunk(b"IEND", b"")
)
