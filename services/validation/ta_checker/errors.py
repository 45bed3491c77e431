"""Errors raised by the TA checker. The checker reports most problems as findings in its
results; these exceptions are for inputs it cannot examine at all."""

from __future__ import annotations


class TACheckError(ValueError):
    """Base class; the message says what is wrong and where."""


class ArchiveError(TACheckError):
    """The TA package cannot be opened safely."""


class NotGzipError(ArchiveError):
    """The package is not gzip-compressed."""


class UnsafeArchiveError(ArchiveError):
    """The package has absolute paths, ``..``, links leaving the app, or special files."""


class InvalidPackageError(ArchiveError):
    """The package is not laid out as one Splunk app directory."""


class SampleReadError(TACheckError):
    """A log sample could not be read."""


class RegexError(TACheckError):
    """A Splunk regular expression does not compile."""


class TimeFormatError(TACheckError):
    """A TIME_FORMAT uses a directive Splunk does not know."""


class EvalSyntaxError(TACheckError):
    """An EVAL- expression is not valid eval syntax."""


class EvalUnsupportedError(TACheckError):
    """An EVAL- expression is valid but uses something the checker cannot evaluate."""


class SearchSyntaxError(TACheckError):
    """An event type search is not valid (or not a plain search)."""
