import type { FieldErrors } from "./validation.ts";

/** Also what a user gets for somebody else's channel: we do not confirm it exists. */
export class NotFoundError extends Error {
  constructor(what = "Not found") {
    super(what);
  }
}

export class ValidationError extends Error {
  constructor(readonly fields: FieldErrors) {
    super(Object.values(fields)[0] ?? "Invalid input");
  }
}

export class LimitError extends Error {}
