"""What the identity use cases need, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from services.identity.config_secrets import SecretBox
from services.identity.models import AuditOutbox
from services.identity.passwords import Passwords
from services.kernel.db import Database
from services.kernel.outbox import AuditRecorder
from services.kernel.settings import Settings
from services.kernel.tokens import AccessTokenSigner


@dataclass(frozen=True)
class IdentityDeps:
    db: Database
    settings: Settings
    passwords: Passwords
    signer: AccessTokenSigner
    audit: AuditRecorder
    secrets: SecretBox

    @classmethod
    def build(cls, db: Database, settings: Settings, private_pem: bytes) -> IdentityDeps:
        return cls(
            db=db,
            settings=settings,
            passwords=Passwords(
                settings.password_hash_time_cost, settings.password_hash_memory_kib
            ),
            signer=AccessTokenSigner(
                private_pem, settings.jwt_issuer, settings.access_token_ttl_seconds
            ),
            audit=AuditRecorder(AuditOutbox),
            secrets=SecretBox.from_settings(settings),
        )
