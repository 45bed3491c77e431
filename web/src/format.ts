/** Display helpers: dates, sizes, status names. */
import type { RequestStatus } from "./api/client";

export function when(value?: string | null): string {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function ago(value?: string | null): string {
  if (!value) return "—";
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function bytes(value?: string | number | null): string {
  const size = Number(value ?? 0);
  if (!Number.isFinite(size) || size <= 0) return "0 B";
  const units = ["B", "KB", "MB", "GB"];
  let n = size;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n.toFixed(unit === 0 || n >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function percent(share: number, digits = 0): string {
  return `${(share * 100).toFixed(digits)}%`;
}

const LABELS: Record<string, string> = { GENERATING_TA: "Generating TA", CIM: "CIM", KNOWLEDGE_MANAGER: "Knowledge manager" };

export function label(name?: string | null): string {
  if (!name) return "—";
  const known = LABELS[name];
  if (known) return known;
  return name.charAt(0) + name.slice(1).toLowerCase().replaceAll("_", " ");
}

export const STATUSES: RequestStatus[] = [
  "NEW",
  "PENDING_APPROVAL",
  "APPROVED",
  "REJECTED",
  "GENERATING_TA",
  "VALIDATING",
  "COMPLETED",
  "FAILED",
];

/** Statuses the platform still moves on its own (the request page keeps polling). */
export const MOVING: ReadonlySet<RequestStatus> = new Set<RequestStatus>([
  "APPROVED",
  "GENERATING_TA",
  "VALIDATING",
]);

export function shortId(id?: string): string {
  return id ? id.slice(0, 8) : "—";
}
