"""Free text sealed at rest: reasons, rationales, positions, and queued messages.

Anything a person typed about a case may name a child, so it is stored as a Fernet token
under the same rotatable keys as the case details (``storage/details.py``). What the process
must query stays structured and in the clear beside it (kinds, stages, dates, choices).

Text stored by versions before sealing is still read as it is, and ``python -m bot_app.keys
rotate`` seals it. A unit of work built without a cipher (storage tests, tools that only
count rows) stores text as given and reads sealed text back unopened; the application's
units of work always have one.
"""

from __future__ import annotations

import re
from typing import Final

from storage.details import Cipher

# A Fernet token: version byte 0x80 (so "gAAAAA"), timestamp, IV, ciphertext, HMAC - at least
# 73 bytes, url-safe base64 with padding. Nothing a person types looks like this by accident,
# and with a cipher everything they type is sealed anyway.
_TOKEN: Final = re.compile(r"gAAAAA[A-Za-z0-9_-]{80,}={0,2}")


def is_sealed(stored: str) -> bool:
    return _TOKEN.fullmatch(stored) is not None


def seal_text(cipher: Cipher | None, text: str | None) -> str | None:
    """``text`` as it is to be stored: a token, or (no cipher) the text itself."""
    if text is None or cipher is None or text == "":
        return text
    return cipher.encrypt(text.encode("utf-8"))


def open_text(cipher: Cipher | None, stored: str | None) -> str | None:
    """The text behind a stored value (sealed or, from older versions, in the clear)."""
    if stored is None or cipher is None or not is_sealed(stored):
        return stored
    return cipher.decrypt(stored).decode("utf-8")


def reseal_text(cipher: Cipher, stored: str | None) -> str | None:
    """The stored value under the first key: rotated if sealed, sealed if in the clear."""
    if stored is None or stored == "":
        return stored
    if is_sealed(stored):
        return cipher.rotate(stored)
    return cipher.encrypt(stored.encode("utf-8"))
