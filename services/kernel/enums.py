"""Enums every context shares: the RBAC roles and the audited actions (seed names)."""

from __future__ import annotations

from enum import StrEnum


class UserRoleEnum(StrEnum):
    REQUESTOR = "REQUESTOR"
    APPROVER = "APPROVER"
    ADMIN = "ADMIN"
    KNOWLEDGE_MANAGER = "KNOWLEDGE_MANAGER"


class AuditAction(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    DOWNLOAD = "DOWNLOAD"
    UPLOAD = "UPLOAD"
    LOGIN = "LOGIN"
    LOGOUT = "LOGOUT"
