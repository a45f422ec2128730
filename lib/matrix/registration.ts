// The appservice registration: the contract between the homeserver and our
// appservice. Generated once (tokens are secrets), then read by the
// appservice and handed to the homeserver's app_service_config_files.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as yaml from "js-yaml";
import { config } from "../config.ts";
import { escapeRegex, type MatrixNames } from "./ids.ts";

export interface Registration {
  id: string;
  url: string;
  as_token: string;
  hs_token: string;
  sender_localpart: string;
  rate_limited: boolean;
  namespaces: {
    users: { exclusive: boolean; regex: string }[];
    aliases: { exclusive: boolean; regex: string }[];
    rooms: { exclusive: boolean; regex: string }[];
  };
}

const token = () => randomBytes(32).toString("base64url");

export function buildRegistration(input: MatrixNames & { url: string; asToken?: string; hsToken?: string }): Registration {
  const server = escapeRegex(input.serverName);
  const prefix = escapeRegex(input.prefix);
  return {
    id: "livehouse",
    url: input.url,
    as_token: input.asToken ?? token(),
    hs_token: input.hsToken ?? token(),
    sender_localpart: `${input.prefix}bot`,
    // Our bot speaks for the whole platform (notices, moderation); chatters are
    // still limited by the homeserver through their own clients.
    rate_limited: false,
    namespaces: {
      users: [{ exclusive: true, regex: `@${prefix}.*:${server}` }],
      aliases: [{ exclusive: true, regex: `#${prefix}.*:${server}` }],
      rooms: [],
    },
  };
}

export function parseRegistration(text: string): Registration {
  const r = yaml.load(text) as Partial<Registration> | undefined;
  for (const k of ["id", "url", "as_token", "hs_token", "sender_localpart"] as const) {
    if (typeof r?.[k] !== "string" || !r[k]) throw new Error(`appservice registration is missing "${k}"`);
  }
  if (!r!.namespaces?.users?.length) throw new Error("appservice registration has no user namespace");
  return r as Registration;
}

/**
 * Reads MATRIX_REGISTRATION_FILE, creating it (mode 600) when missing. The
 * namespaces and URL follow the current configuration; the tokens, once made,
 * are kept so the homeserver and appservice keep agreeing.
 */
export function ensureRegistrationFile(file = config.matrixRegistrationFile): Registration {
  const names = { serverName: config.matrixServerName, prefix: config.matrixNamespacePrefix };
  let existing: Registration | undefined;
  if (existsSync(file)) existing = parseRegistration(readFileSync(file, "utf8"));
  const reg = buildRegistration({ ...names, url: config.appserviceUrl, asToken: existing?.as_token, hsToken: existing?.hs_token });
  const text = yaml.dump(reg, { lineWidth: -1 });
  if (!existing || yaml.dump(existing, { lineWidth: -1 }) !== text) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return reg;
}

export function readRegistrationFile(file = config.matrixRegistrationFile): Registration {
  try {
    return parseRegistration(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read the appservice registration ${file}: ${(err as Error).message}`);
  }
}
