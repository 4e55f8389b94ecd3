"""Turning what users log as an image into PNG (or JPEG, GIF, WebP) bytes, at the call site."""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

import numpy as np

_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
MAX_IMAGE_BYTES = 32 * 1024 * 1024


def _png(pixels: np.ndarray) -> bytes:
    """A PNG of an HxW (grey), HxWx3 (RGB) or HxWx4 (RGBA) uint8 array."""
    height, width = pixels.shape[:2]
    colour = 0 if pixels.ndim == 2 else {3: 2, 4: 6}[pixels.shape[2]]
    rows = np.ascontiguousarray(pixels).reshape(height, -1)
    raw = b"".join(b"\x00" + rows[i].tobytes() for i in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _from_array(name: str, array: np.ndarray) -> bytes:
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"image '{name}': an array must be HxW, HxWx3 or HxWx4, not {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"image '{name}': the array is empty")
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype.kind in "fiub":
        values = array.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"image '{name}': the array holds NaN or infinite values")
        # Floats are taken as 0..1, other integers as 0..255, as matplotlib's imshow does.
        scale = 255.0 if array.dtype.kind == "f" else 1.0
        pixels = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
    else:
        raise TypeError(f"image '{name}': cannot make an image of a {array.dtype} array")
    return _png(pixels)


def to_image_bytes(name: str, image: Any) -> tuple[bytes, str]:
    """(bytes, content type) of a matplotlib Figure, a PIL image, an array or a file path."""
    if isinstance(image, str | os.PathLike):
        path = os.fspath(image)
        if not os.path.isfile(path):
            raise ValueError(f"image '{name}': no file {path!r}")
        with open(path, "rb") as f:
            data = f.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise ValueError(f"image '{name}': {path!r} is larger than 32 MiB")
        for magic, content_type in _MAGIC.items():
            if data.startswith(magic):
                return data, content_type
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return data, "image/webp"
        raise ValueError(f"image '{name}': {path!r} is not a PNG, JPEG, GIF or WebP file")
    if hasattr(image, "savefig"):  # a matplotlib Figure
        buffer = io.BytesIO()
        image.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue(), "image/png"
    if hasattr(image, "save") and hasattr(image, "mode") and hasattr(image, "size"):  # PIL
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue(), "image/png"
    if isinstance(image, np.ndarray):
        return _from_array(name, image), "image/png"
    raise TypeError(
        f"image '{name}': expected a matplotlib Figure, a PIL image, a numpy array or a file"
        f" path, not {type(image).__name__}"
    )
