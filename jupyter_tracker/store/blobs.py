"""Content-addressed blob storage: bytes are stored once, named by their sha256."""

from __future__ import annotations

import abc
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import Invalid, NotFound

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
READ_SIZE = 1 << 20


def check_sha256(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise Invalid("sha256 must be 64 lowercase hexadecimal digits", field="sha256")
    return sha256


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int


class BlobWriter(abc.ABC):
    """Receives a blob piece by piece; ``commit`` names it by its hash."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None: ...

    @abc.abstractmethod
    def commit(self) -> BlobInfo: ...

    @abc.abstractmethod
    def abort(self) -> None: ...


class BlobStore(abc.ABC):
    """Where blob bytes live. A local directory now; object storage can implement the same."""

    @abc.abstractmethod
    def writer(self) -> BlobWriter: ...

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def size(self, sha256: str) -> int: ...

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO: ...

    def put(self, data: bytes) -> BlobInfo:
        w = self.writer()
        try:
            w.write(data)
            return w.commit()
        except BaseException:
            w.abort()
            raise

    def put_file(self, source: BinaryIO) -> BlobInfo:
        w = self.writer()
        try:
            while chunk := source.read(READ_SIZE):
                w.write(chunk)
            return w.commit()
        except BaseException:
            w.abort()
            raise

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        with self.open(sha256) as f:
            while chunk := f.read(READ_SIZE):
                yield chunk


class _LocalWriter(BlobWriter):
    def __init__(self, root: Path) -> None:
        self._root = root
        fd, name = tempfile.mkstemp(dir=root / "tmp", prefix="upload-")
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self._file.write(data)
        self._size += len(data)

    def commit(self) -> BlobInfo:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        sha = self._hash.hexdigest()
        target = LocalBlobStore.path_for(self._root, sha)
        if target.exists():
            self._tmp.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, target)
        return BlobInfo(sha, self._size)

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


class LocalBlobStore(BlobStore):
    """Blobs as files ``<root>/ab/cd/<sha256>``; the path comes from the hash alone."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    @staticmethod
    def path_for(root: Path, sha256: str) -> Path:
        check_sha256(sha256)
        return root / sha256[:2] / sha256[2:4] / sha256

    def writer(self) -> BlobWriter:
        return _LocalWriter(self.root)

    def exists(self, sha256: str) -> bool:
        return self.path_for(self.root, sha256).exists()

    def size(self, sha256: str) -> int:
        try:
            return self.path_for(self.root, sha256).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"no blob {sha256}", field="sha256") from None

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path_for(self.root, sha256).open("rb")
        except FileNotFoundError:
            raise NotFound(f"no blob {sha256}", field="sha256") from None
