"""S3-compatible storage (AWS, MinIO, moto) through boto3; blocking calls run in threads."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, BinaryIO, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

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

#: S3 refuses multipart parts under 5 MiB (except the last one).
MIN_PART_BYTES = 5 * 1024 * 1024
DEFAULT_PART_BYTES = 8 * 1024 * 1024
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING_CODES


def _unavailable(exc: Exception) -> StorageUnavailable:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "error")
        return StorageUnavailable(f"object storage refused the call: {code}")
    return StorageUnavailable(f"object storage unreachable: {type(exc).__name__}")


class S3Storage(ObjectStorage):
    backend = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_size: int = DEFAULT_PART_BYTES,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        super().__init__(bucket)
        if part_size < MIN_PART_BYTES:
            raise ValueError(f"part_size must be at least {MIN_PART_BYTES} bytes")
        self.part_size = part_size
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"max_attempts": max_attempts, "mode": "standard"},
            ),
        )

    async def _call(self, call: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(call)
        except ClientError as exc:
            if _is_missing(exc):
                raise
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    async def start(self) -> None:
        """Create the bucket when it does not exist yet."""
        try:
            await self._call(lambda: self.client.head_bucket(Bucket=self.bucket))
        except ClientError:
            await self._call(lambda: self.client.create_bucket(Bucket=self.bucket))

    async def close(self) -> None:
        self.client.close()

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        max_size: int,
        expected_sha256: str | None = None,
        content_type: str | None = None,
    ) -> StoredObject:
        check_key(key)
        meter = UploadMeter(max_size, expected_sha256)
        extra = {"ContentType": content_type} if content_type else {}
        pending: list[bytes] = []
        pending_size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []

        async def send_part(data: bytes) -> None:
            nonlocal upload_id
            if upload_id is None:
                created = await self._call(
                    lambda: self.client.create_multipart_upload(
                        Bucket=self.bucket, Key=key, **extra
                    )
                )
                upload_id = cast(str, created["UploadId"])
            number = len(parts) + 1

            def upload() -> Any:
                meter.hash(data)
                return self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
                )

            reply = await self._call(upload)
            parts.append({"ETag": reply["ETag"], "PartNumber": number})

        try:
            async for chunk in chunks:
                meter.count(chunk)
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= self.part_size:
                    data = b"".join(pending)
                    pending.clear()
                    pending_size = 0
                    await send_part(data)
            rest = b"".join(pending)
            pending.clear()
            if upload_id is None:
                meter.hash(rest)
                sha256 = meter.finish()
                await self._call(
                    lambda: self.client.put_object(Bucket=self.bucket, Key=key, Body=rest, **extra)
                )
            else:
                if rest:
                    await send_part(rest)
                sha256 = meter.finish()
                await self._call(
                    lambda: self.client.complete_multipart_upload(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
                )
                upload_id = None
        except BaseException:
            if upload_id is not None:
                await self._abort(key, upload_id)
            raise
        return StoredObject(self.bucket, key, meter.size, sha256)

    async def _abort(self, key: str, upload_id: str) -> None:
        # On failure the abandoned upload is left to the bucket's lifecycle rules.
        with contextlib.suppress(ClientError, BotoCoreError):
            await asyncio.to_thread(
                lambda: self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id
                )
            )

    async def _get_body(self, key: str, bucket: str | None) -> Any:
        target = check_bucket(bucket or self.bucket)
        try:
            reply = await self._call(
                lambda: self.client.get_object(Bucket=target, Key=check_key(key))
            )
        except ClientError:
            raise ObjectMissing(target, key) from None
        return reply["Body"]

    async def get(
        self, key: str, *, bucket: str | None = None, chunk_size: int = READ_CHUNK_BYTES
    ) -> AsyncIterator[bytes]:
        body = await self._get_body(key, bucket)
        try:
            while chunk := await self._call(lambda: body.read(chunk_size)):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str, *, bucket: str | None = None) -> None:
        target = check_bucket(bucket or self.bucket)
        try:
            await self._call(lambda: self.client.delete_object(Bucket=target, Key=check_key(key)))
        except ClientError:
            return

    async def exists(self, key: str, *, bucket: str | None = None) -> bool:
        target = check_bucket(bucket or self.bucket)
        try:
            await self._call(lambda: self.client.head_object(Bucket=target, Key=check_key(key)))
        except ClientError:
            return False
        return True

    def open_reader(self, key: str, *, bucket: str | None = None) -> BinaryIO:
        target = check_bucket(bucket or self.bucket)
        try:
            reply = self.client.get_object(Bucket=target, Key=check_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise ObjectMissing(target, key) from None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return cast(BinaryIO, reply["Body"])
