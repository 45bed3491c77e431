"""Object storage: one async interface, a local-directory backend (the embedded default)
and an S3-compatible backend (boto3)."""

from __future__ import annotations

from services.kernel.settings import Settings
from services.kernel.storage.base import (
    READ_CHUNK_BYTES,
    ChecksumMismatch,
    ObjectMissing,
    ObjectStorage,
    ObjectTooLarge,
    StorageUnavailable,
    StoredObject,
    UploadMeter,
    normalize_sha256,
)
from services.kernel.storage.local import LocalStorage
from services.kernel.storage.s3 import S3Storage

__all__ = [
    "READ_CHUNK_BYTES",
    "ChecksumMismatch",
    "LocalStorage",
    "ObjectMissing",
    "ObjectStorage",
    "ObjectTooLarge",
    "S3Storage",
    "StorageUnavailable",
    "StoredObject",
    "UploadMeter",
    "create_storage",
    "normalize_sha256",
]


def create_storage(settings: Settings) -> ObjectStorage:
    """The backend STORAGE_BACKEND names, configured from the settings."""
    if settings.storage_backend == "s3":
        return S3Storage(
            settings.storage_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
        )
    return LocalStorage(settings.data_dir / "objects", settings.storage_bucket)
