"""Identity repositories."""

from services.identity.repositories.refresh_tokens import RefreshTokenRepository
from services.identity.repositories.roles import DEFAULT_ROLES, RoleRepository
from services.identity.repositories.security_stamps import SecurityStampRepository
from services.identity.repositories.system_config import ConfigView, SystemConfigRepository
from services.identity.repositories.users import UserRepository

__all__ = [
    "DEFAULT_ROLES",
    "ConfigView",
    "RefreshTokenRepository",
    "RoleRepository",
    "SecurityStampRepository",
    "SystemConfigRepository",
    "UserRepository",
]
