"""The system_config keys the platform reads at run time: one table of (key, type, range,
environment setting, description). A row of system_config with one of these keys overrides
the environment value while the platform runs; identity refuses a value that does not have
the key's type or lies outside its range. Other keys may be stored too, typed by the
value_type they are given, but nothing reads them."""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.settings import Settings


@dataclass(frozen=True)
class ConfigKey:
    key: str
    value_type: str
    """string, integer or boolean."""
    setting: str
    """The Settings field (environment variable) that is the value when no row exists."""
    description: str
    minimum: int | None = None
    maximum: int | None = None

    def default(self, settings: Settings | None = None) -> object:
        if settings is not None:
            return getattr(settings, self.setting)
        return Settings.model_fields[self.setting].default

    def range_problem(self, value: object) -> str | None:
        """Why an integer value is out of range, or None."""
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum}"
        return None


_TIB = 1 << 40

KNOWN_KEYS: dict[str, ConfigKey] = {
    k.key: k
    for k in (
        ConfigKey(
            "MAX_PARALLEL_VALIDATIONS",
            "integer",
            "max_parallel_validations",
            "validation runs RUNNING at once, platform-wide (0 pauses the queue)",
            0,
            1000,
        ),
        ConfigKey(
            "SAMPLE_RETENTION_ENABLED",
            "boolean",
            "sample_retention_enabled",
            "delete log samples past their retention date",
        ),
        ConfigKey(
            "SAMPLE_RETENTION_DAYS",
            "integer",
            "sample_retention_days",
            "days a new log sample is kept",
            1,
            36500,
        ),
        ConfigKey(
            "MAX_SAMPLE_SIZE_BYTES",
            "integer",
            "max_sample_size_bytes",
            "largest log sample upload",
            1,
            _TIB,
        ),
        ConfigKey(
            "MAX_TA_SIZE_BYTES",
            "integer",
            "max_ta_size_bytes",
            "largest TA bundle (manual upload or generated)",
            1,
            _TIB,
        ),
    )
}
