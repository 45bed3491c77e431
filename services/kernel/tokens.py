"""Signed tokens: user access tokens (Ed25519, verified locally by every service with the
public key) and service-identity tokens (HS256 with the shared service secret)."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kernel.call_context import Principal
from services.kernel.enums import UserRoleEnum
from services.kernel.errors import Unauthenticated

if TYPE_CHECKING:
    from services.kernel.revocation import Revocations

USER_KEY_ID = "user"
SERVICE_KEY_ID = "service"
SERVICE_ISSUER = "tagen-service"
LEEWAY_SECONDS = 5
#: Claim with the user's security stamp at issue time (see services/kernel/revocation.py).
STAMP_CLAIM = "stv"


@dataclass(frozen=True)
class KeyMaterial:
    private_pem: bytes | None
    public_pem: bytes
    service_secret: str


def generate_key_material() -> KeyMaterial:
    """Fresh keys (tests and the embedded default)."""
    private = Ed25519PrivateKey.generate()
    return KeyMaterial(
        private_pem=private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        public_pem=private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        service_secret=uuid.uuid4().hex + uuid.uuid4().hex,
    )


def ensure_key_files(directory: Path) -> tuple[Path, Path, str]:
    """Create (once) and return the private key file, public key file and service secret."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path, public_path = directory / "jwt_private.pem", directory / "jwt_public.pem"
    secret_path = directory / "service_secret"
    if not (private_path.exists() and public_path.exists() and secret_path.exists()):
        material = generate_key_material()
        assert material.private_pem is not None
        private_path.write_bytes(material.private_pem)
        private_path.chmod(0o600)
        public_path.write_bytes(material.public_pem)
        secret_path.write_text(material.service_secret)
        secret_path.chmod(0o600)
    return private_path, public_path, secret_path.read_text().strip()


class TokenVerifier:
    """Verifies bearer tokens locally; never calls identity.

    A token whose signature was checked is remembered (by its exact text) until it expires,
    so a client that sends the same token on every call pays for the signature check once.
    With `revocations` attached, a user token is also refused once its security stamp is
    older than the user's current one (an in-memory lookup on every call).
    """

    def __init__(
        self,
        public_pem: bytes,
        service_secret: str,
        issuer: str,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
        revocations: Revocations | None = None,
    ) -> None:
        self.revocations = revocations
        self._public_key = serialization.load_pem_public_key(public_pem)
        self._service_secret = service_secret
        self._issuer = issuer
        self._max_entries = max_entries
        self._clock = clock
        self._verified: OrderedDict[str, tuple[Principal, float, int]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and self._clock() > cached[1] + LEEWAY_SECONDS:
            del self._verified[token]
            cached = None
        if cached is None:
            cached = self._verify_signature(token)
            self._verified[token] = cached
            if len(self._verified) > self._max_entries:
                self._verified.popitem(last=False)
        principal, _, stamp = cached
        if self.revocations is not None and principal.kind == "user":
            self.revocations.check(principal.subject, stamp)
        return principal

    def _verify_signature(self, token: str) -> tuple[Principal, float, int]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed token") from exc
        kid = header.get("kid")
        try:
            if kid == USER_KEY_ID:
                claims = jwt.decode(
                    token,
                    self._public_key,  # type: ignore[arg-type]
                    algorithms=["EdDSA"],
                    issuer=self._issuer,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp", "iat", "sub", "iss"]},
                )
                if claims.get("typ") != "access":
                    raise Unauthenticated("not an access token")
                roles = frozenset(UserRoleEnum(r) for r in claims.get("roles", []))
                uuid.UUID(claims["sub"])
                user = Principal(claims["sub"], "user", roles, claims.get("username", ""))
                return user, float(claims["exp"]), int(claims.get(STAMP_CLAIM, 0))
            if kid == SERVICE_KEY_ID and self._service_secret:
                claims = jwt.decode(
                    token,
                    self._service_secret,
                    algorithms=["HS256"],
                    issuer=SERVICE_ISSUER,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp", "iat", "sub", "iss"]},
                )
                if not str(claims["sub"]).startswith("service:"):
                    raise Unauthenticated("not a service identity")
                return Principal(claims["sub"], "service"), float(claims["exp"]), 0
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired") from exc
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthenticated("invalid token") from exc
        raise Unauthenticated("unknown token key")


class AccessTokenSigner:
    """Issues user access tokens; only identity holds the private key."""

    def __init__(self, private_pem: bytes, issuer: str, ttl_seconds: int) -> None:
        self._key = serialization.load_pem_private_key(private_pem, password=None)
        self._issuer = issuer
        self.ttl_seconds = ttl_seconds

    def issue(
        self,
        user_id: uuid.UUID,
        username: str,
        roles: Iterable[UserRoleEnum],
        security_stamp: int = 0,
    ) -> str:
        """An access token for the user, under their current security stamp."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "sub": str(user_id),
            "typ": "access",
            "username": username,
            "roles": sorted(str(r) for r in roles),
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
            STAMP_CLAIM: security_stamp,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": USER_KEY_ID})  # type: ignore[arg-type]


class ServiceIdentity:
    """The token a service presents when it calls another service (minted locally, cached)."""

    def __init__(self, service_name: str, secret: str, ttl_seconds: int = 300) -> None:
        self.subject = f"service:{service_name}"
        self._secret = secret
        self._ttl = ttl_seconds
        self._token = ""
        self._expires = 0.0

    def token(self) -> str:
        now = time.time()
        if now > self._expires - self._ttl / 3:
            issued = int(now)
            self._token = jwt.encode(
                {
                    "iss": SERVICE_ISSUER,
                    "sub": self.subject,
                    "iat": issued,
                    "exp": issued + self._ttl,
                },
                self._secret,
                algorithm="HS256",
                headers={"kid": SERVICE_KEY_ID},
            )
            self._expires = issued + self._ttl
        return self._token

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token()}"),)
