// Pure rules of the account links and mail: link shapes, message text, when mail is off, log redaction.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACCOUNT_LINK, confirmEmailMail, emailChangeNoticeMail, isLinkToken, passwordResetMail } from "../../lib/accountLinks.ts";
import { redact } from "../../lib/log.ts";
import { mailEnabled, mailProblem } from "../../lib/mail.ts";

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

describe("account links", () => {
  it("accepts only token-shaped values", () => {
    assert.ok(isLinkToken("a".repeat(43)));
    for (const bad of ["", "short", "a".repeat(101), "../../etc/passwd-xxxxxxxxxxxxxxxxx", "a b".repeat(10), 42, undefined]) assert.equal(isLinkToken(bad), false, String(bad));
  });

  it("mails say what the link does, for how long, and hold exactly the link given", () => {
    const reset = passwordResetMail("a@x.test", "https://live.example/reset-password/T", "live.example");
    assert.equal(reset.to, "a@x.test");
    assert.match(reset.subject, /Reset your live\.example password/);
    assert.match(reset.text, /1 hour/);
    assert.deepEqual(reset.text.match(/https:\/\/\S+/g), ["https://live.example/reset-password/T"]);
    const confirm = confirmEmailMail("new@x.test", "https://live.example/confirm-email/T", "live.example");
    assert.match(confirm.text, /24 hours/);
    const notice = emailChangeNoticeMail("old@x.test", "new@x.test", "live.example");
    assert.match(notice.text, /new@x\.test/);
    assert.equal(/https?:\/\//.test(notice.text), false);
    assert.equal(ACCOUNT_LINK.resetPassword("T"), "/reset-password/T");
  });

  it("log lines never hold a link token or SMTP credentials", () => {
    assert.equal(redact("GET /reset-password/abcDEF_123-xyz done"), "GET /reset-password/[redacted] done");
    assert.equal(redact("/confirm-email/abcDEF_123"), "/confirm-email/[redacted]");
    assert.equal(redact("connect smtps://mailer:s3cr3t@mail.example:465 failed"), "connect smtps://mailer:[redacted]@mail.example:465 failed");
  });
});

describe("when mail is sent", () => {
  it("off without SMTP_URL; off with a warning when PUBLIC_URL is missing or the URL is wrong; on otherwise", () => {
    withEnv({ SMTP_URL: undefined, PUBLIC_URL: "https://live.example" }, () => {
      assert.equal(mailEnabled(), false);
      assert.equal(mailProblem(), null);
    });
    withEnv({ SMTP_URL: "smtp://u:p@mail.example:587", PUBLIC_URL: undefined }, () => {
      assert.equal(mailEnabled(), false);
      assert.match(mailProblem()!, /PUBLIC_URL/);
    });
    withEnv({ SMTP_URL: "http://mail.example", PUBLIC_URL: "https://live.example" }, () => assert.match(mailProblem()!, /smtp:\/\/ or smtps:\/\//));
    withEnv({ SMTP_URL: "not a url", PUBLIC_URL: "https://live.example" }, () => assert.match(mailProblem()!, /not a URL/));
    withEnv({ SMTP_URL: "smtps://u:p@mail.example:465", PUBLIC_URL: "https://live.example" }, () => assert.equal(mailEnabled(), true));
  });
});
