/**
 * A validation run's report, drawn from its results document: verdict, per source type the
 * events, timestamped share and CIM-required field coverage against the thresholds, findings
 * located by file/stanza/key, invalid-value examples, AppInspect summary, debug bundle.
 */
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, downloadFile, must, type ApiError } from "../api/client";
import { CoverageBar } from "../components/charts";
import { Button, Card, DataTable, Empty, ErrorBanner, Loading, PageHeader } from "../components/ui";
import { label, percent, shortId, when } from "../format";
import { asApiError, useLoad, usePolling } from "../hooks";
import { cancelRun } from "../requests";
import { useSession } from "../session";

interface Finding {
  code: string;
  message: string;
  file?: string;
  stanza?: string;
  key?: string;
  line?: number;
}
interface Coverage {
  events: number;
  coverage: number;
}
interface CimModel {
  events: number;
  required_fields?: Record<string, Coverage>;
  invalid_values?: Record<string, { events: number; share: number; rule: string; examples: string[] }>;
}
interface Sourcetype {
  events: number;
  events_with_timestamp: number;
  timestamp_coverage: number;
  timestamp?: { mode?: string; earliest?: string | null; latest?: string | null };
  truncated_events?: number;
  fields?: Record<string, Coverage>;
  cim?: Record<string, CimModel>;
}
interface AppInspect {
  ran?: boolean;
  version?: string;
  summary?: Record<string, number>;
  failures?: Array<{ check?: string; description?: string; messages?: Array<{ message: string; file?: string; line?: number }> }>;
  problem?: string | null;
}
interface Results {
  passed?: boolean;
  fields_extracted?: number;
  errors?: Finding[];
  warnings?: Finding[];
  appinspect?: AppInspect;
  sourcetypes?: Record<string, Sourcetype>;
  thresholds?: Record<string, number>;
}

