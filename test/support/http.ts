// A small HTTP client for tests: explicit cookies and headers (no browser
// defaults added behind our back) and a chosen loopback source address, so a
// test can act as a distinct client IP.
import http from "node:http";
import { BASE_URL } from "./env.ts";

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = any>(): T;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  localAddress?: string;
}

export function request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const url = new URL(path, BASE_URL);
  const body = typeof opts.body === "string" ? Buffer.from(opts.body) : opts.body;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        localAddress: opts.localAddress,
        headers: { ...(body ? { "content-length": String(body.length) } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A JSON request the way the dashboard's own fetch sends it. */
export function api(method: string, path: string, opts: { cookie?: string; origin?: string | null; body?: unknown; site?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin !== null) headers.origin = opts.origin ?? new URL(BASE_URL).origin;
  if (opts.site) headers["sec-fetch-site"] = opts.site;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  return request(method, path, { headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
}
