/** The signed-in user: tokens from sign-in, the user's roles, sign-out. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import {
  ApiError,
  api,
  currentTokens,
  must,
  onTokens,
  setTokens,
  toApiError,
  type Role,
  type User,
} from "./api/client";

interface Session {
  user: User | null;
  ready: boolean;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  has: (...roles: Role[]) => boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    // A token left from this tab's earlier visit: find out whose it is.
    if (!currentTokens()) {
      setReady(true);
    } else {
      must(api.GET("/v1/users/me"))
        .then((reply) => setUser(reply.user ?? null))
        .catch(() => setTokens(null))
        .finally(() => setReady(true));
    }
    return onTokens((tokens) => {
      if (!tokens) setUser(null);
    });
  }, []);

  const signIn = useCallback(async (username: string, password: string) => {
    let reply: Response;
    try {
      reply = await fetch("/v1/auth:login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password }),
      });
    } catch {
      throw new ApiError(0, "UNAVAILABLE", "the platform cannot be reached");
    }
    const body: unknown = await reply.json().catch(() => null);
    if (!reply.ok) throw toApiError(reply.status, body, reply.headers.get("Retry-After"));
    const login = body as { access_token: string; refresh_token: string; user?: User };
    setTokens({ access_token: login.access_token, refresh_token: login.refresh_token });
    setUser(login.user ?? null);
  }, []);

  const signOut = useCallback(async () => {
    const tokens = currentTokens();
    if (tokens) {
      await api
        .POST("/v1/auth:logout", { body: { refresh_token: tokens.refresh_token } })
        .catch(() => undefined);
    }
    setTokens(null);
  }, []);

  const value = useMemo<Session>(
    () => ({
      user,
      ready,
      signIn,
      signOut,
      has: (...roles) => roles.some((role) => user?.roles?.includes(role)),
    }),
    [user, ready, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
