/** Loading data into components: one call with loading/error state, and polling with backoff. */
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "./api/client";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
  set: (value: T) => void;
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, "UNKNOWN", "something went wrong; try again");
}

/** Run `load` now and whenever `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await run();
      if (mine === generation.current) {
        setData(value);
        setError(undefined);
      }
    } catch (caught) {
      if (mine === generation.current) setError(asApiError(caught));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload, set: setData };
}

/**
 * Call `tick` while `active`: first after `initialMs`, then with the delay doubling up to
 * `maxMs`; `tick` returning true (something changed) resets the delay.
 */
export function usePolling(
  active: boolean,
  tick: () => Promise<boolean>,
  initialMs = 1000,
  maxMs = 15000,
): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    if (!active) return;
    let delay = initialMs;
    let timer: number | undefined;
    let stopped = false;
    const step = async () => {
      let changed = false;
      try {
        changed = await tickRef.current();
      } catch {
        changed = false;
      }
      if (stopped) return;
      delay = changed ? initialMs : Math.min(delay * 2, maxMs);
      timer = window.setTimeout(step, delay);
    };
    timer = window.setTimeout(step, delay);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [active, initialMs, maxMs]);
}

export interface Action {
  busy: boolean;
  error: ApiError | undefined;
  /** Run `work` with `busy` set; its error becomes `error`. True when it succeeded. */
  run: (work: () => Promise<unknown>) => Promise<boolean>;
}

/** One user action at a time (a form submission, a button) with its busy state and error. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      return true;
    } catch (caught) {
      setError(asApiError(caught));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
