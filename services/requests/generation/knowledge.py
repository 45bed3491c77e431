"""Knowledge consulted by generation: the documents whose indexed text matches the request's
source system, and, from those that are TA archives, the source type names and field names
a reference TA of the same product uses (they are preferred over generated ones).

Search failures never stop generation: they are recorded as a warning."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tagen.knowledge.v1 import knowledge_pb2 as knowledge_pb

from services.kernel.errors import DomainError

TA_ARCHIVE = "ta_archive"
_WORD = re.compile(r"[A-Za-z0-9]+")
_FILE_LINE = re.compile(r"^\S+\.conf$")
_STANZA = re.compile(r"^\[([^\]]+)\]\s*$")
_NOT_SOURCETYPES = ("source::", "host::", "rule::", "delayedrule::", "default")
_NAMED_GROUP = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")
_ALIAS = re.compile(r"^FIELDALIAS-[^=]+=\s*(.+)$")
_EVAL = re.compile(r"^EVAL-([A-Za-z_][A-Za-z0-9_]*)\s*=")


class Searcher(Protocol):
    async def search(self, query: str) -> list[knowledge_pb.SearchResult]: ...


@dataclass(frozen=True)
class Knowledge:
    """What generation learned from the knowledge base."""

    query: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    sourcetypes: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    warning: str | None = None

    def metadata(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "documents": self.documents,
            "preferred_sourcetypes": list(self.sourcetypes),
            "reference_fields": list(self.fields),
        }


def search_query(source_system: str) -> str:
    """Every word of the source system (the search requires all of them)."""
    return " ".join(_WORD.findall(source_system))


async def consult(searcher: Searcher, source_system: str) -> Knowledge:
    query = search_query(source_system)
    if not query:
        return Knowledge(query)
    try:
        results = await searcher.search(query)
    except DomainError as exc:
        return Knowledge(query, warning=f"knowledge search failed: {exc.message}")
    documents: dict[str, dict[str, Any]] = {}
    archive_texts: list[str] = []
    for result in results:
        entry = documents.setdefault(
            result.document_id,
            {
                "id": result.document_id,
                "title": result.document_title,
                "document_type": result.document_type,
                "score": round(result.score, 4),
                "chunks": [],
            },
        )
        entry["chunks"].append(result.chunk_ordinal)
        if result.document_type == TA_ARCHIVE:
            archive_texts.append(result.text)
    return Knowledge(
        query,
        list(documents.values()),
        tuple(_unique(n for text in archive_texts for n in sourcetype_names(text))),
        tuple(_unique(n for text in archive_texts for n in field_names(text))),
    )


def sourcetype_names(text: str) -> list[str]:
    """Stanza names of props.conf sections in an indexed TA archive's text (each file there
    starts with a line holding its path)."""
    names: list[str] = []
    in_props = False
    for raw in text.splitlines():
        line = raw.strip()
        if _FILE_LINE.match(line):
            in_props = line.endswith("props.conf")
            continue
        stanza = _STANZA.match(line)
        if in_props and stanza and not stanza.group(1).startswith(_NOT_SOURCETYPES):
            names.append(stanza.group(1).strip())
    return names


def field_names(text: str) -> list[str]:
    """Field names a TA's configuration defines: named regex groups, aliases and evals."""
    names: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        names.extend(_NAMED_GROUP.findall(line))
        if alias := _ALIAS.match(line):
            names.extend(re.findall(r"\bAS\s+([A-Za-z_][A-Za-z0-9_]*)", alias.group(1), re.I))
        if evaluated := _EVAL.match(line):
            names.append(evaluated.group(1))
    return names


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
