"""CIM compliance of extracted events: which data model an event belongs to (by its tags),
how many of the model's events carry each field, and which values break the model's rules."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.kernel.splunk_cim import CimField, DataModel, models_for_tags

from .extraction import Fields

MAX_EXAMPLES = 5
MAX_CACHED_VALUES = 10_000


@dataclass
class FieldCoverage:
    present: int = 0
    invalid: int = 0
    invalid_values: Counter[str] = field(default_factory=Counter)


@dataclass
class ModelStats:
    model: DataModel
    events: int = 0
    fields: dict[str, FieldCoverage] = field(default_factory=dict)
    missing_examples: list[dict[str, Any]] = field(default_factory=list)
    # Per field, whether a value is valid: values repeat a lot, so rules run once per value.
    _validity: dict[str, dict[str, bool]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for cim_field in self.model.fields:
            self.fields.setdefault(cim_field.name, FieldCoverage())
            self._validity.setdefault(cim_field.name, {})

    def _valid(self, cim_field: CimField, value: str) -> bool:
        known = self._validity[cim_field.name]
        verdict = known.get(value)
        if verdict is None:
            if len(known) >= MAX_CACHED_VALUES:
                known.clear()
            verdict = known[value] = cim_field.is_valid(value)
        return verdict

    def add(self, fields: Fields) -> None:
        self.events += 1
        missing: list[str] = []
        for cim_field in self.model.fields:
            coverage = self.fields[cim_field.name]
            values = [v for v in fields.get(cim_field.name, ()) if v != ""]
            if not values:
                if cim_field.required:
                    missing.append(cim_field.name)
                continue
            coverage.present += 1
            bad = [v for v in values if not self._valid(cim_field, v)]
            if bad:
                coverage.invalid += 1
                for value in bad:
                    if value in coverage.invalid_values or len(coverage.invalid_values) < 50:
                        coverage.invalid_values[value] += 1
        if missing and len(self.missing_examples) < MAX_EXAMPLES:
            self.missing_examples.append(
                {"missing": missing, "_raw": (fields.get("_raw") or [""])[0][:500]}
            )

    def coverage(self, name: str) -> float:
        found = self.fields.get(name)
        return found.present / self.events if found and self.events else 0.0

    def invalid_share(self, name: str) -> float:
        found = self.fields.get(name)
        return found.invalid / found.present if found and found.present else 0.0

    def to_dict(self) -> dict[str, Any]:
        def describe(name: str) -> dict[str, Any]:
            coverage = self.fields.get(name, FieldCoverage())
            return {
                "events": coverage.present,
                "coverage": round(self.coverage(name), 4),
            }

        invalid: dict[str, Any] = {}
        for name, coverage in sorted(self.fields.items()):
            if coverage.invalid:
                cim_field = self.model.field(name)
                invalid[name] = {
                    "events": coverage.invalid,
                    "share": round(self.invalid_share(name), 4),
                    "rule": cim_field.rule() if cim_field else "",
                    "examples": [v for v, _ in coverage.invalid_values.most_common(MAX_EXAMPLES)],
                }
        return {
            "events": self.events,
            "tags": list(self.model.tags),
            "required_fields": {f.name: describe(f.name) for f in self.model.required},
            "recommended_fields": {f.name: describe(f.name) for f in self.model.recommended},
            "invalid_values": invalid,
        }


@dataclass
class CimAccumulator:
    models: dict[str, ModelStats] = field(default_factory=dict)

    def add(self, tags: set[str], fields: Fields) -> list[str]:
        names: list[str] = []
        for model in models_for_tags(tags):
            stats = self.models.get(model.name)
            if stats is None:
                stats = self.models[model.name] = ModelStats(model)
            stats.add(fields)
            names.append(model.name)
        return names

    def to_dict(self) -> dict[str, Any]:
        return {name: stats.to_dict() for name, stats in sorted(self.models.items())}
