"""Tiny, valid image files made in code (no imaging library needed), for upload tests."""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile


def png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (228, 57, 60)) -> bytes:
    """A PNG of one colour: signature, IHDR, one IDAT (a filter byte per row), IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


def jpeg() -> bytes:
    """A baseline JPEG, 8×8 mid-grey: one block whose DC difference and AC run are both
    empty, coded with one-symbol Huffman tables (the entropy data is two 0 bits)."""
    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    one_symbol = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1, for symbol 0
    return (b"\xff\xd8"
            + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xDB, b"\x00" + bytes([1] * 64))
            + segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
            + segment(0xC4, b"\x00" + one_symbol)
            + segment(0xC4, b"\x10" + one_symbol)
            + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
            + b"\x3f"  # 0 (DC: no difference), 0 (AC: end of block), padded with 1 bits
            + b"\xff\xd9")


# GIF89a, 1×1, a two-colour palette (red, black), pixel 0.
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00"
       b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;")


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
