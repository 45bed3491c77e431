/** The overview: requests by status, throughput per day, pass rate, recent requests. */
import { Link } from "react-router-dom";
import { api, must, type Request } from "../api/client";
import { BarList, Columns, Ring, type Datum } from "../components/charts";
import { Card, Empty, ErrorBanner, Loading, PageHeader, StatusBadge } from "../components/ui";
import { ago, label, STATUSES } from "../format";
import { useLoad } from "../hooks";
import { listRequests } from "../requests";
import { useSession } from "../session";

const TONES: Record<string, string> = {
  NEW: "slate",
  PENDING_APPROVAL: "amber",
  APPROVED: "blue",
  REJECTED: "red",
  GENERATING_TA: "violet",
  VALIDATING: "violet",
  COMPLETED: "green",
  FAILED: "red",
};
const DAYS = 14;

function perDay(requests: Request[], pick: (r: Request) => string | undefined): Datum[] {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const days: Datum[] = [];
  for (let i = DAYS - 1; i >= 0; i--) {
    const day = new Date(today.getTime() - i * 86_400_000);
    days.push({ label: day.toLocaleDateString(undefined, { month: "short", day: "numeric" }), value: 0 });
  }
  for (const r of requests) {
    const at = pick(r);
    if (!at) continue;
    const day = new Date(at);
    day.setHours(0, 0, 0, 0);
    const index = DAYS - 1 - Math.round((today.getTime() - day.getTime()) / 86_400_000);
    const slot = days[index];
    if (slot) slot.value += 1;
  }
  return days;
}

export function Home() {
  const { user, has } = useSession();
  const seesAll = has("APPROVER", "ADMIN");
  const loaded = useLoad(async () => {
    const [requests, statistics] = await Promise.all([
      listRequests(undefined, undefined, 500),
      seesAll ? must(api.GET("/v1/requests:statistics")) : Promise.resolve(undefined),
    ]);
    const counts: Record<string, number> = {};
    if (statistics?.counts) {
      for (const [k, v] of Object.entries(statistics.counts)) counts[k] = Number(v);
    } else {
      for (const r of requests) counts[r.status] = (counts[r.status] ?? 0) + 1;
    }
    return { requests, counts };
  }, [seesAll]);

  const { data, error, loading } = loaded;
  const counts = data?.counts ?? {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const finished = (counts.COMPLETED ?? 0) + (counts.FAILED ?? 0);
  const byStatus: Datum[] = STATUSES.map((s) => ({ label: label(s), value: counts[s] ?? 0, tone: TONES[s] }));
  const recent = [...(data?.requests ?? [])].slice(0, 6);

  return (
    <>
      <PageHeader
        title={`Welcome, ${user?.full_name || user?.username}`}
        subtitle={seesAll ? "Every request on the platform" : "Your requests at a glance"}
        actions={
          has("REQUESTOR", "ADMIN") && (
            <Link className="btn primary" to="/requests/new">
              New request
            </Link>
          )
        }
      />
      <ErrorBanner error={error} />
      {loading && !data ? (
        <Loading />
      ) : (
        <>
          <div className="kpis">
            <Kpi name="Requests" value={total} />
            <Kpi name="Waiting for approval" value={counts.PENDING_APPROVAL ?? 0} to={seesAll ? "/approvals" : "/requests?status=PENDING_APPROVAL"} />
            <Kpi name="In progress" value={(counts.APPROVED ?? 0) + (counts.GENERATING_TA ?? 0) + (counts.VALIDATING ?? 0)} />
            <Kpi name="Completed" value={counts.COMPLETED ?? 0} to="/requests?status=COMPLETED" />
          </div>
          <div className="grid two">
            <Card title="Requests by status">
              <BarList data={byStatus} title="Requests by status" />
            </Card>
            <Card title="Validation pass rate">
              <Ring
                share={finished ? (counts.COMPLETED ?? 0) / finished : null}
                title="Validation pass rate"
                caption={finished ? `${counts.COMPLETED ?? 0} completed of ${finished} finished requests` : "No finished request yet"}
              />
            </Card>
          </div>
          <div className="grid two">
            <Card title={`Throughput, last ${DAYS} days`}>
              <p className="muted legend">Requests created per day</p>
              <Columns data={perDay(data?.requests ?? [], (r) => r.created_at)} title="Requests created per day" />
              <p className="muted legend">Requests completed per day</p>
              <Columns data={perDay(data?.requests ?? [], (r) => (r.status === "COMPLETED" ? r.completed_at : undefined)).map((d) => ({ ...d, tone: "green" }))} title="Requests completed per day" />
            </Card>
            <Card title="Recent requests" actions={<Link to="/requests">All requests</Link>}>
              {recent.length === 0 ? (
                <Empty>No request yet.</Empty>
              ) : (
                <ul className="recent">
                  {recent.map((r) => (
                    <li key={r.id}>
                      <Link to={`/requests/${r.id}`}>{r.source_system}</Link>
                      <StatusBadge status={r.status} />
                      <small className="muted">{ago(r.updated_at ?? r.created_at)}</small>
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          </div>
        </>
      )}
    </>
  );
}

function Kpi({ name, value, to }: { name: string; value: number; to?: string }) {
  const body = (
    <>
      <span className="kpi-value">{value}</span>
      <span className="kpi-name">{name}</span>
    </>
  );
  return to ? (
    <Link className="kpi" to={to}>
      {body}
    </Link>
  ) : (
    <div className="kpi">{body}</div>
  );
}
