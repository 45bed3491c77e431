"""Process-wide runtime of a service: settings, keys, token verifier, service identity."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field

from services.kernel.db import Database
from services.kernel.paging import configure_page_key
from services.kernel.revocation import RevocationFeed, Revocations
from services.kernel.server import GrpcService, ServerOptions, ServiceDefinition
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial, ServiceIdentity, TokenVerifier

#: Every context that serves gRPC, in start-up order (identity first: others ask it for config).
SERVING_CONTEXTS: tuple[str, ...] = ("identity", "audit", "requests", "validation", "knowledge")


def available_services() -> list[str]:
    """Contexts whose service is part of this build."""
    return [c for c in SERVING_CONTEXTS if _has_app(c)]


def _has_app(context: str) -> bool:
    package = importlib.util.find_spec(f"services.{context}")
    return package is not None and importlib.util.find_spec(f"services.{context}.app") is not None


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    keys: KeyMaterial
    verifier: TokenVerifier
    #: Follows identity's security stamps into the verifier (None: REVOCATION_FEED_ENABLED off).
    revocation_feed: RevocationFeed | None = field(default=None)

    @classmethod
    def from_keys(cls, settings: Settings, keys: KeyMaterial) -> Runtime:
        configure_page_key(keys.service_secret)
        if not settings.revocation_feed_enabled:
            verifier = TokenVerifier(keys.public_pem, keys.service_secret, settings.jwt_issuer)
            return cls(settings, keys, verifier)
        revocations = Revocations(settings.revocation_max_staleness_seconds)
        verifier = TokenVerifier(
            keys.public_pem, keys.service_secret, settings.jwt_issuer, revocations=revocations
        )
        runtime = cls(settings, keys, verifier)
        feed = RevocationFeed(
            revocations,
            settings.address_of("identity"),
            runtime.service_identity("revocation-feed"),
            settings.revocation_poll_seconds,
        )
        return cls(settings, keys, verifier, feed)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        if settings.jwt_public_key_file is None:
            raise RuntimeError("JWT_PUBLIC_KEY_FILE is not set")
        if not settings.service_token_secret:
            raise RuntimeError("SERVICE_TOKEN_SECRET is not set")
        private = (
            settings.jwt_private_key_file.read_bytes()
            if settings.jwt_private_key_file and settings.jwt_private_key_file.exists()
            else None
        )
        keys = KeyMaterial(
            private, settings.jwt_public_key_file.read_bytes(), settings.service_token_secret
        )
        return cls.from_keys(settings, keys)

    def service_identity(self, context: str) -> ServiceIdentity:
        return ServiceIdentity(
            context, self.keys.service_secret, self.settings.service_token_ttl_seconds
        )

    def build(self, context: str, db: Database) -> ServiceDefinition:
        module = importlib.import_module(f"services.{context}.app")
        definition: ServiceDefinition = module.build(self, db)
        return definition

    def server_options(self, context: str, metrics_port: int | None = None) -> ServerOptions:
        """Metrics port (the setting unless given; 0 in the setting = off), health interval
        and connection age of `context` from the settings."""
        settings = self.settings
        if metrics_port is None:
            metrics_port = settings.metrics_port_of(context) or None
        return ServerOptions(
            metrics_port=metrics_port,
            health_interval=settings.health_check_interval_seconds,
            max_connection_age=settings.grpc_max_connection_age_seconds,
        )

    def create_service(
        self,
        context: str,
        *,
        database_url: str | None = None,
        port: int | None = None,
        metrics_port: int | None = None,
    ) -> GrpcService:
        """The context's server, not yet started (port 0 picks a free one; metrics_port 0
        opens its metrics endpoint on a free port)."""
        db = Database.from_settings(self.settings, url=database_url, name=context)
        definition = self.build(context, db)
        bind = getattr(self.settings, f"{context}_port") if port is None else port
        service = GrpcService(
            definition,
            self.verifier,
            self.settings.grpc_host,
            bind,
            database=db,
            options=self.server_options(context, metrics_port),
            revocation_feed=self.revocation_feed,
        )
        if context == "identity" and self.revocation_feed is not None:
            # Where identity really listens (a port of 0 was chosen only now).
            self.revocation_feed.address = service.address
        return service
