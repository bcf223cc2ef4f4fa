"""What a reply image really is, and the names it is shown and stored under.

The type comes from the file's first bytes, never from its name or the type the browser
declared: a page renamed .png, or an SVG (whose script a browser would run), is refused.
The user's file name is kept for display only; on disk the file has a random name.
"""

from __future__ import annotations

import secrets
import unicodedata
from urllib.parse import quote

from kefu.replies.validation import normalize_text

# The accepted types and the extension each is stored with.
IMAGE_TYPES: dict[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
ACCEPT = ",".join(IMAGE_TYPES)  # for <input type=file accept=...>
HEAD_BYTES = 16  # enough for every signature below
NAME_MAX = 120


def sniff_image_type(head: bytes) -> str | None:
    """The content type the first bytes of a file announce, or None if not an accepted image."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in (b"VP8 ", b"VP8L",
                                                                          b"VP8X"):
        return "image/webp"
    return None


def clean_image_name(raw: str, content_type: str) -> str:
    """The name to show: the last path part, without control or direction-changing
    characters (which could make ``gpj.exe`` read as ``exe.jpg``), at most NAME_MAX long."""
    name = normalize_text(raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    if len(name) > NAME_MAX:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            name = stem[:NAME_MAX - len(suffix) - 1] + "." + suffix
        else:
            name = name[:NAME_MAX]
    if name.strip(".") == "":
        name = f"image.{IMAGE_TYPES[content_type]}"
    return name


def storage_name(content_type: str) -> str:
    """A random file name: nothing the user typed ever reaches a path on disk."""
    return f"{secrets.token_hex(16)}.{IMAGE_TYPES[content_type]}"


def inline_disposition(name: str) -> str:
    """A Content-Disposition header naming the file in any script (RFC 6266 / 5987)."""
    return "inline; filename*=UTF-8''" + quote(name, safe="")
