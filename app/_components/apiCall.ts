// The dashboard's JSON calls to its own API: never throws, a network failure
// becomes an error message the component can show.
import { useState } from "react";

export async function apiCall(url: string, init: RequestInit = {}): Promise<{ ok: boolean; status: number; body: any }> {
  try {
    const res = await fetch(url, { cache: "no-store", ...init, headers: { "Content-Type": "application/json", ...init.headers } });
    const body = res.status === 204 ? null : await res.json().catch(() => null);
    return { ok: res.ok, status: res.status, body };
  } catch {
    return { ok: false, status: 0, body: { error: "Network error. Check your connection and try again." } };
  }
}

/**
 * A component's calls, one at a time: `busy` while one runs, and `error` with what
 * went wrong (the first field's message, the API's error, or `failed`). `act`
 * returns the answer's body, or null when it failed.
 */
export function useApiAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function act(url: string, init: RequestInit, failed: string): Promise<any | null> {
    setBusy(true);
    setError(null);
    const { ok, body } = await apiCall(url, init);
    setBusy(false);
    if (ok) return body ?? {};
    setError((body?.fields && Object.values<string>(body.fields)[0]) || body?.error || failed);
    return null;
  }
  return { busy, error, setError, act };
}
