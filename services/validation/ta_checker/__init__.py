"""The TA checker: validates a Splunk Technology Add-on statically and against log samples."""

from .checker import CHECKER_NAME, CHECKER_VERSION, CheckOptions, CheckResult, check_ta
from .errors import (
    ArchiveError,
    InvalidPackageError,
    NotGzipError,
    TACheckError,
    UnsafeArchiveError,
)
from .report import Thresholds
from .samples import LogSample

__all__ = [
    "CHECKER_NAME",
    "CHECKER_VERSION",
    "ArchiveError",
    "CheckOptions",
    "CheckResult",
    "InvalidPackageError",
    "LogSample",
    "NotGzipError",
    "TACheckError",
    "Thresholds",
    "UnsafeArchiveError",
    "check_ta",
]
