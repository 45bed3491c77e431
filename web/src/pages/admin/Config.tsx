/** Admin: system configuration rows, edited with a control that fits each value type; secrets stay masked. */
import { useState } from "react";
import type { FormEvent } from "react";
import { api, must, type ConfigEntry } from "../../api/client";
import { Button, Card, Empty, ErrorBanner, Field, Loading, PageHeader } from "../../components/ui";
import { when } from "../../format";
import { useAction, useLoad } from "../../hooks";

const TYPES = ["string", "integer", "boolean", "json", "list"];

export default function Config() {
  const entries = useLoad(async () => (await must(api.GET("/v1/config"))).entries ?? [], []);
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Configuration" subtitle="Values here override the environment while the platform runs" actions={<Button kind="primary" onClick={() => setEditing("")}>New setting</Button>} />
      <ErrorBanner error={entries.error} />
      {editing === "" && <ConfigForm onDone={() => { setEditing(null); void entries.reload(); }} onCancel={() => setEditing(null)} />}
      <Card>
        {entries.loading && !entries.data ? (
          <Loading />
        ) : (entries.data ?? []).length === 0 ? (
          <Empty>No setting is stored; the environment's values apply.</Empty>
        ) : (
          <ul className="config-list">
            {(entries.data ?? []).map((entry) =>
              editing === entry.key ? (
                <li key={entry.key}>
                  <ConfigForm entry={entry} onDone={() => { setEditing(null); void entries.reload(); }} onCancel={() => setEditing(null)} />
                </li>
              ) : (
                <li key={entry.key} className="config-row">
                  <div>
                    <strong className="mono">{entry.key}</strong> <span className="badge">{entry.value_type}</span>
                    {entry.is_secret && <span className="badge status-pending_approval">secret</span>}
                    <br />
                    <small className="muted">{entry.description || "No description"} · updated {when(entry.updated_at)}</small>
                  </div>
                  <code className="config-value">{entry.is_secret ? "••••••••" : entry.value}</code>
                  <Button onClick={() => setEditing(entry.key)} aria-label={`Edit ${entry.key}`}>Edit</Button>
                </li>
              ),
            )}
          </ul>
        )}
      </Card>
    </>
  );
}

function ConfigForm(props: { entry?: ConfigEntry; onDone: () => void; onCancel: () => void }) {
  const { entry } = props;
  const [key, setKey] = useState(entry?.key ?? "");
  const [valueType, setValueType] = useState(entry?.value_type || "string");
  const [value, setValue] = useState(entry && !entry.is_secret ? entry.value : "");
  const [description, setDescription] = useState(entry?.description ?? "");
  const [secret, setSecret] = useState(entry?.is_secret ?? false);
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { value, value_type: valueType, description, is_secret: secret };
    void run(() => must(api.PUT("/v1/config/{key}", { params: { path: { key } }, body }))).then((done) => done && props.onDone());
  };

  return (
    <Card title={entry ? `Edit ${entry.key}` : "New setting"}>
      <form onSubmit={submit} noValidate className="form-grid" aria-label={entry ? `Edit ${entry.key}` : "New setting"}>
        <Field label="Key" name="key" error={error}>
          {(id, d, invalid) => <input id={id} value={key} readOnly={Boolean(entry)} aria-describedby={d} aria-invalid={invalid} onChange={(e) => setKey(e.target.value.toUpperCase())} />}
        </Field>
        <Field label="Type" name="value_type" error={error}>
          {(id, d, invalid) => (
            <select id={id} value={valueType} aria-describedby={d} aria-invalid={invalid} onChange={(e) => setValueType(e.target.value)}>
              {TYPES.map((t) => <option key={t}>{t}</option>)}
            </select>
          )}
        </Field>
        <Field label="Value" name="value" error={error} hint={secret && entry?.is_secret ? "The current value stays hidden; type the new one" : undefined}>
          {(id, d, invalid) =>
            valueType === "boolean" ? (
              <select id={id} value={value || "false"} aria-describedby={d} aria-invalid={invalid} onChange={(e) => setValue(e.target.value)}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : valueType === "json" || valueType === "list" ? (
              <textarea id={id} rows={3} className="mono" value={value} aria-describedby={d} aria-invalid={invalid} onChange={(e) => setValue(e.target.value)} />
            ) : (
              <input id={id} type={secret ? "password" : valueType === "integer" ? "number" : "text"} autoComplete="off" value={value}
                aria-describedby={d} aria-invalid={invalid} onChange={(e) => setValue(e.target.value)} />
            )
          }
        </Field>
        <Field label="Description" name="description" error={error}>
          {(id, d, invalid) => <input id={id} value={description} aria-describedby={d} aria-invalid={invalid} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <div className="field check wide">
          <input id={`secret-${key}`} type="checkbox" checked={secret} onChange={(e) => setSecret(e.target.checked)} />
          <label htmlFor={`secret-${key}`}>Secret (masked when read)</label>
        </div>
        <div className="wide">
          <ErrorBanner error={error} fields={["key", "value", "value_type", "description"]} />
          <div className="actions">
            <Button type="submit" kind="primary" busy={busy}>Save</Button>
            <Button kind="ghost" onClick={props.onCancel}>Cancel</Button>
          </div>
        </div>
      </form>
    </Card>
  );
}
