"""Log samples handed to the checker, read as streams (they may be large)."""

from __future__ import annotations

from services.kernel.sample_source import SampleSource

from .errors import SampleReadError


class LogSample(SampleSource):
    """A log sample the checker runs the TA over."""

    read_error = SampleReadError
