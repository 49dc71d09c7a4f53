"""DataValidator: declarative, lazy, vectorised data-quality checks on a pandas DataFrame."""

from __future__ import annotations

from .validator import (
    DataValidator,
    Failure,
    SqlSource,
    ValidationFailed,
    ValidationResult,
    portable_type,
)

__all__ = [
    "DataValidator",
    "Failure",
    "SqlSource",
    "ValidationFailed",
    "ValidationResult",
    "portable_type",
]
