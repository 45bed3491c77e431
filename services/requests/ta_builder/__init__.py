"""The TA generator: builds a Splunk Technology Add-on from log samples."""

from .builder import GENERATOR_NAME, GENERATOR_VERSION, BuildOptions, BuildResult, build_ta
from .errors import (
    BinarySampleError,
    EmptySampleError,
    InvalidSourceSystemError,
    InvalidVersionError,
    MixedFormatError,
    NoSamplesError,
    NoTimestampError,
    SampleReadError,
    TABuildError,
)
from .samples import Sample, WindowLimits

__all__ = [
    "GENERATOR_NAME",
    "GENERATOR_VERSION",
    "BinarySampleError",
    "BuildOptions",
    "BuildResult",
    "EmptySampleError",
    "InvalidSourceSystemError",
    "InvalidVersionError",
    "MixedFormatError",
    "NoSamplesError",
    "NoTimestampError",
    "Sample",
    "SampleReadError",
    "TABuildError",
    "WindowLimits",
    "build_ta",
]
