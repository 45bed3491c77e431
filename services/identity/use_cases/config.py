"""Runtime configuration: read masked by users, read in full by services, written by ADMINs."""

from __future__ import annotations

import re

from services.identity.config_values import check_value_type, serialize_value
from services.identity.repositories import ConfigView, SystemConfigRepository
from services.identity.use_cases.deps import IdentityDeps
from services.kernel.call_context import require_user
from services.kernel.enums import AuditAction
from services.kernel.errors import InvalidArgument, NotFound
from services.kernel.validation import optional_text

_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,127}$")
MAX_VALUE_LENGTH = 65536


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidArgument("key", "must be UPPER_SNAKE_CASE, at most 128 characters")
    return key


class ConfigUseCases:
    def __init__(self, deps: IdentityDeps) -> None:
        self.deps = deps

    async def list_config(self) -> list[ConfigView]:
        async with self.deps.db.read_only() as session:
            return await SystemConfigRepository(session).get_public_configs()

    async def get_config(self, key: str) -> ConfigView:
        async with self.deps.db.read_only() as session:
            row = await SystemConfigRepository(session).get_by_key(check_key(key))
            if row is None:
                raise NotFound("config", key)
            return ConfigView.of(row)

    async def resolve(self, keys: list[str]) -> list[ConfigView]:
        """Unmasked values for service identities (all entries when no key is named)."""
        for key in keys:
            check_key(key)
        async with self.deps.db.read_only() as session:
            rows = await SystemConfigRepository(session).list_all()
        wanted = set(keys)
        return [ConfigView.of(r, reveal=True) for r in rows if not wanted or r.key in wanted]

    async def set_config(
        self, key: str, value: str, value_type: str, description: str, is_secret: bool
    ) -> ConfigView:
        key = check_key(key)
        value_type = check_value_type(value_type or "string")
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidArgument("value", f"must be at most {MAX_VALUE_LENGTH} characters")
        serialize_value(value, value_type)
        text = optional_text("description", description, max_length=2000)
        actor = require_user().user_id
        async with self.deps.db.unit_of_work() as session:
            repo = SystemConfigRepository(session)
            previous = await repo.get_by_key(key)
            row = await repo.set_value(key, value, value_type, actor, text, is_secret)
            self.deps.audit.record(
                session,
                AuditAction.CREATE if previous is None else AuditAction.UPDATE,
                "system_config",
                row.id,
                {
                    "key": key,
                    "value_type": value_type,
                    "is_secret": is_secret,
                    "value": "********" if is_secret else value,
                },
            )
            return ConfigView.of(row)
