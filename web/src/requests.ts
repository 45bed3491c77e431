/** Request queries and actions shared by the request pages. */
import { api, authFetch, must, toApiError, uploadFile, type Failure, type LogSample, type Request, type RequestStatus, type TARevision } from "./api/client";

export async function listRequests(status?: RequestStatus, query?: string, pageSize = 200): Promise<Request[]> {
  const reply = await must(
    api.GET("/v1/requests", {
      params: { query: { status: status || undefined, query: query || undefined, page_size: pageSize } },
    }),
  );
  return reply.requests ?? [];
}

export interface RequestDetails {
  request: Request;
  samples: LogSample[];
  revisions: TARevision[];
  failure?: Failure;
}

export async function getRequest(requestId: string): Promise<RequestDetails> {
  const reply = await must(api.GET("/v1/requests/{request_id}", { params: { path: { request_id: requestId } } }));
  if (!reply.request) throw toApiError(404, { code: "NOT_FOUND", message: "this request does not exist" });
  // `failure` ({stage, message, validation_run_id}) is shown when the platform sends it.
  const loose = reply as { failure?: Failure; request: { failure?: Failure } };
  return {
    request: reply.request,
    samples: reply.log_samples ?? [],
    revisions: [...(reply.ta_revisions ?? [])].sort((a, b) => b.version - a.version),
    failure: loose.failure ?? loose.request.failure,
  };
}

export function uploadSample(requestId: string, file: File, progress: (share: number) => void): Promise<unknown> {
  return uploadFile(`/v1/requests/${encodeURIComponent(requestId)}/samples`, file, {}, progress);
}

export function uploadRevision(requestId: string, file: File, progress: (share: number) => void): Promise<unknown> {
  return uploadFile(`/v1/requests/${encodeURIComponent(requestId)}/revisions`, file, {}, progress);
}

/**
 * POST to an action route by path. Used for routes a platform version may not have yet
 * (`:regenerate`); its answer (including 404) becomes an ApiError like any other.
 */
export async function postAction(path: string, body: object = {}): Promise<void> {
  const reply = await authFetch(
    new globalThis.Request(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
  );
  if (!reply.ok) throw toApiError(reply.status, await reply.json().catch(() => null));
}
