/** A request's path through its statuses, with the time of each step the platform records. */
import type { Request, RequestStatus } from "../api/client";
import { label, when } from "../format";

const HAPPY: RequestStatus[] = ["NEW", "PENDING_APPROVAL", "APPROVED", "GENERATING_TA", "VALIDATING", "COMPLETED"];

function path(status: RequestStatus): RequestStatus[] {
  if (status === "REJECTED") return ["NEW", "PENDING_APPROVAL", "REJECTED"];
  if (status === "FAILED") return [...HAPPY.slice(0, -1), "FAILED"];
  return HAPPY;
}

function stamp(request: Request, step: RequestStatus): string | undefined {
  switch (step) {
    case "NEW":
      return request.created_at;
    case "APPROVED":
      return request.approved_at;
    case "REJECTED":
      return request.approved_at ?? request.updated_at;
    case "COMPLETED":
    case "FAILED":
      return request.completed_at;
    default:
      return undefined;
  }
}

export function Timeline({ request, failedStage }: { request: Request; failedStage?: string }) {
  const steps = path(request.status);
  let reached = steps.indexOf(request.status);
  if (request.status === "FAILED" && failedStage) {
    const at = steps.findIndex((s) => s.toLowerCase().startsWith(failedStage.toLowerCase().slice(0, 5)));
    if (at >= 0) reached = Math.max(reached, at);
  }
  const terminal = ["COMPLETED", "FAILED", "REJECTED"].includes(request.status);
  return (
    <ol className="timeline" aria-label="Status timeline" data-status={request.status}>
      {steps.map((step, i) => {
        const state =
          i < reached || (i === reached && terminal)
            ? step === "FAILED" || step === "REJECTED"
              ? "bad"
              : "done"
            : i === reached
              ? "current"
              : "todo";
        const time = stamp(request, step);
        return (
          <li key={step} className={state} aria-current={i === reached ? "step" : undefined}>
            <span className="dot" aria-hidden="true" />
            <span className="step-name">{label(step)}</span>
            <small className="muted">{i <= reached && time ? when(time) : state === "current" ? "in progress" : ""}</small>
          </li>
        );
      })}
    </ol>
  );
}
