// Every call goes to the gateway's own routes with the session cookie; state changes add the session's CSRF token.
export interface Identity { keyId: string; name: string; roles: string[]; can: string[]; via: string; csrfToken?: string | null }

export class ApiError extends Error {
  constructor(public status: number, public problem: any) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

let csrf: string | null = null;
export function setCsrf(token: string | null | undefined) { csrf = token ?? null; }

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-Csrf-Token"] = csrf;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const text = await response.text();
  const parsed = text ? safeJson(text) : null;
  if (!response.ok) throw new ApiError(response.status, parsed ?? { title: text || response.statusText });
  return parsed as T;
}

/** A read that may legitimately be absent (404) or fail: null instead of an exception, the error kept for display. */
export async function tryGet<T = any>(path: string): Promise<{ data: T | null; error: ApiError | null }> {
  try {
    return { data: await api<T>("GET", path), error: null };
  } catch (e) {
    return { data: null, error: e instanceof ApiError ? e : new ApiError(0, { title: String(e) }) };
  }
}

function safeJson(text: string) {
  try { return JSON.parse(text); } catch { return { title: text }; }
}

export const get = <T = any>(path: string) => api<T>("GET", path);
export const post = <T = any>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});
