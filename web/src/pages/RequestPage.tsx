/**
 * One request: its live status timeline, samples (upload, preview, download, delete),
 * TA revisions, validation runs, and the actions the reader may take on it.
 */
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { api, downloadFile, must, type ApiError, type Failure, type LogSample, type ValidationRun } from "../api/client";
import { Dropzone } from "../components/Dropzone";
import { Timeline } from "../components/Timeline";
import { Button, Card, Empty, ErrorBanner, Field, Loading, PageHeader, StatusBadge } from "../components/ui";
import { bytes, label, MOVING, shortId, when } from "../format";
import { asApiError, useLoad, usePolling } from "../hooks";
import { cancelRun, getRequest, uploadRevision, uploadSample } from "../requests";
import { useSession } from "../session";

async function listRuns(requestId: string): Promise<ValidationRun[]> {
  const reply = await must(api.GET("/v1/requests/{request_id}/validations", { params: { path: { request_id: requestId } } }));
  return reply.validation_runs ?? [];
}

function runsKey(runs: ValidationRun[]): string {
  return runs.map((run) => `${run.id}:${run.status}`).join(",");
}

export function RequestPage() {
  const { requestId = "" } = useParams();
  const { user, has } = useSession();
  const details = useLoad(() => getRequest(requestId), [requestId]);
  const runs = useLoad(() => listRuns(requestId), [requestId]);
  const [actionError, setActionError] = useState<ApiError>();
  const [busy, setBusy] = useState<string>();
  const [rejecting, setRejecting] = useState(false);

  const request = details.data?.request;
  const status = request?.status;
  const runsMoving = (runs.data ?? []).some((run) => run.status === "QUEUED" || run.status === "RUNNING");
  const waiting = status === "PENDING_APPROVAL" || (status !== undefined && MOVING.has(status)) || runsMoving;

  // Follow the request while the platform moves it: poll with backoff, reset on change.
  usePolling(waiting, async () => {
    const [next, nextRuns] = await Promise.all([getRequest(requestId), listRuns(requestId)]);
    const changed =
      next.request.status !== status ||
      next.revisions.length !== details.data?.revisions.length ||
      runsKey(nextRuns) !== runsKey(runs.data ?? []);
    if (changed) {
      details.set(next);
      runs.set(nextRuns);
    }
    return changed;
  });

  if (details.loading && !details.data) return <Loading />;
  if (!details.data || !request) {
    return (
      <>
        <PageHeader title="Request" />
        <ErrorBanner error={details.error} all />
      </>
    );
  }
  const { samples, revisions, failure } = details.data;
  const owner = request.created_by === user?.id;
  const approver = has("APPROVER", "ADMIN");
  const editable = owner && status === "NEW";

  const act = async (name: string, action: () => Promise<unknown>) => {
    setBusy(name);
    setActionError(undefined);
    try {
      await action();
      setRejecting(false);
      await details.reload();
      await runs.reload();
    } catch (caught) {
      setActionError(asApiError(caught));
    } finally {
      setBusy(undefined);
    }
  };
  const path = { request_id: requestId };

  return (
    <>
      <PageHeader
        title={request.source_system}
        subtitle={
          <>
            <StatusBadge status={status} /> <span className="mono">#{shortId(request.id)}</span> · created {when(request.created_at)}
          </>
        }
        actions={
          <>
            {owner && status === "NEW" && (
              <Button kind="primary" busy={busy === "submit"} disabled={samples.length === 0} title={samples.length === 0 ? "Add a log sample first" : undefined}
                onClick={() => void act("submit", () => must(api.POST("/v1/requests/{request_id}:submit", { params: { path }, body: {} })))}>
                Submit for approval
              </Button>
            )}
            {approver && status === "PENDING_APPROVAL" && (
              <>
                <Button kind="primary" busy={busy === "approve"}
                  onClick={() => void act("approve", () => must(api.POST("/v1/requests/{request_id}:approve", { params: { path }, body: {} })))}>
                  Approve
                </Button>
                <Button kind="danger" onClick={() => setRejecting(true)} aria-expanded={rejecting}>
                  Reject…
                </Button>
              </>
            )}
            {approver && (status === "FAILED" || status === "COMPLETED") && (
              <Button busy={busy === "regenerate"} onClick={() => void act("regenerate", () => must(api.POST("/v1/requests/{request_id}:regenerate", { params: { path }, body: {} })))}>
                Regenerate
              </Button>
            )}
          </>
        }
      />
      <ErrorBanner error={actionError} fields={rejecting ? ["rejection_reason"] : []} />
      {rejecting && (
        <RejectForm
          busy={busy === "reject"}
          error={actionError}
          onCancel={() => setRejecting(false)}
          onReject={(reason) =>
            void act("reject", () => must(api.POST("/v1/requests/{request_id}:reject", { params: { path }, body: { rejection_reason: reason } })))
          }
        />
      )}
      {status === "REJECTED" && (
        <div className="banner warning" role="status">
          <strong>Rejected.</strong> {request.rejection_reason || "No reason was given."}
        </div>
      )}
      {status === "FAILED" && <FailureBanner failure={failure} attempt={request.attempt} />}

      <div className="grid request-grid">
        <div className="stack">
          <Card
            title="Progress"
            actions={
              <>
                {(request.attempt ?? 0) > 0 && <span className="badge" data-testid="attempt">Attempt {request.attempt}</span>}
                {waiting && <span className="live" aria-live="polite">Live</span>}
              </>
            }
          >
            <Timeline request={request} failure={failure} />
          </Card>
          <Card title="Log samples">
            {editable && (
              <Dropzone label="Upload log samples" hint="Text log files; up to 256 MiB each"
                upload={(file, progress) => uploadSample(requestId, file, progress)} onUploaded={() => void details.reload()} />
            )}
            {samples.length === 0 ? (
              <Empty>No sample yet.</Empty>
            ) : (
              <ul className="samples">
                {samples.map((s) => (
                  <SampleItem key={s.id} sample={s} editable={editable} onChanged={() => void details.reload()} onError={setActionError} />
                ))}
              </ul>
            )}
          </Card>
        </div>
        <div className="stack">
          <Card title="Details">
            <dl className="facts">
              <dt>Description</dt>
              <dd>{request.description || "—"}</dd>
              <dt>CIM mapping</dt>
              <dd>{request.cim_required ? "Required" : "Not required"}</dd>
              <dt>Approved</dt>
              <dd>{request.approved_at ? when(request.approved_at) : "—"}</dd>
              <dt>Completed</dt>
              <dd>{when(request.completed_at)}</dd>
            </dl>
          </Card>
          <Card title="TA revisions">
            {revisions.length === 0 ? (
              <Empty>No TA generated yet.</Empty>
            ) : (
              <ul className="revisions">
                {revisions.map((r) => (
                  <li key={r.id}>
                    <div>
                      <strong>Version {r.version}</strong> <span className="badge">{label(r.generated_by)}</span>
                      {(r.attempt ?? 0) > 0 && <span className="badge subtle">Attempt {r.attempt}</span>}
                      <br />
                      <small className="muted">
                        {bytes(r.file_size)} · {when(r.created_at)}
                      </small>
                    </div>
                    <div className="actions">
                      {approver && (
                        <Button busy={busy === `validate-${r.id}`} aria-label={`Validate version ${r.version}`}
                          onClick={() => void act(`validate-${r.id}`, () => must(api.POST("/v1/requests/{request_id}/validations", { params: { path }, body: { ta_revision_id: r.id } })))}>
                          Validate
                        </Button>
                      )}
                      <Button onClick={() => void downloadFile(`/v1/requests/${encodeURIComponent(requestId)}/revisions/${r.version}:download`, `TA-v${r.version}.tgz`).catch((e: unknown) => setActionError(asApiError(e)))}>
                        Download TA
                      </Button>
                    </div>
                  </li>
                ))}
              </ul>
            )}
            {approver && (status === "FAILED" || status === "COMPLETED") && (
              <details className="manual">
                <summary>Upload a manual revision</summary>
                <Dropzone label="Upload a TA package" accept=".tgz,.tar.gz,.spl" hint="A .tgz TA package"
                  upload={(file, progress) => uploadRevision(requestId, file, progress)} onUploaded={() => void details.reload()} />
              </details>
            )}
          </Card>
          <Card title="Validation runs">
            <ErrorBanner error={runs.error} />
            {(runs.data ?? []).length === 0 ? (
              <Empty>No validation yet.</Empty>
            ) : (
              <ul className="runs">
                {(runs.data ?? []).map((run) => (
                  <li key={run.id}>
                    <Link to={`/validations/${run.id}`}>Run {shortId(run.id)}</Link>
                    <span className={`badge run-${run.status.toLowerCase()}`}>{label(run.status)}</span>
                    <small className="muted">{when(run.completed_at ?? run.created_at)}</small>
                    {approver && (run.status === "QUEUED" || run.status === "RUNNING") && (
                      <Button kind="ghost" busy={busy === `cancel-${run.id}`} aria-label={`Cancel run ${shortId(run.id)}`}
                        onClick={() => void act(`cancel-${run.id}`, () => cancelRun(run.id))}>
                        Cancel
                      </Button>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      </div>
    </>
  );
}

/** `text` as a sentence: capital first letter, final full stop. */
function sentence(text?: string): string {
  if (!text) return "";
  const trimmed = text.trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1) + (/[.!?]$/.test(trimmed) ? "" : ".");
}

/** Why a FAILED request failed: the stage, the platform's message, the run that failed it. */
function FailureBanner({ failure, attempt }: { failure?: Failure; attempt?: number }) {
  const stage = failure?.stage && failure.stage !== "FAILURE_STAGE_UNSPECIFIED" ? failure.stage : undefined;
  return (
    <div className="banner error failure" role="status" data-testid="failure">
      <div>
        <strong>
          {stage === "VALIDATION" ? "Failed in validation" : stage === "GENERATION" ? "Failed in generation" : "Failed"}
          {attempt ? ` (attempt ${attempt})` : ""}.
        </strong>{" "}
        {sentence(failure?.message) || "The platform did not record why."}
      </div>
      <small>
        {failure?.failed_at && <>Failed {when(failure.failed_at)}. </>}
        {failure?.validation_run_id && <Link to={`/validations/${failure.validation_run_id}`}>Read the validation report</Link>}
      </small>
    </div>
  );
}

function RejectForm(props: { busy: boolean; error?: ApiError; onReject: (reason: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    props.onReject(reason);
  };
  return (
    <Card title="Reject this request" className="reject">
      <form onSubmit={submit} noValidate aria-label="Reject">
        <Field label="Reason" name="rejection_reason" error={props.error} hint="The requestor reads this">
          {(id, describedBy, invalid) => (
            <textarea id={id} rows={3} value={reason} autoFocus aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setReason(e.target.value)} />
          )}
        </Field>
        <div className="actions">
          <Button type="submit" kind="danger" busy={props.busy}>
            Reject request
          </Button>
          <Button kind="ghost" onClick={props.onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}

function SampleItem(props: { sample: LogSample; editable: boolean; onChanged: () => void; onError: (e: ApiError) => void }) {
  const { sample } = props;
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await must(api.DELETE("/v1/requests/{request_id}/samples/{sample_id}", { params: { path: { request_id: sample.request_id, sample_id: sample.id } } }));
      props.onChanged();
    } catch (caught) {
      props.onError(asApiError(caught));
      setBusy(false);
    }
  };
  const download = () =>
    downloadFile(`/v1/requests/${encodeURIComponent(sample.request_id)}/samples/${encodeURIComponent(sample.id)}:download`, sample.filename).catch(
      (e: unknown) => props.onError(asApiError(e)),
    );
  return (
    <li>
      <div className="sample-head">
        <div>
          <strong className="mono">{sample.filename}</strong>
          <br />
          <small className="muted">
            {bytes(sample.file_size)} · {sample.mime_type || "text"} · sha256 {sample.checksum.slice(0, 12)}
          </small>
        </div>
        <div className="actions">
          <Button onClick={() => void download()}>Download</Button>
          {props.editable && (
            <Button kind="danger" busy={busy} onClick={() => void remove()} aria-label={`Delete ${sample.filename}`}>
              Delete
            </Button>
          )}
        </div>
      </div>
      <details open>
        <summary>Preview</summary>
        <pre className="preview" tabIndex={0}>{sample.sample_preview || "(no preview)"}</pre>
      </details>
    </li>
  );
}
