"""Errors raised by the TA generator; each names the sample or input it is about."""

from __future__ import annotations


class TABuildError(ValueError):
    """Base class: the inputs cannot produce a TA. The message says why."""


class InvalidSourceSystemError(TABuildError):
    """The source system name gives no usable vendor/product for source types."""


class NoSamplesError(TABuildError):
    """No sample was given."""


class SampleReadError(TABuildError):
    """A sample could not be read."""


class EmptySampleError(TABuildError):
    """A sample holds no data (or only whitespace)."""


class BinarySampleError(TABuildError):
    """A sample is binary (or compressed) data, not text log events."""


class NoTimestampError(TABuildError):
    """No recognisable timestamp was found in a sample's events."""


class MixedFormatError(TABuildError):
    """A sample mixes event formats whose timestamps cannot share one source type."""


class InvalidVersionError(TABuildError):
    """The requested TA version is not a valid semantic version."""
