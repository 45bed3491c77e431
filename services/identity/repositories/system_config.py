"""SystemConfigRepository: typed runtime configuration that overrides the environment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from services.identity.config_secrets import SecretBox
from services.identity.config_values import SECRET_MASK, parse_value, serialize_value
from services.identity.models import SystemConfig
from services.kernel.repository import BaseRepository


@dataclass(frozen=True)
class ConfigView:
    """A configuration entry as the UI may see it (secret values masked)."""

    key: str
    value: str
    value_type: str
    description: str | None
    is_secret: bool
    updated_by: uuid.UUID | None
    updated_at: datetime | None

    @classmethod
    def of(
        cls, row: SystemConfig, *, reveal: bool = False, box: SecretBox | None = None
    ) -> ConfigView:
        """The entry; a secret is masked unless revealed (decrypted with `box`)."""
        value = row.value
        if row.is_secret:
            value = (box.open(value) if box else value) if reveal else SECRET_MASK
        return cls(
            key=row.key,
            value=value,
            value_type=row.value_type,
            description=row.description,
            is_secret=row.is_secret,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )


class SystemConfigRepository(BaseRepository[SystemConfig]):
    model = SystemConfig

    async def get_by_key(self, key: str) -> SystemConfig | None:
        return await self.session.scalar(select(SystemConfig).where(SystemConfig.key == key))

    async def get_value(self, key: str, default: Any = None, box: SecretBox | None = None) -> Any:
        """The typed value of `key`, or `default` when it is not set (a secret is decrypted
        with `box`)."""
        row = await self.get_by_key(key)
        if row is None:
            return default
        raw = box.open(row.value) if box and row.is_secret else row.value
        return parse_value(raw, row.value_type)

    async def set_value(
        self,
        key: str,
        value: Any,
        value_type: str = "string",
        updated_by: uuid.UUID | None = None,
        description: str | None = None,
        is_secret: bool = False,
        box: SecretBox | None = None,
    ) -> SystemConfig:
        """Create or replace `key`; the value must parse as its value_type. A secret is stored
        encrypted with `box`."""
        raw = serialize_value(value, value_type)
        if is_secret and box is not None:
            raw = box.seal(raw)
        values = {
            "value": raw,
            "value_type": value_type,
            "updated_by": updated_by,
            "is_secret": is_secret,
            "updated_at": func.now(),
        }
        if description is not None:
            values["description"] = description
        stmt = (
            insert(SystemConfig)
            .values(
                id=uuid.uuid4(),
                key=key,
                description=description,
                **{k: v for k, v in values.items() if k not in ("updated_at", "description")},
            )
            .on_conflict_do_update(index_elements=[SystemConfig.key], set_=values)
            .returning(SystemConfig)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one()

    async def list_all(self) -> list[SystemConfig]:
        return list(
            (await self.session.scalars(select(SystemConfig).order_by(SystemConfig.key))).all()
        )

    async def get_public_configs(self) -> list[ConfigView]:
        """Every entry for the UI, secret values masked."""
        return [ConfigView.of(row) for row in await self.list_all()]
