// Where to send a user after logging in (?next=). Only a path on this site: a
// URL parser drops tabs and newlines and treats "//host" and "/\host" as another
// site, and a redirect with non-ASCII or control characters fails outright, so
// anything but plain printable ASCII starting with a single "/" is refused.
const SAFE_PATH = /^\/(?![/\\])[\x21-\x7e]*$/;
const MAX_LENGTH = 1024;
export const DEFAULT_RETURN_PATH = "/dashboard";

export function safeReturnPath(next: unknown): string {
  if (typeof next !== "string" || next.length > MAX_LENGTH || !SAFE_PATH.test(next) || next.includes("\\")) return DEFAULT_RETURN_PATH;
  // Whatever a parser makes of it must stay on this origin, with a path that is not "//…".
  try {
    const url = new URL(next, "http://this.site.invalid");
    if (url.origin !== "http://this.site.invalid" || url.pathname.startsWith("//")) return DEFAULT_RETURN_PATH;
  } catch {
    return DEFAULT_RETURN_PATH;
  }
  return next;
}
