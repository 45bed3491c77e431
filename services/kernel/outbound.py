"""Metadata of a call one service makes to another on behalf of the call it is serving: the
caller's service identity plus the correlation id, client IP and user agent of the original
call, so that audit events the callee records carry the gateway's x-request-id, and the W3C
traceparent of the current span, so that the callee's spans join the caller's trace."""

from __future__ import annotations

from services.kernel.call_context import current_call
from services.kernel.interceptor import CLIENT_AGENT_HEADER, CLIENT_IP_HEADER, CORRELATION_HEADER
from services.kernel.tokens import ServiceIdentity
from services.kernel.tracing import inject


def service_call_metadata(identity: ServiceIdentity) -> tuple[tuple[str, str], ...]:
    call = current_call()
    metadata = [*identity.metadata(), (CORRELATION_HEADER, str(call.correlation_id))]
    if call.ip_address:
        metadata.append((CLIENT_IP_HEADER, call.ip_address))
    if call.user_agent:
        metadata.append((CLIENT_AGENT_HEADER, call.user_agent))
    return inject(metadata)
