"""Audit repositories."""

from services.audit.repositories.audit_logs import AuditLogFilter, AuditLogRepository

__all__ = ["AuditLogFilter", "AuditLogRepository"]
