/** Request queries and actions shared by the request pages. */
import { api, must, toApiError, uploadFile, type Failure, type LogSample, type Request, type RequestStatus, type TARevision } from "./api/client";

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
  return {
    request: reply.request,
    samples: reply.log_samples ?? [],
    revisions: [...(reply.ta_revisions ?? [])].sort((a, b) => b.version - a.version),
    failure: reply.request.failure ?? undefined,
  };
}

export function uploadSample(requestId: string, file: File, progress: (share: number) => void): Promise<unknown> {
  return uploadFile(`/v1/requests/${encodeURIComponent(requestId)}/samples`, file, {}, progress);
}

export function uploadRevision(requestId: string, file: File, progress: (share: number) => void): Promise<unknown> {
  return uploadFile(`/v1/requests/${encodeURIComponent(requestId)}/revisions`, file, {}, progress);
}

/** Cancel a QUEUED or RUNNING validation run (it ends FAILED, naming who cancelled it). */
export function cancelRun(runId: string): Promise<unknown> {
  return must(api.POST("/v1/validations/{run_id}:cancel", { params: { path: { run_id: runId } }, body: {} }));
}
