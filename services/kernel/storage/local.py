"""The embedded default: objects as files under <root>/<bucket>/<key>, written atomically."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from services.kernel.storage.base import (
    READ_CHUNK_BYTES,
    ObjectMissing,
    ObjectStorage,
    StorageUnavailable,
    StoredObject,
    UploadMeter,
    check_bucket,
    check_key,
)

T = TypeVar("T")

#: Chunks are gathered up to this size before one write (fewer thread hops).
WRITE_BUFFER_BYTES = 1024 * 1024
INCOMING_DIR = ".incoming"


async def _io(call: Callable[[], T], what: str) -> T:
    """Run a blocking file operation in a worker thread; OS errors mean UNAVAILABLE."""
    try:
        return await asyncio.to_thread(call)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StorageUnavailable(f"local object storage cannot {what}: {exc.strerror}") from exc


class LocalStorage(ObjectStorage):
    backend = "local"

    def __init__(self, root: Path, bucket: str, *, fsync: bool = True) -> None:
        super().__init__(bucket)
        self.root = root
        self.fsync = fsync

    def _path(self, key: str, bucket: str | None) -> Path:
        return self.root / check_bucket(bucket or self.bucket) / check_key(key)

    async def start(self) -> None:
        target = self.root / self.bucket / INCOMING_DIR
        await _io(lambda: target.mkdir(parents=True, exist_ok=True), "create its directory")

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        max_size: int,
        expected_sha256: str | None = None,
        content_type: str | None = None,
    ) -> StoredObject:
        path = self._path(key, None)
        incoming = self.root / self.bucket / INCOMING_DIR
        meter = UploadMeter(max_size, expected_sha256)

        def open_temp() -> tuple[BinaryIO, str]:
            incoming.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=incoming, prefix="put-")
            return os.fdopen(fd, "wb"), name

        handle, temp_name = await _io(open_temp, "write")
        pending: list[bytes] = []
        pending_size = 0

        def write(data: bytes) -> None:
            meter.hash(data)
            handle.write(data)

        try:
            async for chunk in chunks:
                meter.count(chunk)
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= WRITE_BUFFER_BYTES:
                    data = b"".join(pending)
                    pending.clear()
                    pending_size = 0
                    await _io(lambda d=data: write(d), "write")  # type: ignore[misc]
            if pending:
                data = b"".join(pending)
                pending.clear()
                await _io(lambda: write(data), "write")
            sha256 = meter.finish()

            def publish() -> None:
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
                handle.close()
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp_name, path)

            await _io(publish, "write")
        except BaseException:
            handle.close()
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise
        return StoredObject(self.bucket, key, meter.size, sha256)

    async def get(
        self, key: str, *, bucket: str | None = None, chunk_size: int = READ_CHUNK_BYTES
    ) -> AsyncIterator[bytes]:
        handle = await self._open(key, bucket)
        try:
            while chunk := await _io(lambda: handle.read(chunk_size), "read"):
                yield chunk
        finally:
            handle.close()

    async def _open(self, key: str, bucket: str | None) -> BinaryIO:
        path = self._path(key, bucket)
        try:
            return await _io(lambda: path.open("rb"), "read")
        except FileNotFoundError:
            raise ObjectMissing(bucket or self.bucket, key) from None

    async def delete(self, key: str, *, bucket: str | None = None) -> None:
        path = self._path(key, bucket)
        try:
            await _io(lambda: path.unlink(missing_ok=True), "delete")
        except FileNotFoundError:
            return

    async def exists(self, key: str, *, bucket: str | None = None) -> bool:
        path = self._path(key, bucket)
        return await _io(path.is_file, "read")

    def open_reader(self, key: str, *, bucket: str | None = None) -> BinaryIO:
        try:
            return self._path(key, bucket).open("rb")
        except FileNotFoundError:
            raise ObjectMissing(bucket or self.bucket, key) from None
        except OSError as exc:
            raise StorageUnavailable(f"local object storage cannot read: {exc.strerror}") from exc
