// Debian's Chromium driven by Playwright (playwright-core: no browser download).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after } from "node:test";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { SESSION_COOKIE } from "../../lib/sessions.ts";
import { BASE_URL } from "./env.ts";

export const SCREENSHOTS = path.resolve(import.meta.dirname, "../../test-results");

let browser: Browser | undefined;

export async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  return browser;
}

export function closeBrowserAfter(): void {
  after(async () => {
    await browser?.close();
    browser = undefined;
  });
}

export async function newPage(opts: { mobile?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const b = await launch();
  const context = await b.newContext({
    baseURL: BASE_URL,
    viewport: opts.mobile ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    isMobile: opts.mobile,
    hasTouch: opts.mobile,
    permissions: ["clipboard-read", "clipboard-write"],
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on("pageerror", (err) => process.stderr.write(`[browser pageerror] ${err.message}\n`));
  return { context, page };
}

/** A page whose context carries `user`'s session cookie. */
export async function pageAs(user: { token: string }, opts: { mobile?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const { page, context } = await newPage(opts);
  await context.addCookies([{ name: SESSION_COOKIE, value: user.token, url: BASE_URL }]);
  return { page, context };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function signUpInBrowser(page: Page, who: { email: string; password: string; displayName: string }) {
  await page.goto("/signup");
  await page.getByLabel("Display name").fill(who.displayName);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/dashboard");
}

export interface CapturedAction {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Runs `trigger` and returns the server-action POST it caused, as the browser sent it. */
export async function captureServerAction(page: Page, trigger: () => Promise<unknown>): Promise<CapturedAction> {
  const [req] = await Promise.all([
    page.waitForRequest((r: Request) => r.method() === "POST" && "next-action" in r.headers()),
    trigger(),
  ]);
  const headers = await req.allHeaders();
  return { url: req.url(), headers, body: req.postDataBuffer() ?? Buffer.alloc(0) };
}

export interface ReplayOptions {
  cookie?: string;
  /** null: send no Origin header at all. */
  origin?: string | null;
  localAddress?: string;
  /** Form fields to overwrite, by their name in the form (React prefixes them, e.g. "1_title"). */
  fields?: Record<string, string>;
  /** More request headers (e.g. a forged Host). */
  headers?: Record<string, string>;
}

/** Re-sends a captured server action from outside the browser, with chosen cookie, Origin and fields. */
export async function replayServerAction(action: CapturedAction, opts: ReplayOptions) {
  const { request } = await import("./http.ts");
  let body = action.body;
  let contentType = action.headers["content-type"] ?? "text/plain;charset=UTF-8";
  if (opts.fields) {
    // Form actions are multipart; edit the named fields and re-encode.
    const form = await new Response(new Uint8Array(action.body), { headers: { "content-type": contentType } }).formData();
    for (const [name, value] of Object.entries(opts.fields)) {
      const keys = [...form.keys()].filter((k) => k === name || k.endsWith(`_${name}`));
      if (keys.length === 0) throw new Error(`field ${name} not in the captured action (has ${[...form.keys()].join(", ")})`);
      for (const k of keys) form.set(k, value);
    }
    const encoded = new Response(form);
    body = Buffer.from(await encoded.arrayBuffer());
    contentType = encoded.headers.get("content-type")!;
  }
  const headers: Record<string, string> = {
    accept: action.headers["accept"] ?? "text/x-component",
    "next-action": action.headers["next-action"],
    "content-type": contentType,
  };
  if (action.headers["next-router-state-tree"]) headers["next-router-state-tree"] = action.headers["next-router-state-tree"];
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin !== null) headers.origin = opts.origin ?? new URL(action.url).origin;
  Object.assign(headers, opts.headers);
  return request("POST", new URL(action.url).pathname + new URL(action.url).search, { headers, body, localAddress: opts.localAddress });
}
