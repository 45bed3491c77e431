"""Who may call each AuditService RPC: the one table the interceptor enforces."""

from services.kernel.access import SERVICES_ONLY, Access, roles
from services.kernel.enums import UserRoleEnum

SERVICE = "/tagen.audit.v1.AuditService/"

ACCESS: dict[str, Access] = {
    SERVICE + "RecordEvents": SERVICES_ONLY,  # the relays of every service
    SERVICE + "ListAuditLogs": roles(UserRoleEnum.ADMIN),
    SERVICE + "GetRecentActivity": roles(UserRoleEnum.ADMIN),
}
