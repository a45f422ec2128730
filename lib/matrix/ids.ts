// Matrix identifiers the appservice owns. Every virtual user and room alias
// starts with the namespace prefix (default "_lh_"), which the registration
// claims exclusively: nobody else on the homeserver can take these names.
import { config } from "../config.ts";
import { slugSchema } from "../validation.ts";

export interface MatrixNames {
  serverName: string;
  prefix: string;
}

export const matrixNames = (): MatrixNames => ({ serverName: config.matrixServerName, prefix: config.matrixNamespacePrefix });

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function botUserId(n: MatrixNames = matrixNames()): string {
  return `@${n.prefix}bot:${n.serverName}`;
}

/** Livehouse user ids are UUIDs; Matrix localparts must be lower-case, so the hex digits serve. */
export function virtualUserId(livehouseUserId: string, n: MatrixNames = matrixNames()): string {
  return `@${n.prefix}u_${livehouseUserId.replace(/-/g, "").toLowerCase()}:${n.serverName}`;
}

export function roomAliasLocalpart(slug: string, n: MatrixNames = matrixNames()): string {
  return `${n.prefix}${slug}`;
}

export function roomAlias(slug: string, n: MatrixNames = matrixNames()): string {
  return `#${roomAliasLocalpart(slug, n)}:${n.serverName}`;
}

/** The channel slug an alias of ours names, or null when it is not one of ours. */
export function slugFromAlias(alias: string, n: MatrixNames = matrixNames()): string | null {
  const m = /^#([^:]+):(.+)$/.exec(alias);
  if (!m || m[2] !== n.serverName || !m[1].startsWith(n.prefix)) return null;
  const slug = m[1].slice(n.prefix.length);
  const parsed = slugSchema.safeParse(slug);
  return parsed.success && parsed.data === slug ? slug : null;
}

/** Loose check of a full Matrix user id (@localpart:server), as accepted from forms. */
export function isMatrixUserId(s: unknown): s is string {
  return typeof s === "string" && s.length <= 255 && /^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-:[\]]+$/.test(s);
}
