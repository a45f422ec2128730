// Mail the platform sent during this run, as the stack's SMTP catcher received it
// (scripts/mailCatcher.ts writes one .eml per message).
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { waitFor } from "./live.ts";

const MAIL_DIR = process.env.LH_TEST_MAIL_DIR ?? "";

export interface ReceivedMail {
  file: string;
  envelopeTo: string[];
  to: string;
  from: string;
  subject: string;
  text: string;
}

export async function allMail(): Promise<ReceivedMail[]> {
  if (!MAIL_DIR) throw new Error("LH_TEST_MAIL_DIR is not set: run the suite with `npm test`.");
  const out: ReceivedMail[] = [];
  for (const file of readdirSync(MAIL_DIR).filter((f) => f.endsWith(".eml")).sort()) {
    const raw = readFileSync(path.join(MAIL_DIR, file));
    const m = await simpleParser(raw);
    const envelopeTo = (/^X-Envelope-To: (.*)$/m.exec(raw.toString("utf8"))?.[1] ?? "").trim().split(",").filter(Boolean);
    const to = Array.isArray(m.to) ? m.to.map((a) => a.text).join(", ") : (m.to?.text ?? "");
    out.push({ file, envelopeTo, to, from: m.from?.text ?? "", subject: m.subject ?? "", text: m.text ?? "" });
  }
  return out;
}

export async function mailTo(address: string): Promise<ReceivedMail[]> {
  return (await allMail()).filter((m) => m.envelopeTo.includes(address));
}

/** Waits for the `count`-th mail to an address whose subject matches. */
export async function waitForMail(address: string, subject: RegExp, count = 1): Promise<ReceivedMail> {
  return waitFor(`mail ${count} to ${address} matching ${subject}`, async () => {
    const found = (await mailTo(address)).filter((m) => subject.test(m.subject));
    return found.length >= count ? found[count - 1] : null;
  }, 30_000);
}

/** The one link into this site (with the given path prefix) a mail holds. */
export function linkIn(mail: ReceivedMail, pathPrefix: string): URL {
  const links = [...mail.text.matchAll(/https?:\/\/\S+/g)].map((m) => new URL(m[0])).filter((u) => u.pathname.startsWith(pathPrefix));
  if (links.length !== 1) throw new Error(`expected one ${pathPrefix} link in "${mail.subject}", found ${links.length}:\n${mail.text}`);
  return links[0];
}
