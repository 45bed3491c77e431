"""Runtime configuration: read masked by users, read in full by services, written by ADMINs."""

from __future__ import annotations

import re

from services.identity.config_values import check_value_type, parse_value
from services.identity.repositories import ConfigView, SystemConfigRepository
from services.identity.use_cases.deps import IdentityDeps
from services.kernel.call_context import require_user
from services.kernel.config_keys import KNOWN_KEYS
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
        box = self.deps.secrets
        return [
            ConfigView.of(r, reveal=True, box=box) for r in rows if not wanted or r.key in wanted
        ]

    async def set_config(
        self, key: str, value: str, value_type: str, description: str, is_secret: bool
    ) -> ConfigView:
        """Create or replace an entry. A key the platform reads (services/kernel/config_keys.py)
        must have its type and range; other keys are typed by `value_type` (default string).
        A secret is stored encrypted and shown masked."""
        key = check_key(key)
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidArgument("value", f"must be at most {MAX_VALUE_LENGTH} characters")
        known = KNOWN_KEYS.get(key)
        if known is not None:
            if value_type and value_type != known.value_type:
                raise InvalidArgument("value_type", f"{key} is a {known.value_type}")
            value_type = known.value_type
        value_type = check_value_type(value_type or "string")
        parsed = parse_value(value, value_type)
        problem = known.range_problem(parsed) if known is not None else None
        if problem is not None:
            raise InvalidArgument("value", problem)
        text = optional_text("description", description, max_length=2000)
        if text is None and known is not None:
            text = known.description
        actor = require_user().user_id
        async with self.deps.db.unit_of_work() as session:
            repo = SystemConfigRepository(session)
            previous = await repo.get_by_key(key)
            row = await repo.set_value(
                key, value, value_type, actor, text, is_secret, box=self.deps.secrets
            )
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
