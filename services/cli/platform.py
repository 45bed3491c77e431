"""Starting services: one context in production, or the whole platform embedded."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from collections.abc import Iterator
from typing import Any

from services.kernel.db import Database
from services.kernel.embedded_postgres import EmbeddedPostgres
from services.kernel.migrations import upgrade_all_async
from services.kernel.runtime import Runtime, available_services
from services.kernel.server import GrpcService, shutdown_signals
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial, ensure_key_files
from services.kernel.tracing import configure_tracing

log = logging.getLogger("tagen")


@contextlib.contextmanager
def database_for_cli(settings: Settings) -> Iterator[str]:
    """DATABASE_URL, or the embedded PostgreSQL under DATA_DIR while the block runs."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir / "postgres")
    try:
        yield embedded.start()
    finally:
        embedded.stop()


def embedded_keys(settings: Settings) -> KeyMaterial:
    """Keys under DATA_DIR/keys (created on first run) unless files are configured."""
    if settings.jwt_public_key_file and settings.service_token_secret:
        return Runtime.from_settings(settings).keys
    private, public, secret = ensure_key_files(settings.data_dir / "keys")
    return KeyMaterial(private.read_bytes(), public.read_bytes(), secret)


def _gateway_module() -> Any | None:
    if importlib.util.find_spec("services.gateway.app") is None:
        return None
    import services.gateway.app as gateway

    return gateway


async def serve_context(settings: Settings, context: str) -> None:
    """Production: one context (or the gateway), configured from the environment."""
    runtime = Runtime.from_settings(settings)
    configure_tracing(f"tagen-{context}")
    if context == "gateway":
        gateway = _gateway_module()
        if gateway is None:
            raise RuntimeError("the gateway is not part of this build")
        running = await gateway.start_gateway(runtime, "0.0.0.0", settings.gateway_port)
        async with shutdown_signals() as stop:
            await stop.wait()
            await running.stop()
        return
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set")
    settings.grpc_host = "0.0.0.0"
    service = runtime.create_service(context)
    await service.start()
    async with shutdown_signals() as stop:
        await stop.wait()
        await service.stop(settings.grpc_grace_seconds)


async def run_platform(settings: Settings) -> None:
    """The embedded default: PostgreSQL, migrations, every service and the gateway. SIGINT or
    SIGTERM (at any point, even during start-up) stops everything cleanly, the database last."""
    with database_for_cli(settings) as url:
        await upgrade_all_async(url)
        runtime = Runtime.from_keys(settings, embedded_keys(settings))
        configure_tracing("tagen")
        started: list[GrpcService] = []
        gateway_running = None
        async with shutdown_signals() as stop:
            try:
                for context in available_services():
                    service = runtime.create_service(context, database_url=url)
                    await service.start()
                    started.append(service)
                    print(f"{context} gRPC on {service.address}", flush=True)
                gateway = _gateway_module()
                if gateway is not None:
                    gateway_running = await gateway.start_gateway(
                        runtime, "127.0.0.1", settings.gateway_port
                    )
                    port = gateway_running.port
                    print(f"gateway listening on http://127.0.0.1:{port}", flush=True)
                print("platform ready; Ctrl-C stops it", flush=True)
                await stop.wait()
                print("stopping", flush=True)
            finally:
                if gateway_running is not None:
                    await gateway_running.stop()
                for service in reversed(started):
                    await service.stop(settings.grpc_grace_seconds)


async def create_admin_command(settings: Settings, username: str, password: str, email: str) -> str:
    from services.identity.use_cases.auth import create_admin
    from services.identity.use_cases.deps import IdentityDeps

    with database_for_cli(settings) as url:
        await upgrade_all_async(url, ["identity"])
        keys = embedded_keys(settings) if not settings.database_url else None
        private = (keys.private_pem if keys else None) or b""
        db = Database.from_settings(settings, url=url)
        try:
            deps = IdentityDeps.build(db, settings, private or _throwaway_key())
            async with db.unit_of_work() as session:
                user = await create_admin(
                    deps, session, username, password, email or f"{username}@tagen.local"
                )
            return user.username
        finally:
            await db.dispose()


def _throwaway_key() -> bytes:
    from services.kernel.tokens import generate_key_material

    material = generate_key_material()
    assert material.private_pem is not None
    return material.private_pem
