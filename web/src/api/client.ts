/**
 * The console's only way to the platform: the public HTTP API, typed from /openapi.json.
 *
 * `api` is an openapi-fetch client over the generated `paths`; every call carries the
 * session's access token, a 401 refreshes the tokens once and retries, and a second 401 ends
 * the session (the app returns to the sign-in page). File uploads go through XMLHttpRequest so
 * the caller gets upload progress; downloads are fetched with the token and saved as files.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type User = Schemas["tagen.identity.v1.User"];
export type Role = NonNullable<User["roles"]>[number];
export type LoginReply = Schemas["tagen.identity.v1.LoginResponse"];
export type Request = Schemas["tagen.requests.v1.Request"];
export type RequestStatus = Request["status"];
export type LogSample = Schemas["tagen.requests.v1.LogSample"];
export type TARevision = Schemas["tagen.requests.v1.TARevision"];
export type ValidationRun = Schemas["tagen.validation.v1.ValidationRun"];
export type ConfigEntry = Schemas["tagen.identity.v1.ConfigEntry"];
export type AuditLog = Schemas["tagen.audit.v1.AuditLog"];
export type AuditAction = AuditLog["action"];
export type KnowledgeDocument = Schemas["tagen.knowledge.v1.KnowledgeDocument"];
export type SearchResult = Schemas["tagen.knowledge.v1.SearchResult"];

export type Failure = Schemas["tagen.requests.v1.RequestFailure"];

export interface FieldViolation {
  field: string;
  description: string;
}

/** An API error: the gateway's `{code, message, details}` body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly violations: FieldViolation[];
  /** Seconds to wait before trying again (a 429's Retry-After), when the platform says. */
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, violations: FieldViolation[] = [], retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.violations = violations;
    this.retryAfter = retryAfter;
  }

  /** The message of the violation naming `field` (or one of its sub-fields). */
  forField(field: string): string | undefined {
    const hit = this.violations.find((v) => v.field === field || v.field.endsWith(`.${field}`));
    return hit?.description;
  }
}

interface ErrorBody {
  code?: string;
  message?: string;
  details?: Array<Record<string, unknown>>;
}

function violationsOf(details: ErrorBody["details"]): FieldViolation[] {
  const found: FieldViolation[] = [];
  for (const detail of details ?? []) {
    const list = (detail.field_violations ?? detail.fieldViolations) as
      | Array<{ field?: string; description?: string }>
      | undefined;
    for (const v of list ?? []) found.push({ field: v.field ?? "", description: v.description ?? "" });
  }
  return found;
}

/** "45 seconds", "3 minutes": a wait in words. */
export function waitInWords(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/**
 * The gateway's error reply as an ApiError; `retryAfterHeader` is the reply's Retry-After
 * (seconds), which turns a 429 into a message saying how long to wait.
 */
export function toApiError(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
  const parsed = (typeof body === "object" && body !== null ? body : {}) as ErrorBody;
  const retryAfter = retryAfterHeader ? Number.parseInt(retryAfterHeader, 10) : Number.NaN;
  const wait = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
  let message = parsed.message || `the server answered ${status}`;
  if (status === 429) {
    message = wait !== undefined ? `Wait ${waitInWords(wait)} before trying again.` : "Wait a while before trying again.";
  }
  return new ApiError(status, parsed.code ?? "UNKNOWN", message, violationsOf(parsed.details), wait);
}

// ---- tokens ---------------------------------------------------------------------------

const STORAGE_KEY = "tagen.session";

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

type Listener = (tokens: Tokens | null) => void;
let tokens: Tokens | null = readTokens();
const listeners = new Set<Listener>();

function readTokens(): Tokens | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function currentTokens(): Tokens | null {
  return tokens;
}

export function setTokens(next: Tokens | null): void {
  tokens = next;
  if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(next);
}

export function onTokens(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;

/** Trade the refresh token for new tokens once, however many calls wait on it. */
function refreshTokens(): Promise<boolean> {
  const held = tokens;
  if (!held) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const reply = await fetch("/v1/auth:refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: held.refresh_token }),
      });
      if (!reply.ok) return false;
      const body = (await reply.json()) as Tokens;
      setTokens({ access_token: body.access_token, refresh_token: body.refresh_token });
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function withToken(request: globalThis.Request): globalThis.Request {
  const copy = request.clone();
  if (tokens) copy.headers.set("Authorization", `Bearer ${tokens.access_token}`);
  return copy;
}

/** fetch with the session's token: a 401 refreshes once and retries, then ends the session. */
export async function authFetch(input: globalThis.Request): Promise<Response> {
  const retry = input.clone();
  const first = await fetch(withToken(input));
  if (first.status !== 401 || !tokens) return first;
  if (await refreshTokens()) {
    const second = await fetch(withToken(retry));
    if (second.status !== 401) return second;
  }
  setTokens(null);
  return first;
}

export const api = createClient<paths>({ baseUrl: "", fetch: authFetch });

/** The data of an openapi-fetch reply, or its error as an ApiError. */
export async function must<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let reply: { data?: T; error?: unknown; response: Response };
  try {
    reply = await call;
  } catch {
    throw new ApiError(0, "UNAVAILABLE", "the platform cannot be reached; check your connection");
  }
  if (reply.error !== undefined || !reply.response.ok) {
    throw toApiError(reply.response.status, reply.error, reply.response.headers.get("Retry-After"));
  }
  return reply.data as T;
}

// ---- files ----------------------------------------------------------------------------

/**
 * POST a file as multipart/form-data with upload progress (0..1); resolves with the JSON
 * reply. A 401 refreshes the tokens once and sends again.
 */
export function uploadFile<T>(
  url: string,
  file: File,
  fields: Record<string, string>,
  onProgress: (share: number) => void,
): Promise<T> {
  const send = (): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      if (tokens) xhr.setRequestHeader("Authorization", `Bearer ${tokens.access_token}`);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        let body: unknown = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () =>
        reject(new ApiError(0, "UNAVAILABLE", "the upload could not reach the platform"));
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", file, file.name);
      xhr.send(form);
    });
  return (async () => {
    let reply = await send();
    if (reply.status === 401 && tokens) {
      if (!(await refreshTokens())) {
        setTokens(null);
      } else {
        onProgress(0);
        reply = await send();
      }
    }
    if (reply.status < 200 || reply.status >= 300) throw toApiError(reply.status, reply.body);
    onProgress(1);
    return reply.body as T;
  })();
}

/** GET a file with the session's token and hand it to the browser as a download. */
export async function downloadFile(url: string, fallbackName: string): Promise<void> {
  let reply: Response;
  try {
    reply = await authFetch(new globalThis.Request(url));
  } catch {
    throw new ApiError(0, "UNAVAILABLE", "the platform cannot be reached; check your connection");
  }
  if (!reply.ok) {
    let body: unknown = null;
    try {
      body = await reply.json();
    } catch {
      body = null;
    }
    throw toApiError(reply.status, body);
  }
  const disposition = reply.headers.get("Content-Disposition") ?? "";
  const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = named?.[1] ? decodeURIComponent(named[1]) : fallbackName;
  const blob = await reply.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
