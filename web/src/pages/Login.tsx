import { useState } from "react";
import type { FormEvent } from "react";
import { Button, ErrorBanner, Field } from "../components/ui";
import { useAction } from "../hooks";
import { useSession } from "../session";

export function Login() {
  const { signIn } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() => signIn(username, password));
  };

  return (
    <div className="login-page">
      <main className="login-card" id="main">
        <div className="brand big">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <div>
            <h1>tagen</h1>
            <p className="muted">Splunk Technology Add-on requests</p>
          </div>
        </div>
        <form onSubmit={submit} noValidate aria-label="Sign in">
          <Field label="Username" name="username" error={error}>
            {(id, describedBy, invalid) => (
              <input id={id} name="username" autoComplete="username" value={username} autoFocus required
                aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setUsername(e.target.value)} />
            )}
          </Field>
          <Field label="Password" name="password" error={error}>
            {(id, describedBy, invalid) => (
              <input id={id} name="password" type="password" autoComplete="current-password" value={password} required
                aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setPassword(e.target.value)} />
            )}
          </Field>
          <ErrorBanner error={error} fields={["username", "password"]} />
          <Button type="submit" kind="primary" busy={busy} className="wide">
            Sign in
          </Button>
        </form>
      </main>
    </div>
  );
}
