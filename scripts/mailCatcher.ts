// A real SMTP server on loopback for test and benchmark runs: it asks for the
// credentials in SMTP_URL (AUTH PLAIN/LOGIN) and writes every message it accepts to
// a directory as an .eml file, where test/support/mail.ts reads it.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SMTPServer } from "smtp-server";

export interface MailCatcher {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startMailCatcher(opts: { dir: string; port: number; user: string; password: string }): Promise<MailCatcher> {
  mkdirSync(opts.dir, { recursive: true });
  let n = 0;
  const server = new SMTPServer({
    authMethods: ["PLAIN", "LOGIN"],
    // Loopback only, and what a real relay on a private network would also allow.
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    size: 1024 * 1024,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.password) cb(null, { user: auth.username });
      else cb(new Error("Invalid username or password"));
    },
    onMailFrom(_address, session, cb) {
      cb(session.user ? null : Object.assign(new Error("Authentication required"), { responseCode: 530 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const name = `${Date.now()}-${String(++n).padStart(5, "0")}.eml`;
        const rcpt = session.envelope.rcptTo.map((r) => r.address).join(",");
        writeFileSync(path.join(opts.dir, name), Buffer.concat([Buffer.from(`X-Envelope-To: ${rcpt}\r\n`), ...chunks]));
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  return {
    url: `smtp://${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}`,
    dir: opts.dir,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
