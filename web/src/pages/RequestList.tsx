/** Requests (a requestor sees their own) with a status filter and a search box. */
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import type { RequestStatus } from "../api/client";
import { Card, DataTable, ErrorBanner, PageHeader, StatusBadge } from "../components/ui";
import { ago, label, shortId, STATUSES } from "../format";
import { useLoad } from "../hooks";
import { listRequests } from "../requests";
import { useSession } from "../session";

export function RequestList() {
  const { has } = useSession();
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") ?? "") as RequestStatus | "";
  const query = params.get("q") ?? "";
  const [typed, setTyped] = useState(query);
  const { data, error, loading } = useLoad(() => listRequests(status || undefined, query), [status, query]);

  const change = (next: { status?: string; q?: string }) => {
    const merged = { status, q: query, ...next };
    const clean: Record<string, string> = {};
    if (merged.status) clean.status = merged.status;
    if (merged.q) clean.q = merged.q;
    setParams(clean);
  };
  const search = (event: FormEvent) => {
    event.preventDefault();
    change({ q: typed.trim() });
  };

  return (
    <>
      <PageHeader
        title={has("APPROVER", "ADMIN") ? "Requests" : "My requests"}
        actions={
          has("REQUESTOR", "ADMIN") && (
            <Link className="btn primary" to="/requests/new">
              New request
            </Link>
          )
        }
      />
      <Card>
        <form className="filters" onSubmit={search} role="search">
          <div className="field inline">
            <label htmlFor="status-filter">Status</label>
            <select id="status-filter" value={status} onChange={(e) => change({ status: e.target.value })}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {label(s)}
                </option>
              ))}
            </select>
          </div>
          <div className="field inline grow">
            <label htmlFor="request-search">Search</label>
            <input id="request-search" type="search" placeholder="Source system or description" value={typed} onChange={(e) => setTyped(e.target.value)} />
          </div>
          <button className="btn" type="submit">
            Search
          </button>
        </form>
        <ErrorBanner error={error} />
        <DataTable
          rows={data}
          loading={loading}
          empty="No request matches."
          columns={["Source system", "Status", { title: "Description", narrow: false }, { title: "Id", narrow: false }, "Updated"]}
          row={(r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/requests/${r.id}`}>{r.source_system}</Link>
              </td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td className="hide-narrow clip">{r.description}</td>
              <td className="hide-narrow mono">{shortId(r.id)}</td>
              <td>{ago(r.updated_at ?? r.created_at)}</td>
            </tr>
          )}
        />
      </Card>
    </>
  );
}
