import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LIMITS } from "../../lib/limits.ts";
import { channelSchema, fieldErrors, signupSchema, slugSchema, streamKeyLabelSchema } from "../../lib/validation.ts";

function errorsOf(schema: { safeParse: (v: unknown) => any }, value: unknown) {
  const r = schema.safeParse(value);
  return r.success ? {} : fieldErrors(r.error);
}

describe("signup validation", () => {
  it("normalises the email and accepts a good form", () => {
    const r = signupSchema.parse({ email: "  Ada@Example.ORG ", password: "correct horse", displayName: " Ada " });
    assert.equal(r.email, "ada@example.org");
    assert.equal(r.displayName, "Ada");
  });
  it("names each wrong field", () => {
    const e = errorsOf(signupSchema, { email: "nope", password: "short", displayName: "" });
    assert.match(e.email, /valid email/);
    assert.match(e.password, /at least 10/);
    assert.match(e.displayName, /display name/);
  });
  it("refuses control characters in display names", () => {
    assert.match(errorsOf(signupSchema, { email: "a@b.co", password: "x".repeat(12), displayName: "a\u0007b" }).displayName, /control/);
  });
});

describe("channel validation", () => {
  const good = { slug: "My-Show", title: " My show ", description: "", reconnectGraceMinutes: "5", ladder: "" };
  it("accepts a good channel, lowercases the slug and defaults the ladder", () => {
    const c = channelSchema.parse(good);
    assert.equal(c.slug, "my-show");
    assert.equal(c.title, "My show");
    assert.equal(c.reconnectGraceMinutes, 5);
    assert.equal(c.ladder, null);
  });
  it("refuses an empty title and too-long fields", () => {
    const e = errorsOf(channelSchema, { ...good, title: "   ", description: "x".repeat(LIMITS.descriptionMax + 1) });
    assert.match(e.title, /required/);
    assert.match(e.description, /at most 2000/);
    assert.match(errorsOf(channelSchema, { ...good, title: "t".repeat(LIMITS.titleMax + 1) }).title, /at most 100/);
  });
  it("refuses bad and reserved slugs", () => {
    for (const s of ["ab", "a--b", "-ab", "ab-", "a b", "ümlaut", "x".repeat(41)]) {
      assert.ok(!slugSchema.safeParse(s).success, s);
    }
    assert.match(errorsOf(slugSchema, "dashboard")[""], /reserved/);
  });
  it("keeps the reconnect window within 0–60 minutes", () => {
    assert.equal(channelSchema.parse({ ...good, reconnectGraceMinutes: "0" }).reconnectGraceMinutes, 0);
    assert.match(errorsOf(channelSchema, { ...good, reconnectGraceMinutes: "61" }).reconnectGraceMinutes, /0–60/);
    assert.match(errorsOf(channelSchema, { ...good, reconnectGraceMinutes: "abc" }).reconnectGraceMinutes, /number/);
  });
  it("validates the ladder through the ladder parser and normalises it", () => {
    assert.equal(channelSchema.parse({ ...good, ladder: "360p30@800k|720p30@2500k" }).ladder, "720p30@2500k|360p30@800k");
    assert.match(errorsOf(channelSchema, { ...good, ladder: "720p30" }).ladder, /rung 1/);
  });
  it("requires a key label", () => {
    assert.ok(!streamKeyLabelSchema.safeParse("  ").success);
    assert.ok(!streamKeyLabelSchema.safeParse("x".repeat(61)).success);
    assert.equal(streamKeyLabelSchema.parse(" OBS "), "OBS");
  });
});
