"""Object storage: the same contract on the local-directory and the S3 (moto over HTTP)
backends - streaming put/get, size limit, declared checksum, atomic visibility, errors."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from services.kernel.errors import InvalidArgument
from services.kernel.settings import Settings
from services.kernel.storage import (
    ChecksumMismatch,
    LocalStorage,
    ObjectMissing,
    ObjectStorage,
    ObjectTooLarge,
    S3Storage,
    StorageUnavailable,
    create_storage,
    normalize_sha256,
)
from tests.kernel.s3_server import moto_storage

MiB = 1024 * 1024


async def stream(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def blob(size: int) -> bytes:
    return os.urandom(size)


def pieces(data: bytes, size: int = 256 * 1024) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStorage]:
    if request.param == "local":
        backend: ObjectStorage = LocalStorage(tmp_path / "objects", "bucket-a")
    else:
        backend = moto_storage(f"bucket-{uuid.uuid4().hex[:12]}", part_size=5 * MiB)
    await backend.start()
    yield backend
    await backend.close()


async def read_all(storage: ObjectStorage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.get(key)])


async def test_put_get_exists_delete(storage: ObjectStorage) -> None:
    data = blob(300_000)
    stored = await storage.put("samples/r1/a", stream(pieces(data, 70_000)), max_size=MiB)
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.bucket == storage.bucket and stored.key == "samples/r1/a"
    assert await storage.exists("samples/r1/a")
    assert await read_all(storage, "samples/r1/a") == data
    chunks = [c async for c in storage.get("samples/r1/a", chunk_size=100_000)]
    assert [len(c) for c in chunks] == [100_000, 100_000, 100_000]
    await storage.delete("samples/r1/a")
    assert not await storage.exists("samples/r1/a")
    await storage.delete("samples/r1/a")  # deleting again is fine


async def test_large_object_streams_in_parts(storage: ObjectStorage) -> None:
    """12 MiB: the S3 backend uses a multipart upload (5 MiB parts), local writes in pieces."""
    data = blob(12 * MiB + 123)
    stored = await storage.put("big/one", stream(pieces(data, MiB)), max_size=13 * MiB)
    assert stored.size == len(data)
    assert await read_all(storage, "big/one") == data


async def test_declared_checksum(storage: ObjectStorage) -> None:
    data = blob(10_000)
    good = hashlib.sha256(data).hexdigest()
    stored = await storage.put("c/good", stream([data]), max_size=MiB, expected_sha256=good)
    assert stored.sha256 == good
    with pytest.raises(ChecksumMismatch) as err:
        await storage.put("c/bad", stream([data]), max_size=MiB, expected_sha256="0" * 64)
    assert err.value.field == "sha256"
    assert not await storage.exists("c/bad")


async def test_checksum_mismatch_after_multipart_leaves_nothing(storage: ObjectStorage) -> None:
    data = blob(11 * MiB)
    with pytest.raises(ChecksumMismatch):
        await storage.put(
            "c/multi", stream(pieces(data, MiB)), max_size=12 * MiB, expected_sha256="a" * 64
        )
    assert not await storage.exists("c/multi")
    if isinstance(storage, S3Storage):
        uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket)
        assert not uploads.get("Uploads")


async def test_size_limit_stops_and_keeps_nothing(storage: ObjectStorage) -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for i in range(1000):
            sent.append(i)
            yield b"x" * MiB

    with pytest.raises(ObjectTooLarge) as err:
        await storage.put("too/big", endless(), max_size=6 * MiB + 5)
    assert err.value.field == "chunk" and "limit" in err.value.reason
    assert len(sent) == 7  # stopped at the first chunk over the limit
    assert not await storage.exists("too/big")


async def test_exact_limit_is_accepted(storage: ObjectStorage) -> None:
    stored = await storage.put("edge/exact", stream([b"a" * 100]), max_size=100)
    assert stored.size == 100


async def test_failing_source_leaves_nothing(storage: ObjectStorage) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * MiB
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await storage.put("half/written", broken(), max_size=10 * MiB)
    assert not await storage.exists("half/written")


async def test_missing_object(storage: ObjectStorage) -> None:
    with pytest.raises(ObjectMissing):
        await read_all(storage, "no/such/key")
    with pytest.raises(ObjectMissing):
        storage.open_reader("no/such/key")


async def test_open_reader_is_a_blocking_file(storage: ObjectStorage) -> None:
    data = blob(50_000)
    await storage.put("r/file", stream([data]), max_size=MiB)
    reader = storage.open_reader("r/file")
    try:
        assert reader.read(10) == data[:10]
        assert reader.read() == data[10:]
    finally:
        reader.close()


@pytest.mark.parametrize(
    "key", ["../escape", "/abs/path", "a/../b", "a//b", "", "with space", "a/./b", "x/"]
)
async def test_keys_are_checked(storage: ObjectStorage, key: str) -> None:
    with pytest.raises(ValueError):
        await storage.put(key, stream([b"x"]), max_size=10)


async def test_local_publishes_atomically(tmp_path: Path) -> None:
    """While an upload runs, the final path does not exist; only the temp file does."""
    storage = LocalStorage(tmp_path, "bucket-b")
    await storage.start()
    final = tmp_path / "bucket-b" / "k" / "v"
    seen: list[bool] = []

    async def watched() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"y" * (2 * MiB)
            seen.append(final.exists())

    await storage.put("k/v", watched(), max_size=10 * MiB)
    assert seen == [False, False, False]
    assert final.stat().st_size == 6 * MiB
    assert list((tmp_path / "bucket-b" / ".incoming").iterdir()) == []


async def test_local_unwritable_root_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the root should be")
    storage = LocalStorage(blocker, "bucket-c")
    with pytest.raises(StorageUnavailable):
        await storage.put("a/b", stream([b"x"]), max_size=10)
    with pytest.raises(StorageUnavailable):
        await storage.start()


async def test_s3_unreachable_is_unavailable() -> None:
    storage = moto_storage("bucket-d", "http://127.0.0.1:9", max_attempts=1, connect_timeout=1)
    with pytest.raises(StorageUnavailable):
        await storage.put("a/b", stream([b"x"]), max_size=10)
    with pytest.raises(StorageUnavailable):
        await storage.exists("a/b")
    with pytest.raises(StorageUnavailable):
        await read_all(storage, "a/b")
    with pytest.raises(StorageUnavailable):
        storage.open_reader("a/b")


async def test_s3_start_creates_the_bucket() -> None:
    name = f"fresh-{uuid.uuid4().hex[:10]}"
    storage = moto_storage(name)
    await storage.start()
    await storage.start()  # idempotent
    names = [b["Name"] for b in storage.client.list_buckets()["Buckets"]]
    assert name in names


def test_s3_refuses_small_parts() -> None:
    with pytest.raises(ValueError):
        moto_storage("bucket-e", part_size=MiB)


def test_create_storage_from_settings(tmp_path: Path) -> None:
    local = create_storage(Settings(data_dir=tmp_path, storage_bucket="my-bucket"))
    assert isinstance(local, LocalStorage)
    assert local.root == tmp_path / "objects" and local.bucket == "my-bucket"
    s3 = create_storage(
        Settings(
            storage_backend="s3",
            storage_bucket="prod-bucket",
            s3_endpoint_url="http://minio:9000",
            s3_region="eu-west-1",
            aws_access_key_id="AK",
            aws_secret_access_key="SK",
        )
    )
    assert isinstance(s3, S3Storage)
    assert s3.bucket == "prod-bucket"
    assert s3.client.meta.endpoint_url == "http://minio:9000"
    assert s3.client.meta.region_name == "eu-west-1"


def test_normalize_sha256() -> None:
    assert normalize_sha256("sha256", "") is None
    assert normalize_sha256("sha256", "AB" * 32) == "ab" * 32
    for bad in ("abc", "g" * 64, "a" * 65):
        with pytest.raises(InvalidArgument) as err:
            normalize_sha256("sha256", bad)
        assert err.value.field == "sha256"
