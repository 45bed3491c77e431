/** Routes: sign-in for visitors; the pages inside the layout for a signed-in user. */
import { lazy, Suspense } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { Layout } from "./components/Layout";
import { Loading } from "./components/ui";
import { Home } from "./pages/Home";
import { Login } from "./pages/Login";
import { NotFound } from "./pages/NotFound";
import { RequestList } from "./pages/RequestList";
import { RequestPage } from "./pages/RequestPage";
import { NewRequest } from "./pages/NewRequest";
import { useSession } from "./session";

// Pages most people never open load on first visit.
const Approvals = lazy(() => import("./pages/Approvals"));
const ValidationReport = lazy(() => import("./pages/ValidationReport"));
const Users = lazy(() => import("./pages/admin/Users"));
const Config = lazy(() => import("./pages/admin/Config"));
const Audit = lazy(() => import("./pages/admin/Audit"));
const Knowledge = lazy(() => import("./pages/Knowledge"));
const Account = lazy(() => import("./pages/Account"));

function fromState(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === "string" && from.startsWith("/") && from !== "/login" ? from : "/";
}

export function App() {
  const { user, ready } = useSession();
  const location = useLocation();
  if (!ready) return <Loading what="Starting" />;
  if (!user) {
    return location.pathname === "/login" ? <Login /> : <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<Navigate to={fromState(location.state)} replace />} />
        <Route element={<Layout />}>
          <Route index element={<Home />} />
          <Route path="requests" element={<RequestList />} />
          <Route path="requests/new" element={<NewRequest />} />
          <Route path="requests/:requestId" element={<RequestPage />} />
          <Route path="validations/:runId" element={<ValidationReport />} />
          <Route path="approvals" element={<Approvals />} />
          <Route path="knowledge" element={<Knowledge />} />
          <Route path="account" element={<Account />} />
          <Route path="admin/users" element={<Users />} />
          <Route path="admin/config" element={<Config />} />
          <Route path="admin/audit" element={<Audit />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
