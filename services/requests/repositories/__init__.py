"""Requests repositories: they flush, never commit."""

from services.requests.repositories.generation_jobs import GenerationJobRepository
from services.requests.repositories.log_samples import LogSampleRepository
from services.requests.repositories.requests import RequestRepository, RequestWrites
from services.requests.repositories.ta_revisions import TARevisionRepository

__all__ = [
    "GenerationJobRepository",
    "LogSampleRepository",
    "RequestRepository",
    "RequestWrites",
    "TARevisionRepository",
]
