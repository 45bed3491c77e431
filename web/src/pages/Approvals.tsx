/** The approver's queue: requests waiting for approval, oldest first, with the counts. */
import { Link } from "react-router-dom";
import { api, must } from "../api/client";
import { Card, Empty, ErrorBanner, Loading, PageHeader } from "../components/ui";
import { ago, label, when } from "../format";
import { useLoad } from "../hooks";
import { listRequests } from "../requests";

export default function Approvals() {
  const { data, error, loading } = useLoad(async () => {
    const [pending, statistics] = await Promise.all([
      listRequests("PENDING_APPROVAL", undefined, 500),
      must(api.GET("/v1/requests:statistics")),
    ]);
    const oldestFirst = [...pending].sort((a, b) => (a.created_at ?? "").localeCompare(b.created_at ?? ""));
    return { pending: oldestFirst, counts: statistics.counts ?? {} };
  }, []);
  const counts = data?.counts ?? {};
  return (
    <>
      <PageHeader title="Approvals" subtitle="Requests waiting for a decision, oldest first" />
      <ErrorBanner error={error} />
      <div className="kpis">
        {["PENDING_APPROVAL", "APPROVED", "REJECTED", "FAILED"].map((s) => (
          <div className="kpi" key={s}>
            <span className="kpi-value">{Number(counts[s] ?? 0)}</span>
            <span className="kpi-name">{label(s)}</span>
          </div>
        ))}
      </div>
      <Card title={`Waiting (${data?.pending.length ?? 0})`}>
        {loading && !data ? (
          <Loading />
        ) : (data?.pending ?? []).length === 0 ? (
          <Empty>Nothing waits for approval. Well done.</Empty>
        ) : (
          <ol className="queue">
            {(data?.pending ?? []).map((r) => (
              <li key={r.id}>
                <div>
                  <Link to={`/requests/${r.id}`}>{r.source_system}</Link>
                  <p className="muted clip">{r.description || "No description"}</p>
                </div>
                <div className="queue-meta">
                  <span title={when(r.created_at)}>waiting {ago(r.updated_at ?? r.created_at)}</span>
                  {r.cim_required && <span className="badge">CIM</span>}
                </div>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </>
  );
}
