"""Secret system_config values are encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from CONFIG_ENCRYPTION_KEY (a urlsafe-base64 32-byte Fernet key, e.g. from a
Kubernetes Secret); on the embedded default it is generated once into
DATA_DIR/keys/config_encryption_key, like the token keys. A stored secret reads
"fernet:<token>"; a row written before encryption existed is read as it is.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from services.kernel.settings import Settings

PREFIX = "fernet:"
KEY_FILE = "config_encryption_key"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.config_encryption_key:
            return cls(settings.config_encryption_key.encode())
        return cls(ensure_key_file(settings.data_dir / "keys"))

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        """The plain value of a stored one (which may predate encryption)."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise RuntimeError(
                "a secret in system_config does not decrypt: CONFIG_ENCRYPTION_KEY changed"
            ) from None


def ensure_key_file(directory: Path) -> bytes:
    """The key in `directory` (created, readable by its owner only, on first use)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / KEY_FILE
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_bytes().strip()
