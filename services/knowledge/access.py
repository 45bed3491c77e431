"""Who may call each KnowledgeService RPC: the one table the interceptor enforces.

Writers are KNOWLEDGE_MANAGERs and ADMINs; any user reads; service identities read and
search (the requests context uses search as generation context)."""

from services.kernel.access import Access, any_user, roles
from services.kernel.enums import UserRoleEnum

SERVICE = "/tagen.knowledge.v1.KnowledgeService/"

WRITERS = roles(UserRoleEnum.KNOWLEDGE_MANAGER, UserRoleEnum.ADMIN)
READERS = any_user(services=True)

ACCESS: dict[str, Access] = {
    SERVICE + "UploadDocument": WRITERS,
    SERVICE + "ListDocuments": READERS,
    SERVICE + "GetDocument": READERS,
    SERVICE + "DeleteDocument": WRITERS,
    SERVICE + "GetDocumentStatistics": READERS,
    SERVICE + "SearchKnowledge": READERS,
}
