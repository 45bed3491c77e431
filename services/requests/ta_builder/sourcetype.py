"""Names derived from the source system: source types, app id, label, transform slugs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import InvalidSourceSystemError

_MAX_PART = 32


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", folded.lower())


@dataclass(frozen=True)
class SourceSystem:
    """A source system such as "Cisco ASA": vendor ``cisco``, product ``asa``."""

    name: str
    vendor: str
    product: str

    @property
    def app_id(self) -> str:
        vendor = self.vendor.replace("_", "-")
        product = self.product.replace("_", "-")
        return f"TA-{vendor}" if vendor == product else f"TA-{vendor}-{product}"

    @property
    def label(self) -> str:
        return f"Add-on for {self.name}"[:80]

    def sourcetype(self, kind: str) -> str:
        """``vendor:product:kind`` without repeated parts (``openssh:syslog``, not
        ``openssh:openssh:syslog``)."""
        parts: list[str] = []
        for part in (self.vendor, self.product, kind):
            if part not in parts:
                parts.append(part)
        return ":".join(parts)


# Splunk's own names for well-known data, keyed by what the generator recognised in the
# events (not by the free-text source system): Splunk's pretrained source types and the
# names its vendor add-ons use.
WELL_KNOWN_SOURCETYPES: dict[str, str] = {
    "ncsa_combined": "access_combined",
    "ncsa_common": "access_common",
    "apache_error": "apache_error",
    "cisco_asa": "cisco:asa",
    "syslog_auth": "linux_secure",
}


def parse_source_system(name: str) -> SourceSystem:
    """Split a source system name into vendor and product.

    ``Vendor:Product`` or ``Vendor/Product`` is split at the separator; otherwise the first
    word is the vendor and the rest the product ("Apache HTTP Server" -> apache, http_server).
    A single word is both ("nginx" -> nginx, nginx).
    """
    display = " ".join(name.split())
    if not display:
        raise InvalidSourceSystemError("the source system name is empty")
    if len(display) > 100:
        raise InvalidSourceSystemError("the source system name is longer than 100 characters")
    parts = re.split(r"\s*[:/]\s*", display, maxsplit=1)
    if len(parts) == 2 and _ascii_words(parts[0]) and _ascii_words(parts[1]):
        vendor_words, product_words = _ascii_words(parts[0]), _ascii_words(parts[1])
    else:
        words = _ascii_words(display)
        if not words:
            raise InvalidSourceSystemError(
                f"the source system name {name!r} has no letters or digits to name source types"
            )
        vendor_words = words[:1]
        product_words = words[1:] or words[:1]
    vendor = "_".join(vendor_words)[:_MAX_PART].strip("_")
    product = "_".join(product_words)[:_MAX_PART].strip("_")
    if not vendor[0].isalpha():
        # Names must start with a letter; a one-word name stays one word ("3proxy").
        product = f"v{vendor}" if product == vendor else product
        vendor = f"v{vendor}"
    return SourceSystem(display, vendor, product)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
