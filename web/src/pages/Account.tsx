/**
 * The signed-in user's own account: who they are, a password change (the current password,
 * then a new one the platform's password policy accepts; its refusal shows next to the field)
 * and "sign out everywhere", which ends every session of the user on every device.
 */
import { useState } from "react";
import type { FormEvent } from "react";
import { api, must, setTokens } from "../api/client";
import { Button, Card, ErrorBanner, Field, PageHeader } from "../components/ui";
import { label } from "../format";
import { useAction } from "../hooks";
import { useSession } from "../session";

export default function Account() {
  const { user } = useSession();
  return (
    <>
      <PageHeader title="Your account" subtitle={user?.email} />
      <div className="grid account-grid">
        <Card title="Profile">
          <dl className="facts">
            <dt>Username</dt>
            <dd className="mono">{user?.username}</dd>
            <dt>Name</dt>
            <dd>{user?.full_name || "—"}</dd>
            <dt>Roles</dt>
            <dd>{(user?.roles ?? []).map(label).join(", ") || "No role"}</dd>
          </dl>
        </Card>
        <ChangePassword />
        <SignOutEverywhere />
      </div>
    </>
  );
}

function ChangePassword() {
  const { user, signIn } = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    void run(async () => {
      await must(api.POST("/v1/auth:changePassword", { body: { current_password: current, new_password: next } }));
      // The change ends every session, this one too: sign in again with the new password.
      await signIn(user?.username ?? "", next);
      setCurrent("");
      setNext("");
      setDone(true);
    });
  };

  return (
    <Card title="Change password">
      <form onSubmit={submit} noValidate aria-label="Change password">
        <Field label="Current password" name="current_password" error={error}>
          {(id, describedBy, invalid) => (
            <input id={id} type="password" autoComplete="current-password" value={current} required
              aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setCurrent(e.target.value)} />
          )}
        </Field>
        <Field label="New password" name="new_password" error={error} hint="At least 12 characters, not your username, not a common password">
          {(id, describedBy, invalid) => (
            <input id={id} type="password" autoComplete="new-password" value={next} required
              aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setNext(e.target.value)} />
          )}
        </Field>
        <ErrorBanner error={error} fields={["current_password", "new_password"]} />
        {done && (
          <div className="banner success" role="status">
            <strong>Password changed.</strong> Your other sessions are signed out.
          </div>
        )}
        <Button type="submit" kind="primary" busy={busy}>
          Change password
        </Button>
      </form>
    </Card>
  );
}

function SignOutEverywhere() {
  const { busy, error, run } = useAction();
  return (
    <Card title="Sessions">
      <p className="muted">Signed in on another computer you no longer use? End every session of your account, this one included.</p>
      <ErrorBanner error={error} />
      <Button kind="danger" busy={busy}
        onClick={() =>
          void run(async () => {
            await must(api.POST("/v1/auth:logoutEverywhere", { body: {} }));
            setTokens(null);
          })
        }>
        Sign out everywhere
      </Button>
    </Card>
  );
}
