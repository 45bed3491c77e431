/** The console's small component kit: fields with their error, buttons, badges, states. */
import { useId } from "react";
import type { ButtonHTMLAttributes, ReactElement, ReactNode } from "react";
import type { ApiError, RequestStatus } from "../api/client";
import { label } from "../format";

export function PageHeader(props: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p className="muted">{props.subtitle}</p>}
      </div>
      {props.actions && <div className="actions">{props.actions}</div>}
    </header>
  );
}

export function Card(props: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${props.className ?? ""}`}>
      {(props.title || props.actions) && (
        <div className="card-head">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div className="actions">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

/**
 * A labelled control with its hint and, below it, the API's message for this field
 * (`name` is the field name the API uses in its field violations).
 */
export function Field(props: {
  label: string;
  name: string;
  error?: ApiError;
  hint?: string;
  children: (id: string, describedBy: string | undefined, invalid: boolean) => ReactElement;
}) {
  const id = useId();
  const message = props.error?.forField(props.name);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [message ? errorId : "", props.hint ? hintId : ""].filter(Boolean).join(" ");
  return (
    <div className={`field ${message ? "invalid" : ""}`} data-field={props.name}>
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, describedBy || undefined, Boolean(message))}
      {props.hint && (
        <small id={hintId} className="muted">
          {props.hint}
        </small>
      )}
      {message && (
        <small id={errorId} className="field-error" role="alert">
          {message}
        </small>
      )}
    </div>
  );
}

/** An API error not tied to one field (or every error when `all`). */
export function ErrorBanner(props: { error?: ApiError; fields?: string[]; all?: boolean }) {
  const { error } = props;
  if (!error) return null;
  const named = (props.fields ?? []).some((f) => error.forField(f));
  if (named && !props.all) return null;
  return (
    <div className="banner error" role="alert">
      <strong>{title(error)}</strong> {error.message}
    </div>
  );
}

function title(error: ApiError): string {
  if (error.status === 429) return "Too many attempts.";
  switch (error.code) {
    case "PERMISSION_DENIED":
      return "Not allowed.";
    case "NOT_FOUND":
      return "Not found.";
    case "UNAVAILABLE":
      return "Unavailable.";
    case "UNAUTHENTICATED":
      return "Signed out.";
    default:
      return "Could not do that.";
  }
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function StatusBadge({ status }: { status?: RequestStatus | string }) {
  return <span className={`badge status-${(status ?? "").toLowerCase()}`}>{label(status)}</span>;
}

export function Button(
  props: ButtonHTMLAttributes<HTMLButtonElement> & { kind?: "primary" | "danger" | "ghost"; busy?: boolean },
) {
  const { kind, busy, className, children, disabled, ...rest } = props;
  return (
    <button
      type="button"
      {...rest}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={`btn ${kind ?? ""} ${className ?? ""}`}
    >
      {busy && <span className="spinner small" aria-hidden="true" />}
      {children}
    </button>
  );
}

export function Progress({ share, label: text }: { share: number; label: string }) {
  const value = Math.round(share * 100);
  return (
    <div className="progress" role="progressbar" aria-label={text} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div className="progress-fill" style={{ width: `${value}%` }} />
      <span className="progress-text">{value}%</span>
    </div>
  );
}

/** A column heading; `narrow: false` hides the column on narrow screens. */
export interface Column {
  title: string;
  narrow?: boolean;
}

/**
 * A table of `rows` (one `<tr>` each from `row`), with a spinner while the first load runs
 * and `empty` when there is no row.
 */
export function DataTable<T>(props: {
  rows: T[] | undefined;
  loading?: boolean;
  empty: ReactNode;
  columns: Array<string | Column>;
  row: (item: T, index: number) => ReactElement;
}) {
  if (props.loading && !props.rows) return <Loading />;
  const rows = props.rows ?? [];
  if (rows.length === 0) return <Empty>{props.empty}</Empty>;
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            {props.columns.map((c) => {
              const column = typeof c === "string" ? { title: c } : c;
              return (
                <th key={column.title} scope="col" className={column.narrow === false ? "hide-narrow" : undefined}>
                  {column.title}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{rows.map(props.row)}</tbody>
      </table>
    </div>
  );
}
