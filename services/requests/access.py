"""Who may call each RequestService RPC: the one table the interceptor enforces.

Ownership (REQUESTORs see and change only their own requests; an approver never reviews
their own request) is checked in the use cases, where the request is known."""

from services.kernel.access import SERVICES_ONLY, Access, roles
from services.kernel.enums import UserRoleEnum

REQUESTOR = UserRoleEnum.REQUESTOR
APPROVER = UserRoleEnum.APPROVER
ADMIN = UserRoleEnum.ADMIN
SERVICE = "/tagen.requests.v1.RequestService/"

#: Readers of a request: its owner, APPROVERs, ADMINs and services (validation).
READERS = roles(REQUESTOR, APPROVER, ADMIN, services=True)
#: Owners act on their own request; an ADMIN may create and own requests too.
OWNERS = roles(REQUESTOR, ADMIN)
REVIEWERS = roles(APPROVER, ADMIN)

ACCESS: dict[str, Access] = {
    SERVICE + "CreateRequest": OWNERS,
    SERVICE + "ListRequests": READERS,
    SERVICE + "GetRequest": READERS,
    SERVICE + "UpdateRequest": OWNERS,  # the owner, or any ADMIN
    SERVICE + "SubmitRequest": OWNERS,  # the owner only
    SERVICE + "ApproveRequest": REVIEWERS,
    SERVICE + "RejectRequest": REVIEWERS,
    SERVICE + "GetRequestStatistics": REVIEWERS,
    SERVICE + "UploadLogSample": OWNERS,  # the owner only
    SERVICE + "ListLogSamples": READERS,
    SERVICE + "DeleteLogSample": OWNERS,  # the owner only
    SERVICE + "DownloadLogSample": READERS,
    SERVICE + "ListTARevisions": READERS,
    SERVICE + "UploadTARevision": REVIEWERS,
    SERVICE + "DownloadTARevision": READERS,
    SERVICE + "StartGeneration": SERVICES_ONLY,
    SERVICE + "StartValidation": SERVICES_ONLY,
    SERVICE + "CompleteRequest": SERVICES_ONLY,
    SERVICE + "FailRequest": SERVICES_ONLY,
    SERVICE + "CreateAutoRevision": SERVICES_ONLY,
    SERVICE + "RegenerateRequest": REVIEWERS,
    SERVICE + "RecordValidationVerdict": SERVICES_ONLY,
}
