"""The two icons Teams requires, drawn in code, and a PNG reader to check any icon.

Teams wants a full-colour icon of 192×192 pixels and an outline icon of 32×32 that is white on
a transparent background. Drawing them here keeps binary files out of the repository; reading
PNGs back (without Pillow) lets ``make package`` check icons a designer swaps in.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

Pixel = tuple[int, int, int, int]  # RGBA, 0..255

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WHITE: Pixel = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR: Pixel = (0, 0, 0, 0)
COLOR_SIZE = 192
OUTLINE_SIZE = 32


def accent_pixel(hex_colour: str) -> Pixel:
    """``#5B2C6F`` → (0x5B, 0x2C, 0x6F, 0xFF)."""
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 0xFF)


def encode_png(size: int, pixels: list[Pixel]) -> bytes:
    """A square 8-bit RGBA PNG, rows unfiltered."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter type: none
        for pixel in pixels[y * size : (y + 1) * size]:
            rows.extend(pixel)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _clock_face(x: float, y: float) -> bool:
    """A ring with two hands, the statutory clock; coordinates in 0..1."""
    dx, dy = x - 0.5, y - 0.5
    r = (dx * dx + dy * dy) ** 0.5
    ring = 0.29 <= r <= 0.38
    hour_hand = abs(dx) < 0.04 and -0.21 <= dy <= 0.02
    minute_hand = abs(dy) < 0.04 and -0.02 <= dx <= 0.17
    return ring or hour_hand or minute_hand


def _coverage(size: int, shape: Callable[[float, float], bool], samples: int = 3) -> list[float]:
    """How much of each pixel the shape covers (supersampled, for smooth edges)."""
    step = 1 / (size * samples)
    out: list[float] = []
    for py in range(size):
        for px in range(size):
            hits = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px * samples + sx + 0.5) * step
                    y = (py * samples + sy + 0.5) * step
                    hits += shape(x, y)
            out.append(hits / (samples * samples))
    return out


def color_icon(accent: str) -> bytes:
    """192×192: the white clock on the accent colour, edge to edge."""
    background = accent_pixel(accent)
    pixels: list[Pixel] = []
    for c in _coverage(COLOR_SIZE, _clock_face):
        r, g, b = (round(bg + (255 - bg) * c) for bg in background[:3])
        pixels.append((r, g, b, 0xFF))
    return encode_png(COLOR_SIZE, pixels)


def outline_icon() -> bytes:
    """32×32: the same clock, white on transparent (edges anti-aliased through alpha only)."""
    pixels = [
        (0xFF, 0xFF, 0xFF, round(255 * c)) if c else CLEAR for c in _coverage(32, _clock_face)
    ]
    return encode_png(OUTLINE_SIZE, pixels)


# -- reading ------------------------------------------------------------------------------


class PngError(ValueError):
    """Not a PNG this checker can read."""


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    pixels: list[Pixel]  # row by row, RGBA


_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (8-bit, no palette)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise PngError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def decode_png(data: bytes) -> Image:
    """Decode a non-interlaced 8-bit greyscale/RGB/RGBA PNG (what icon editors write).

    Palette, 16-bit and interlaced images raise ``PngError``: re-export such an icon as
    8-bit RGBA.
    """
    width, height = png_size(data)
    bit_depth, colour_type, _compression, _filter, interlace = data[24:29]
    if bit_depth != 8 or colour_type not in _CHANNELS or interlace:
        raise PngError(
            f"unsupported PNG (bit depth {bit_depth}, colour type {colour_type}, "
            f"interlace {interlace}): save it as 8-bit RGBA"
        )
    channels = _CHANNELS[colour_type]
    idat = bytearray()
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[Pixel] = []
    for y in range(height):
        start = y * (stride + 1)
        row_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if row_filter == 1:
                line[i] = (line[i] + left) & 0xFF
            elif row_filter == 2:
                line[i] = (line[i] + up) & 0xFF
            elif row_filter == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif row_filter == 4:
                line[i] = (line[i] + _paeth(left, up, up_left)) & 0xFF
            elif row_filter != 0:
                raise PngError(f"unknown PNG row filter {row_filter}")
        for x in range(width):
            s = line[x * channels : (x + 1) * channels]
            if channels == 1:
                pixels.append((s[0], s[0], s[0], 0xFF))
            elif channels == 2:
                pixels.append((s[0], s[0], s[0], s[1]))
            elif channels == 3:
                pixels.append((s[0], s[1], s[2], 0xFF))
            else:
                pixels.append((s[0], s[1], s[2], s[3]))
        previous = line
    return Image(width=width, height=height, pixels=pixels)