export default function ValidationReport() {
  const { runId = "" } = useParams();
  const loaded = useLoad(async () => (await must(api.GET("/v1/validations/{run_id}", { params: { path: { run_id: runId } } }))).validation_run, [runId]);
  const [downloadError, setDownloadError] = useState<ApiError>();
  const [cancelling, setCancelling] = useState(false);
  const { has } = useSession();
  const run = loaded.data;
  const moving = run?.status === "QUEUED" || run?.status === "RUNNING";
  usePolling(moving, async () => {
    await loaded.reload();
    return false;
  });
  if (loaded.loading && !run) return <Loading />;
  if (!run) return <ErrorBanner error={loaded.error} all />;
  const results = (run.results_json ?? {}) as Results;
  const t = results.thresholds ?? {};
  const sourcetypes = Object.entries(results.sourcetypes ?? {});
  const findings = [
    ...(results.errors ?? []).map((f) => ({ ...f, severity: "error" })),
    ...(results.warnings ?? []).map((f) => ({ ...f, severity: "warning" })),
  ];
  const verdict = run.status === "PASSED" ? "passed" : run.status === "FAILED" ? "failed" : "pending";
  return (
    <>
      <PageHeader
        title={`Validation report ${shortId(run.id)}`}
        subtitle={
          <>
            <Link to={`/requests/${run.request_id}`}>Back to the request</Link> · {when(run.completed_at ?? run.created_at)}
            {run.duration_seconds ? ` · ${run.duration_seconds} s` : ""}
          </>
        }
        actions={
          <>
            {moving && has("APPROVER", "ADMIN") && (
              <Button kind="danger" busy={cancelling}
                onClick={() => {
                  setCancelling(true);
                  setDownloadError(undefined);
                  cancelRun(run.id)
                    .then(() => loaded.reload())
                    .catch((e: unknown) => setDownloadError(asApiError(e)))
                    .finally(() => setCancelling(false));
                }}>
                Cancel run
              </Button>
            )}
            <Button onClick={() => void downloadFile(`/v1/validations/${encodeURIComponent(run.id)}/debug-bundle`, `debug-${shortId(run.id)}.zip`).catch((e: unknown) => setDownloadError(asApiError(e)))}>
              Download debug bundle
            </Button>
          </>
        }
      />
      <ErrorBanner error={downloadError} />
      <div className={`verdict ${verdict}`} role="status">
        <strong>{label(run.status)}</strong>
        <span>
          {(results.errors ?? []).length} errors · {(results.warnings ?? []).length} warnings · {results.fields_extracted ?? 0} fields extracted
        </span>
        {run.error_message && <span className="muted">{run.error_message}</span>}
      </div>

      {sourcetypes.length === 0 && <Card><Empty>No results yet{run.status === "QUEUED" || run.status === "RUNNING" ? "; the run is in progress" : ""}.</Empty></Card>}
      {sourcetypes.map(([name, st]) => (
        <Card key={name} title={<span className="mono">{name}</span>}>
          <div className="kpis small">
            <div className="kpi"><span className="kpi-value">{st.events}</span><span className="kpi-name">events</span></div>
            <div className="kpi"><span className="kpi-value">{percent(st.timestamp_coverage, 1)}</span><span className="kpi-name">with a timestamp</span></div>
            <div className="kpi"><span className="kpi-value">{Object.keys(st.fields ?? {}).length}</span><span className="kpi-name">fields</span></div>
            <div className="kpi"><span className="kpi-value">{st.truncated_events ?? 0}</span><span className="kpi-name">truncated</span></div>
          </div>
          <CoverageBar name="timestamps" share={st.timestamp_coverage} error={t.timestamp_error_below ?? 0.95} warning={t.timestamp_warning_below ?? 0.99}
            detail={`${st.events_with_timestamp} of ${st.events} events; ${st.timestamp?.mode ?? ""} ${st.timestamp?.earliest ? `from ${when(st.timestamp.earliest)} to ${when(st.timestamp.latest)}` : ""}`} />
          {Object.entries(st.cim ?? {}).map(([model, stats]) => (
            <div key={model} className="cim-model">
              <h3>CIM {model} <small className="muted">{stats.events} events</small></h3>
              <p className="muted legend">
                Required fields; the marks are the thresholds: an error below {percent(t.cim_error_below ?? 0.5)}, a warning below {percent(t.cim_warning_below ?? 0.95)}.
              </p>
              {Object.entries(stats.required_fields ?? {}).map(([field, cov]) => (
                <CoverageBar key={field} name={field} share={cov.coverage} error={t.cim_error_below ?? 0.5} warning={t.cim_warning_below ?? 0.95} detail={`${cov.events} events`} />
              ))}
              {Object.entries(stats.invalid_values ?? {}).map(([field, bad]) => (
                <div key={field} className="examples">
                  <strong className="mono">{field}</strong> not {bad.rule} on {bad.events} events ({percent(bad.share, 1)}), e.g.
                  <ul>{bad.examples.map((e) => <li key={e} className="mono">{e}</li>)}</ul>
                </div>
              ))}
            </div>
          ))}
        </Card>
      ))}

      <Card title="Findings">
        <DataTable
          rows={findings}
          empty="No finding."
          columns={["Severity", "File", "Stanza", "Key", "Message"]}
          row={(f, i) => (
            <tr key={i}>
              <td><span className={`badge sev-${f.severity}`}>{f.severity}</span></td>
              <td className="mono">{f.file ?? "—"}{f.line ? `:${f.line}` : ""}</td>
              <td className="mono">{f.stanza ?? "—"}</td>
              <td className="mono">{f.key ?? "—"}</td>
              <td>{f.message}</td>
            </tr>
          )}
        />
      </Card>

      <Card title="AppInspect">
        {!results.appinspect?.ran ? (
          <Empty>AppInspect did not run{results.appinspect?.problem ? `: ${results.appinspect.problem}` : ""}.</Empty>
        ) : (
          <>
            <div className="kpis small">
              {Object.entries(results.appinspect.summary ?? {}).map(([k, v]) => (
                <div className="kpi" key={k}><span className="kpi-value">{v}</span><span className="kpi-name">{k.replaceAll("_", " ")}</span></div>
              ))}
            </div>
            <ul className="findings">
              {(results.appinspect.failures ?? []).map((f, i) => (
                <li key={i}><strong>{f.check}</strong> {f.messages?.map((m) => `${m.file ?? ""} ${m.message}`).join("; ")}</li>
              ))}
            </ul>
          </>
        )}
      </Card>
    </>
  );
}
