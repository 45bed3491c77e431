"""Who may call each ValidationService RPC: the one table the interceptor enforces.

Whether a REQUESTOR owns the request is checked in the use cases, once the requests service
has said whose request it is."""

from services.kernel.access import Access, roles
from services.kernel.enums import UserRoleEnum

SERVICE = "/tagen.validation.v1.ValidationService/"

#: As for the request: its owner (a REQUESTOR), APPROVERs, ADMINs, and services (requests).
READERS = roles(UserRoleEnum.REQUESTOR, UserRoleEnum.APPROVER, UserRoleEnum.ADMIN, services=True)

ACCESS: dict[str, Access] = {
    SERVICE + "QueueValidation": READERS,
    SERVICE + "ListValidations": READERS,
    SERVICE + "GetValidation": READERS,
    SERVICE + "DownloadDebugBundle": READERS,
    SERVICE + "CancelValidation": roles(UserRoleEnum.APPROVER, UserRoleEnum.ADMIN),
}
