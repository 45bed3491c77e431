"""Where uploaded knowledge documents are stored (see services/kernel/storage/ownership.py
for how an object is tied to its row)."""

from __future__ import annotations

import uuid


def document_key(document_id: uuid.UUID) -> str:
    """A fresh key chosen by the service, never derived from a client's file name."""
    return f"knowledge/{document_id}/{uuid.uuid4()}"
