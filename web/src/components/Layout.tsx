/** The frame around every signed-in page: top bar with the user, navigation by role. */
import { useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";
import type { Role } from "../api/client";
import { label } from "../format";
import { useSession } from "../session";
import { ErrorBoundary } from "./ErrorBoundary";

interface Link {
  to: string;
  text: string;
  roles?: Role[];
}

const LINKS: Link[] = [
  { to: "/", text: "Overview" },
  { to: "/requests", text: "Requests" },
  { to: "/approvals", text: "Approvals", roles: ["APPROVER", "ADMIN"] },
  { to: "/knowledge", text: "Knowledge" },
  { to: "/account", text: "Your account" },
  { to: "/admin/users", text: "Users", roles: ["ADMIN"] },
  { to: "/admin/config", text: "Configuration", roles: ["ADMIN"] },
  { to: "/admin/audit", text: "Audit trail", roles: ["ADMIN"] },
];

export function Layout() {
  const { user, has, signOut } = useSession();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const links = LINKS.filter((l) => !l.roles || has(...l.roles));
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="/" aria-label="tagen console home">
          <img src="/favicon.svg" alt="" width="26" height="26" />
          <span>tagen</span>
          <small>TA requests</small>
        </a>
        <button
          type="button"
          className="btn ghost menu-toggle"
          aria-expanded={open}
          aria-controls="nav"
          onClick={() => setOpen(!open)}
        >
          Menu
        </button>
        <div className="who">
          <span className="avatar" aria-hidden="true">
            {(user?.full_name || user?.username || "?").charAt(0).toUpperCase()}
          </span>
          <span className="who-text">
            <strong>{user?.full_name || user?.username}</strong>
            <small className="muted">{(user?.roles ?? []).map(label).join(", ") || "no role"}</small>
          </span>
          <button type="button" className="btn ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="body">
        <nav id="nav" className={`nav ${open ? "open" : ""}`} aria-label="Main">
          {links.map((l) => (
            <NavLink key={l.to} to={l.to} end={l.to === "/"} onClick={() => setOpen(false)}>
              {l.text}
            </NavLink>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          <ErrorBoundary resetKey={location.pathname}>
            <Outlet />
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
