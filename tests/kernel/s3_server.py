"""One moto S3 server per test process, over real HTTP on an ephemeral port."""

from __future__ import annotations

import atexit

from moto.server import ThreadedMotoServer

from services.kernel.storage import S3Storage

_endpoint: str | None = None


def shared_moto_endpoint() -> str:
    """The endpoint URL of the process's moto server (started on first use, ~1 s)."""
    global _endpoint
    if _endpoint is None:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        atexit.register(server.stop)
        host, port = server.get_host_and_port()
        _endpoint = f"http://{host}:{port}"
    return _endpoint


def moto_storage(bucket: str, endpoint: str | None = None, **options: object) -> S3Storage:
    """An S3Storage on the moto server (or on `endpoint`)."""
    return S3Storage(
        bucket,
        endpoint_url=endpoint or shared_moto_endpoint(),
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        **options,  # type: ignore[arg-type]
    )
