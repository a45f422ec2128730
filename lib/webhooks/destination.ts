// Where a webhook may send (no SSRF): http(s) only, no credentials in the URL, and
// never to an address that is not public (loopback, private, link-local and cloud
// metadata, CGNAT, multicast, reserved, documentation…) unless WEBHOOK_ALLOW_PRIVATE.
// Checked when a webhook is saved, and again on the address each delivery actually
// connects to (a name may resolve elsewhere by then: DNS rebinding).
import dns from "node:dns";
import type { LookupAddress, LookupOptions } from "node:dns";
import net from "node:net";
import { config } from "../config.ts";

export const WEBHOOK_URL_MAX = 2000;

/** A destination a webhook may not reach; the message says why, for the creator. */
export class DestinationRefused extends Error {}

type V4Range = [base: string, bits: number, what: string];

const V4_RANGES: V4Range[] = [
  ["0.0.0.0", 8, "an unspecified address"],
  ["10.0.0.0", 8, "a private address"],
  ["100.64.0.0", 10, "a carrier-grade NAT address"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local address (cloud metadata lives there)"],
  ["172.16.0.0", 12, "a private address"],
  ["192.0.0.0", 24, "a reserved address"],
  ["192.0.2.0", 24, "a documentation address"],
  ["192.88.99.0", 24, "a reserved address"],
  ["192.168.0.0", 16, "a private address"],
  ["198.18.0.0", 15, "a benchmarking address"],
  ["198.51.100.0", 24, "a documentation address"],
  ["203.0.113.0", 24, "a documentation address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved address"],
];

function v4ToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

function v4Refusal(ip: string): string | null {
  const n = v4ToInt(ip);
  for (const [base, bits, what] of V4_RANGES) {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base);
    if (n >= start && n < start + size) return what;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail included). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split("%")[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[1]);
    text = text.slice(0, -dotted[1].length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

const v4FromGroups = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");

function v6Refusal(ip: string): string | null {
  const g = v6Groups(ip);
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::) reach that IPv4 address.
  if (zeroUpTo(5) && g[5] === 0xffff) return v4Refusal(v4FromGroups(g[6], g[7]));
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4Refusal(v4FromGroups(g[6], g[7]));
  if (g[0] === 0x2002) return v4Refusal(v4FromGroups(g[1], g[2]));
  if (zeroUpTo(7) && g[7] === 1) return "a loopback address";
  if (zeroUpTo(8)) return "an unspecified address";
  if ((g[0] & 0xfe00) === 0xfc00) return "a private (unique local) address";
  if ((g[0] & 0xffc0) === 0xfe80) return "a link-local address";
  if ((g[0] & 0xff00) === 0xff00) return "a multicast address";
  // Everything public lives in 2000::/3; the rest is reserved (IPv4-compatible, discard, site-local…).
  if ((g[0] & 0xe000) !== 0x2000) return "a reserved address";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "a documentation address";
  if (g[0] === 0x2001 && g[1] === 0) return "a Teredo tunnel address";
  return null;
}

/** Why a webhook may not connect to this IP address, or null when it may. */
export function addressRefusal(ip: string, allowPrivate = config.webhookAllowPrivate): string | null {
  if (allowPrivate) return null;
  const family = net.isIP(ip);
  if (family === 4) return v4Refusal(ip);
  if (family === 6) return v6Refusal(ip);
  return "not an IP address";
}

function refuse(address: string, why: string): never {
  throw new DestinationRefused(`It leads to ${address}, ${why}: webhooks go to public addresses only (an instance admin can allow others with WEBHOOK_ALLOW_PRIVATE).`);
}

/**
 * Parses a webhook URL and refuses what can never be a destination. Does not
 * resolve names (checkDestination does). The URL parser has already turned decimal,
 * hex and octal IPv4 spellings (http://2130706433/, http://0x7f.1/) into dotted form.
 */
export function parseDestination(raw: unknown): URL {
  if (typeof raw !== "string" || !raw.trim()) throw new DestinationRefused("Enter the URL that should receive the events, e.g. https://example.org/livehouse-hook.");
  const text = raw.trim();
  if (text.length > WEBHOOK_URL_MAX) throw new DestinationRefused(`The URL must be at most ${WEBHOOK_URL_MAX} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DestinationRefused("That is not a URL. Enter a full address such as https://example.org/livehouse-hook.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new DestinationRefused(`Only http:// and https:// URLs can receive webhooks (not ${url.protocol}).`);
  if (url.username || url.password) throw new DestinationRefused("Put no user name or password in the URL: receivers check the X-Livehouse-Signature header instead.");
  if (!url.hostname) throw new DestinationRefused("The URL has no host.");
  url.hash = "";
  return url;
}

/** The host as net.isIP sees it (IPv6 literals lose their brackets). */
export const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1");

/** For a host that is an IP address: refuses it, or returns true when it is allowed. False for a name. */
export function checkAddressLiteral(url: URL, allowPrivate = config.webhookAllowPrivate): boolean {
  const host = bareHost(url);
  if (!net.isIP(host)) return false;
  const why = addressRefusal(host, allowPrivate);
  if (why) refuse(host, why);
  return true;
}

export type LookupAll = (hostname: string) => Promise<LookupAddress[]>;
const systemLookup: LookupAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * Refuses a URL whose host is, or resolves to, an address webhooks may not reach.
 * Every address a name resolves to must be allowed: a mix is refused, since the
 * connection may pick any of them.
 */
export async function checkDestination(url: URL, opts: { allowPrivate?: boolean; lookup?: LookupAll } = {}): Promise<void> {
  const allowPrivate = opts.allowPrivate ?? config.webhookAllowPrivate;
  const host = bareHost(url);
  if (checkAddressLiteral(url, allowPrivate)) return;
  let addresses: LookupAddress[];
  try {
    addresses = await (opts.lookup ?? systemLookup)(host);
  } catch {
    throw new DestinationRefused(`The host name ${host} does not resolve.`);
  }
  if (addresses.length === 0) throw new DestinationRefused(`The host name ${host} does not resolve.`);
  for (const a of addresses) {
    const why = addressRefusal(a.address, allowPrivate);
    if (why) refuse(`${host} (${a.address})`, why);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request: the connection goes only to addresses this check
 * passed, the same answer it was checked on, so a name that changes its answer
 * between the check and the connection (DNS rebinding) gains nothing.
 */
export function guardedLookup(opts: { allowPrivate?: boolean; lookup?: LookupAll } = {}) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const url = new URL(`http://${net.isIPv6(hostname) ? `[${hostname}]` : hostname}/`);
    let resolved: LookupAddress[] = [];
    const lookup: LookupAll = async (h) => (resolved = await (opts.lookup ?? systemLookup)(h));
    checkDestination(url, { allowPrivate: opts.allowPrivate, lookup }).then(
      () => {
        const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family;
        const usable = resolved.filter((a) => !family || family === a.family);
        if (usable.length === 0) return callback(Object.assign(new Error(`no usable address for ${hostname}`), { code: "ENOTFOUND" }), "");
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (err) => callback(err as NodeJS.ErrnoException, ""),
    );
  };
}
