/** Admin: list and find users, create one, change roles, deactivate or reactivate. */
import { useState } from "react";
import type { FormEvent } from "react";
import { api, must, type Role, type User } from "../../api/client";
import { Button, Card, DataTable, ErrorBanner, Field, PageHeader } from "../../components/ui";
import { ago, label } from "../../format";
import { useAction, useLoad } from "../../hooks";

const ROLES: Role[] = ["REQUESTOR", "APPROVER", "KNOWLEDGE_MANAGER", "ADMIN"];

export default function Users() {
  const [query, setQuery] = useState("");
  const users = useLoad(async () => (await must(api.GET("/v1/users", { params: { query: { query: query || undefined, page_size: 200 } } }))).users ?? [], [query]);
  const [creating, setCreating] = useState(false);
  const { error, run } = useAction();

  const change = async (action: () => Promise<unknown>) => {
    if (await run(action)) await users.reload();
  };

  return (
    <>
      <PageHeader title="Users" actions={<Button kind="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>New user</Button>} />
      {creating && <CreateUser onCreated={() => { setCreating(false); void users.reload(); }} />}
      <ErrorBanner error={error ?? users.error} />
      <Card>
        <div className="filters" role="search">
          <div className="field inline grow">
            <label htmlFor="user-search">Find</label>
            <input id="user-search" type="search" placeholder="Username, name or email" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
        </div>
        <DataTable
          rows={users.data}
          loading={users.loading}
          empty="No user matches."
          columns={["User", "Roles", { title: "Last sign-in", narrow: false }, "State"]}
          row={(u) => <UserRow key={u.id} user={u} change={change} />}
        />
      </Card>
    </>
  );
}

function UserRow({ user, change }: { user: User; change: (action: () => Promise<unknown>) => Promise<void> }) {
  const path = { user_id: user.id };
  const toggle = (role: Role, on: boolean) =>
    change(() =>
      on
        ? must(api.POST("/v1/users/{user_id}/roles", { params: { path }, body: { role } }))
        : must(api.DELETE("/v1/users/{user_id}/roles/{role}", { params: { path: { user_id: user.id, role } } })),
    );
  return (
    <tr data-user={user.username} className={user.is_active ? "" : "inactive"}>
      <td>
        <strong>{user.username}</strong>
        <br />
        <small className="muted">{[user.full_name, user.email].filter(Boolean).join(" · ")}</small>
      </td>
      <td>
        <fieldset className="roles">
          <legend className="visually-hidden">Roles of {user.username}</legend>
          {ROLES.map((role) => (
            <label key={role} className="chip">
              <input type="checkbox" checked={user.roles?.includes(role) ?? false} onChange={(e) => void toggle(role, e.target.checked)} />
              {label(role)}
            </label>
          ))}
        </fieldset>
      </td>
      <td className="hide-narrow">{ago(user.last_login)}</td>
      <td className="state">
        <span className={`badge ${user.is_active ? "status-completed" : "status-rejected"}`}>{user.is_active ? "Active" : "Deactivated"}</span>{" "}
        <Button kind={user.is_active ? "danger" : undefined} aria-label={`${user.is_active ? "Deactivate" : "Reactivate"} ${user.username}`}
          onClick={() =>
            void change(() =>
              user.is_active
                ? must(api.DELETE("/v1/users/{user_id}", { params: { path } }))
                : must(api.PATCH("/v1/users/{user_id}", { params: { path }, body: { is_active: true } })),
            )
          }>
          {user.is_active ? "Deactivate" : "Reactivate"}
        </Button>
      </td>
    </tr>
  );
}

const CREATE_FIELDS = ["username", "email", "password", "full_name", "roles"];

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ username: "", email: "", full_name: "", password: "" });
  const [roles, setRoles] = useState<Role[]>(["REQUESTOR"]);
  const { busy, error, run } = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() => must(api.POST("/v1/users", { body: { ...form, roles } }))).then((done) => done && onCreated());
  };
  const input = (name: keyof typeof form, text: string, type = "text") => (
    <Field label={text} name={name} error={error}>
      {(id, describedBy, invalid) => (
        <input id={id} type={type} value={form[name]} aria-describedby={describedBy} aria-invalid={invalid}
          autoComplete={type === "password" ? "new-password" : "off"} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
      )}
    </Field>
  );
  return (
    <Card title="New user">
      <form onSubmit={submit} noValidate aria-label="New user" className="form-grid">
        {input("username", "Username")}
        {input("email", "Email", "email")}
        {input("full_name", "Full name")}
        {input("password", "Password", "password")}
        <fieldset className="roles wide">
          <legend>Roles</legend>
          {ROLES.map((role) => (
            <label key={role} className="chip">
              <input type="checkbox" checked={roles.includes(role)} onChange={(e) => setRoles(e.target.checked ? [...roles, role] : roles.filter((r) => r !== role))} />
              {label(role)}
            </label>
          ))}
        </fieldset>
        <div className="wide">
          <ErrorBanner error={error} fields={CREATE_FIELDS} />
          <Button type="submit" kind="primary" busy={busy}>Create user</Button>
        </div>
      </form>
    </Card>
  );
}
