// Ports and readiness for the scripts that start things (npm start, the test and
// bench stacks, Synapse): finding free loopback ports, probing a TCP port, and
// one wait loop that every "did it come up" check goes through.
import dgram from "node:dgram";
import net from "node:net";

/** n distinct free loopback TCP ports (held open together, so no two are the same). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<net.Server>((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => resolve(srv));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** A free loopback UDP port. */
export async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const s = dgram.createSocket("udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.bind(port, "127.0.0.1", () => resolve());
      });
      return port;
    } catch {
      // taken: try another
    } finally {
      s.close();
    }
  }
  throw new Error("no free UDP port found");
}

/** Whether something accepts TCP connections at host:port (IPv6 hosts may be bracketed). */
export function portOpen(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: host.replace(/^\[|\]$/g, ""), port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

export interface WaitOptions {
  seconds: number;
  everyMs?: number;
  /** The error to throw at the deadline, given the last reason the check gave. */
  fail?: (last: string) => Error;
}

/**
 * Calls `check` until it answers true or the time is up. A check answers true,
 * or a reason it is not ready yet (kept for the error); one that throws stops the wait.
 */
export async function waitUntil(what: string, check: () => Promise<true | string>, opts: WaitOptions): Promise<void> {
  const until = Date.now() + opts.seconds * 1000;
  let last = "no answer yet";
  while (Date.now() < until) {
    const r = await check();
    if (r === true) return;
    last = r;
    await new Promise((res) => setTimeout(res, opts.everyMs ?? 250));
  }
  throw opts.fail?.(last) ?? new Error(`${what} did not come up within ${opts.seconds} s (${last})`);
}

/** Waits for a 2xx answer at `url`. */
export function waitForHttp(url: string, seconds = 60): Promise<void> {
  return waitUntil(
    url,
    async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        await res.body?.cancel();
        return res.ok || `HTTP ${res.status}`;
      } catch (err) {
        return (err as Error).message;
      }
    },
    { seconds, fail: (last) => new Error(`${url} did not answer within ${seconds} s (${last})`) },
  );
}

export function waitForPort(host: string, port: number, seconds = 30): Promise<void> {
  return waitUntil(`${host}:${port}`, async () => (await portOpen(host, port)) || "closed", {
    seconds,
    everyMs: 200,
    fail: () => new Error(`${host}:${port} did not open within ${seconds} s`),
  });
}
