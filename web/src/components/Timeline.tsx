/** A request's path through its statuses, with the time of each step the platform records. */
import type { Failure, Request, RequestStatus } from "../api/client";
import { label, when } from "../format";

const HAPPY: RequestStatus[] = ["NEW", "PENDING_APPROVAL", "APPROVED", "GENERATING_TA", "VALIDATING", "COMPLETED"];

/** The steps a request went through: a FAILED one ends right after the stage that failed. */
function path(status: RequestStatus, failure?: Failure): RequestStatus[] {
  if (status === "REJECTED") return ["NEW", "PENDING_APPROVAL", "REJECTED"];
  if (status === "FAILED") {
    const last = failure?.stage === "GENERATION" ? "GENERATING_TA" : "VALIDATING";
    return [...HAPPY.slice(0, HAPPY.indexOf(last) + 1), "FAILED"];
  }
  return HAPPY;
}

function stamp(request: Request, step: RequestStatus, failure?: Failure): string | undefined {
  switch (step) {
    case "NEW":
      return request.created_at;
    case "APPROVED":
      return request.approved_at;
    case "REJECTED":
      return request.approved_at ?? request.updated_at;
    case "COMPLETED":
      return request.completed_at;
    case "FAILED":
      return failure?.failed_at ?? request.completed_at;
    default:
      return undefined;
  }
}

export function Timeline({ request, failure }: { request: Request; failure?: Failure }) {
  const steps = path(request.status, failure);
  const reached = steps.indexOf(request.status);
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
        const time = stamp(request, step, failure);
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
