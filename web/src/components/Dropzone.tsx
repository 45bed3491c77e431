/** Drop files here (or choose them): each is uploaded with a progress bar. */
import { useRef, useState } from "react";
import type { DragEvent } from "react";
import type { ApiError } from "../api/client";
import { asApiError } from "../hooks";
import { Progress } from "./ui";

interface Upload {
  name: string;
  share: number;
  error?: ApiError;
  done: boolean;
}

export function Dropzone(props: {
  label: string;
  accept?: string;
  hint?: string;
  upload: (file: File, progress: (share: number) => void) => Promise<unknown>;
  onUploaded: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const count = useRef(0);

  const update = (index: number, change: Partial<Upload>) =>
    setUploads((all) => all.map((u, i) => (i === index ? { ...u, ...change } : u)));

  const start = (files: FileList | null) => {
    if (!files || files.length === 0) return;
    const list = Array.from(files);
    const offset = count.current;
    count.current += list.length;
    setUploads((all) => [...all, ...list.map((file) => ({ name: file.name, share: 0, done: false }))]);
    list.forEach((file, i) => {
      props
        .upload(file, (share) => update(offset + i, { share }))
        .then(() => {
          update(offset + i, { share: 1, done: true });
          props.onUploaded();
        })
        .catch((caught: unknown) => update(offset + i, { error: asApiError(caught), done: true }));
    });
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    start(event.dataTransfer.files);
  };

  return (
    <div>
      <div
        className={`dropzone ${over ? "over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        data-testid="dropzone"
      >
        <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
          <path d="M12 16V4m0 0-4 4m4-4 4 4M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <p>
          Drag and drop files here, or{" "}
          <button type="button" className="link" onClick={() => input.current?.click()}>
            choose files
          </button>
        </p>
        {props.hint && <small className="muted">{props.hint}</small>}
        <input
          ref={input}
          type="file"
          multiple
          accept={props.accept}
          aria-label={props.label}
          className="visually-hidden"
          onChange={(e) => {
            start(e.target.files);
            e.target.value = "";
          }}
        />
      </div>
      {uploads.length > 0 && (
        <ul className="uploads" aria-live="polite">
          {uploads.map((u, i) => (
            <li key={`${u.name}-${i}`} className={u.error ? "failed" : u.done ? "done" : ""}>
              <span className="mono">{u.name}</span>
              {u.error ? (
                <span className="field-error" role="alert">
                  {u.error.message}
                </span>
              ) : (
                <Progress share={u.share} label={`Uploading ${u.name}`} />
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
