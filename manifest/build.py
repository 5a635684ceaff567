"""Build the Teams app package (``manifest/build/appPackage.zip``).

``python -m manifest.build`` fills the template with the bot's app id (``MICROSOFT_APP_ID``;
a fixed local GUID when unset, for sideloading against a dev tunnel) and draws the two icons
Teams requires, so no binary files live in the repository.
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
TEMPLATE = HERE / "manifest.template.json"
LOCAL_APP_ID = "6f0c7d1e-8a53-4b8e-9a3c-5b2c6f000001"
ACCENT = (0x5B, 0x2C, 0x6F, 0xFF)
WHITE = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR = (0, 0, 0, 0)

Pixel = tuple[int, int, int, int]


def png(size: int, paint: Callable[[float, float], Pixel]) -> bytes:
    """A minimal RGBA PNG; ``paint`` gets coordinates in 0..1."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = bytearray()
    for y in range(size):
        rows.append(0)
        for x in range(size):
            rows.extend(paint((x + 0.5) / size, (y + 0.5) / size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _clock_face(x: float, y: float) -> bool:
    """A ring with two hands: the statutory clock."""
    dx, dy = x - 0.5, y - 0.5
    r = (dx * dx + dy * dy) ** 0.5
    ring = 0.30 <= r <= 0.38
    hour_hand = abs(dx) < 0.035 and -0.22 <= dy <= 0
    minute_hand = abs(dy) < 0.035 and 0 <= dx <= 0.18
    return ring or hour_hand or minute_hand


def color_icon() -> bytes:
    return png(192, lambda x, y: WHITE if _clock_face(x, y) else ACCENT)


def outline_icon() -> bytes:
    return png(32, lambda x, y: WHITE if _clock_face(x, y) else CLEAR)


def render_manifest(*, app_id: str, partnership_name: str) -> dict[str, object]:
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("{{APP_ID}}", app_id).replace("{{BOT_ID}}", app_id)
    text = text.replace("{{PARTNERSHIP_NAME}}", json.dumps(partnership_name)[1:-1])
    manifest: dict[str, object] = json.loads(text)
    return manifest


def build(out_dir: Path, *, app_id: str, partnership_name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    package = out_dir / "appPackage.zip"
    manifest = render_manifest(app_id=app_id, partnership_name=partnership_name)
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        zf.writestr("color.png", color_icon())
        zf.writestr("outline.png", outline_icon())
    return package


def main() -> None:
    from bot_app.settings import Settings

    settings = Settings()
    package = build(
        HERE / "build",
        app_id=settings.microsoft_app_id or LOCAL_APP_ID,
        partnership_name=settings.partnership_name[:32],
    )
    sys.stdout.write(f"Teams app package written to {package}\n")


if __name__ == "__main__":
    main()
