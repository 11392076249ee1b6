"""A zip archive written as a stream of byte chunks, so an export never sits whole in memory.

``zipfile`` writes to a stream it cannot seek by putting each entry's sizes and CRC in a data
descriptor after the entry; every zip reader (ours, Python's, unzip, 7-Zip) reads that layout.
"""

from __future__ import annotations

import io


class ChunkSink:
    """A write-only, unseekable file: ``zipfile`` writes into it and ``take`` hands the bytes on."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        msg = "a streamed zip cannot seek"
        raise io.UnsupportedOperation(msg)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        """The bytes written since the last ``take``."""
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data
