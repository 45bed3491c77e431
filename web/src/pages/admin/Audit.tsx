/** Admin: the audit trail, filtered by user, action, entity and time, with links to the entities. */
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, must, type AuditAction, type AuditLog } from "../../api/client";
import { Card, DataTable, ErrorBanner, PageHeader } from "../../components/ui";
import { label, shortId, when } from "../../format";
import { useLoad } from "../../hooks";

const ACTIONS: AuditAction[] = ["CREATE", "UPDATE", "DELETE", "APPROVE", "REJECT", "DOWNLOAD", "UPLOAD", "LOGIN", "LOGOUT"];
const FILTERS = ["user_id", "action", "entity_type", "entity_id", "start_time", "end_time"] as const;

/** The console page of an audited entity, where there is one. */
function entityLink(log: AuditLog): string | null {
  switch (log.entity_type) {
    case "request":
    case "ta_request":
      return `/requests/${log.entity_id}`;
    case "log_sample":
    case "ta_revision": {
      const requestId = log.details?.request_id;
      return typeof requestId === "string" ? `/requests/${requestId}` : null;
    }
    case "validation_run":
      return `/validations/${log.entity_id}`;
    case "user":
      return `/admin/audit?entity_type=user&entity_id=${log.entity_id}`;
    default:
      return null;
  }
}

function isoOrUndefined(local: string | null): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export default function Audit() {
  const [params, setParams] = useSearchParams();
  const current = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Record<(typeof FILTERS)[number], string>;
  const [draft, setDraft] = useState(current);
  const logs = useLoad(async () => {
    const reply = await must(
      api.GET("/v1/audit-logs", {
        params: {
          query: {
            user_id: current.user_id || undefined,
            action: (current.action || undefined) as AuditAction | undefined,
            entity_type: current.entity_type || undefined,
            entity_id: current.entity_id || undefined,
            start_time: isoOrUndefined(current.start_time),
            end_time: isoOrUndefined(current.end_time),
            page_size: 200,
          },
        },
      }),
    );
    return reply.audit_logs ?? [];
  }, [params.toString()]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setParams(Object.fromEntries(Object.entries(draft).filter(([, v]) => v)));
  };
  const text = (name: (typeof FILTERS)[number], caption: string, type = "text") => (
    <div className="field">
      <label htmlFor={`audit-${name}`}>{caption}</label>
      <input id={`audit-${name}`} type={type} value={draft[name]} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
    </div>
  );

  return (
    <>
      <PageHeader title="Audit trail" subtitle="Every change on the platform, newest first" />
      <Card>
        <form className="form-grid filters-grid" onSubmit={apply} role="search" aria-label="Filter the audit trail">
          {text("user_id", "User id")}
          <div className="field">
            <label htmlFor="audit-action">Action</label>
            <select id="audit-action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })}>
              <option value="">Any action</option>
              {ACTIONS.map((a) => <option key={a} value={a}>{label(a)}</option>)}
            </select>
          </div>
          {text("entity_type", "Entity type")}
          {text("entity_id", "Entity id")}
          {text("start_time", "From", "datetime-local")}
          {text("end_time", "To", "datetime-local")}
          <div className="actions wide">
            <button className="btn primary" type="submit">Apply filters</button>
            <button className="btn ghost" type="button" onClick={() => { setDraft(Object.fromEntries(FILTERS.map((f) => [f, ""])) as typeof draft); setParams({}); }}>Clear</button>
          </div>
        </form>
      </Card>
      <ErrorBanner error={logs.error} />
      <Card>
        <DataTable
          rows={logs.data}
          loading={logs.loading}
          empty="No event matches."
          columns={["When", "Action", "Entity", "User", { title: "Details", narrow: false }]}
          row={(log) => {
            const to = entityLink(log);
            return (
              <tr key={log.id}>
                <td>{when(log.timestamp)}</td>
                <td><span className="badge">{label(log.action)}</span></td>
                <td>
                  {log.entity_type}{" "}
                  {to ? <Link to={to} className="mono">{shortId(log.entity_id)}</Link> : <span className="mono">{shortId(log.entity_id)}</span>}
                </td>
                <td>
                  {log.user_id ? <Link to={`/admin/audit?user_id=${log.user_id}`} className="mono">{shortId(log.user_id)}</Link> : "system"}
                </td>
                <td className="hide-narrow mono clip">{log.details ? JSON.stringify(log.details) : ""}</td>
              </tr>
            );
          }}
        />
      </Card>
    </>
  );
}
