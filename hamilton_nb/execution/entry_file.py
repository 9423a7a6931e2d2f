"""One persistent cache entry on disk: ``payload + footer``, written atomically, read back checked.

The footer holds the payload's kind and length, the compute time, a CRC-32 of the payload and
a magic trailer: a truncated or corrupted file is recognised, never decoded. A write goes to a
temporary file beside the entry, then ``os.replace``: a process killed mid-write leaves at most
a ``.tmp`` file, never a half entry.
"""
from __future__ import annotations

import os
import struct
import threading
import zlib
from typing import Any

from .codec import encode

_MAGIC = b"HNBCACH1"
# kind (1 byte), payload length, compute seconds, CRC-32 of the payload, magic trailer
_FOOTER = struct.Struct("<cQdI8s")


class BadEntry(ValueError):
    """An entry file that must not be decoded; the message says what is wrong with it."""


def _write_all(fd: int, data: Any) -> None:
    view = memoryview(data).cast("B")
    while view:
        view = view[os.write(fd, view):]


def write_entry(value: Any, path: str, seconds: float, max_bytes: int | None) -> int:
    """Write one entry file (payload + footer) through a temporary file and ``os.replace``;
    returns its size, or 0 when it is larger than ``max_bytes``. Runs where the value is: a
    Dask worker writes the values kept on its cluster. Raises ``Unstorable`` or ``OSError``."""
    kind, payload = encode(value)
    size = len(payload) + _FOOTER.size
    if max_bytes is not None and size > max_bytes:
        return 0
    head, tail = os.path.split(path)
    temp = os.path.join(head, f".{tail}.{os.getpid()}.{threading.get_ident()}.tmp")
    footer = _FOOTER.pack(kind, len(payload), float(seconds), zlib.crc32(payload), _MAGIC)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_all(fd, payload)
            _write_all(fd, footer)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return size


def read_entry(data: bytes) -> tuple[bytes, memoryview, float]:
    """(kind, payload, compute seconds) of an entry file's bytes; :class:`BadEntry` if damaged."""
    size = len(data)
    if size < _FOOTER.size or data[-8:] != _MAGIC:
        raise BadEntry("is truncated (no valid footer)")
    kind, length, seconds, crc, _ = _FOOTER.unpack_from(data, size - _FOOTER.size)
    if length != size - _FOOTER.size:
        raise BadEntry(f"has the wrong length ({size - _FOOTER.size} bytes, expected {length})")
    payload = memoryview(data)[:length]
    if zlib.crc32(payload) != crc:
        raise BadEntry("fails its checksum (corrupted)")
    return kind, payload, seconds


def is_abandoned_temp(filename: str) -> bool:
    """A temporary file whose writer process is gone (killed mid-write): safe to remove."""
    parts = filename.split(".")
    if not (filename.startswith(".") and filename.endswith(".tmp") and len(parts) > 3 and parts[-3].isdigit()):
        return False
    pid = int(parts[-3])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, owned by someone else
        return False
    return False
