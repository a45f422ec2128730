import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { channelPowerLevels, matchWordFilter, moderationSchema, nameBreaksFilter, parseWordFilter } from "../../lib/chat/rules.ts";
import { eventTexts } from "../../lib/chat/visibleText.ts";
import { buildRegistration, parseRegistration } from "../../lib/matrix/registration.ts";
import { roomAlias, slugFromAlias, virtualUserId } from "../../lib/matrix/ids.ts";
import { tokenMatches } from "../../appservice/hsAppService.ts";
import * as yaml from "js-yaml";

const names = { serverName: "chat.example.org:8448", prefix: "_lh_" };

describe("matrix names", () => {
  it("maps channels and users into the exclusive namespace", () => {
    assert.equal(roomAlias("my-show", names), "#_lh_my-show:chat.example.org:8448");
    assert.equal(slugFromAlias("#_lh_my-show:chat.example.org:8448", names), "my-show");
    assert.equal(virtualUserId("0b7e2f5c-1111-4a2b-9c3d-abcdefabcdef", names), "@_lh_u_0b7e2f5c11114a2b9c3dabcdefabcdef:chat.example.org:8448");
  });

  it("does not take aliases that are not ours", () => {
    for (const a of ["#my-show:chat.example.org:8448", "#_lh_my-show:other.org", "#_lh_BAD_slug:chat.example.org:8448", "#_lh_-x:chat.example.org:8448", "#_lh_:chat.example.org:8448"]) {
      assert.equal(slugFromAlias(a, names), null, a);
    }
  });
});

describe("appservice registration", () => {
  it("claims exclusive, escaped, prefixed namespaces and fresh tokens", () => {
    const r = buildRegistration({ ...names, url: "http://127.0.0.1:9009" });
    assert.equal(r.sender_localpart, "_lh_bot");
    assert.deepEqual(r.namespaces.users, [{ exclusive: true, regex: "@_lh_.*:chat\\.example\\.org:8448" }]);
    assert.deepEqual(r.namespaces.aliases, [{ exclusive: true, regex: "#_lh_.*:chat\\.example\\.org:8448" }]);
    assert.ok(new RegExp(`^${r.namespaces.users[0].regex}$`).test("@_lh_u_abc:chat.example.org:8448"));
    assert.ok(!new RegExp(`^${r.namespaces.users[0].regex}$`).test("@_lh_u_abc:chatXexample.org:8448"));
    assert.ok(r.as_token.length >= 40 && r.hs_token.length >= 40 && r.as_token !== r.hs_token);
    assert.notEqual(buildRegistration({ ...names, url: "x" }).hs_token, r.hs_token);
    assert.deepEqual(parseRegistration(yaml.dump(r)), r);
    assert.throws(() => parseRegistration("id: x\n"), /missing "url"/);
  });

  it("checks hs_token by value, not by prefix or type", () => {
    assert.equal(tokenMatches("secret-token", "secret-token"), true);
    for (const bad of ["secret-toke", "secret-token ", "", undefined, null, 42, ["secret-token"]]) assert.equal(tokenMatches("secret-token", bad), false);
  });
});

describe("power levels", () => {
  it("gives bot and owner 100, moderators 50, everyone 0, and room settings need 100", () => {
    const pl = channelPowerLevels({ botUserId: "@bot:s", ownerUserId: "@owner:s", moderators: ["@mod:s"] });
    assert.deepEqual(pl.users, { "@mod:s": 50, "@owner:s": 100, "@bot:s": 100 });
    assert.equal(pl.users_default, 0);
    assert.equal(pl.events_default, 0);
    assert.equal(pl.state_default, 100);
    assert.equal(pl.ban, 50);
    assert.equal(pl.redact, 50);
    assert.equal(pl.events["m.room.power_levels"], 100);
    assert.equal(pl.events["m.room.guest_access"], 100);
  });

  it("revoking drops a moderator but keeps levels others set", () => {
    const existing = channelPowerLevels({ botUserId: "@bot:s", ownerUserId: "@owner:s", moderators: ["@mod:s"] });
    existing.users["@vip:s"] = 10;
    const pl = channelPowerLevels({ botUserId: "@bot:s", ownerUserId: "@owner:s", moderators: [], revoked: ["@mod:s"], existing });
    assert.equal(pl.users["@mod:s"], undefined);
    assert.equal(pl.users["@vip:s"], 10);
  });
});

describe("word filter", () => {
  const words = parseWordFilter("Spoiler\n  bad   word ,spoiler\n\n");
  it("parses one per line or comma, lower-cased and de-duplicated", () => {
    assert.deepEqual(words, ["spoiler", "bad word"]);
  });
  it("matches whole words, ignoring case and accents", () => {
    assert.equal(matchWordFilter("big SPOILER ahead", words), "spoiler");
    assert.equal(matchWordFilter("Bad   Word!", words), "bad word");
    assert.equal(matchWordFilter("spöiler", ["spoiler"]), "spoiler");
    assert.equal(matchWordFilter("spoilers are fine", words), null);
    assert.equal(matchWordFilter("classic", ["ass"]), null);
    assert.equal(matchWordFilter("anything", []), null);
  });
  it("looks at edits and formatted bodies too", () => {
    const edit = eventTexts("m.room.message", { body: "* fixed", "m.new_content": { body: "a spoiler" }, formatted_body: "<b>x</b>" });
    assert.equal(matchWordFilter(edit.join("\n"), words), "spoiler");
    assert.equal(matchWordFilter(eventTexts("m.room.message", { body: "x", formatted_body: "<i>spoi</i><i>ler</i>" }).join("\n"), words), "spoiler");
    assert.equal(matchWordFilter(eventTexts("m.room.message", { body: "x", formatted_body: "&#115;poiler" }).join("\n"), words), "spoiler");
  });
});

describe("word filter: text as it is seen", () => {
  const words = ["zorgle"];
  const caught = (text: string) => assert.equal(matchWordFilter(text, words), "zorgle", JSON.stringify(text));
  const kept = (text: string, filter = words) => assert.equal(matchWordFilter(text, filter), null, JSON.stringify(text));

  it("ignores invisible characters inside the word", () => {
    for (const ch of ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u180E", "\u{E0041}", "\u3164", "\uFFA0", "\u115F", "\u1160"]) caught(`zor${ch}gle`);
    caught("\u200Bzorgle\u200B!");
  });
  it("reads look-alike forms, case and accents as the letters they show", () => {
    for (const t of ["ｚｏｒｇｌｅ", "𝐳𝐨𝐫𝐠𝐥𝐞", "𝔷𝔬𝔯𝔤𝔩𝔢", "ZORGLE", "ZoRgLe", "zörglé", "zo\u0308rgle", "ⓩⓞⓡⓖⓛⓔ"]) caught(t);
    assert.equal(matchWordFilter("STRASSE", ["straße"]), "straße");
    assert.equal(matchWordFilter("straße", ["strasse"]), "strasse");
    assert.equal(matchWordFilter("ｂａｄ\u3000ｗｏｒｄ", ["bad word"]), "bad word");
  });
  it("reads a right-to-left override in the order it is shown", () => {
    caught("\u202Eelgroz\u202C");
    caught("\u202Eelgroz");
    caught("look: \u202Eelgroz\u202C!");
    caught("zor\u202Eelg\u202C");
    caught("ok\n\u202Eelgroz");
    // The override ends at its pop or at the end of the line.
    kept("\u202Eelg\u202Croz");
    kept("\u202Eelg\nroz");
    // A letter right before the reversed run makes it part of a longer word.
    kept("a\u202Eelgroz");
    // Isolates keep Latin letters in reading order.
    kept("\u2067elgroz\u2069");
  });
  it("still matches whole words only", () => {
    kept("zorgles");
    kept("zorgle\u200Bs");
    kept("ｚｏｒｇｌｅｓ");
    kept("unzorgle");
    kept("classic", ["ass"]);
    kept("𐐀zorgle");
    caught("zorgle-s");
    caught("(zorgle)");
    caught("zorgle🙂");
  });
  it("checks display names the same way", () => {
    assert.equal(nameBreaksFilter("Zorgle Fan", words), true);
    assert.equal(nameBreaksFilter("\u202Eelgroz", words), true);
    assert.equal(nameBreaksFilter("ｚorgle", words), true);
    assert.equal(nameBreaksFilter("Zorgles", words), false);
    assert.equal(nameBreaksFilter("anyone", []), false);
  });
});

describe("moderation commands", () => {
  it("accepts the documented shapes and refuses others", () => {
    assert.ok(moderationSchema.safeParse({ action: "timeout", userId: "@a:s", seconds: 300 }).success);
    assert.ok(moderationSchema.safeParse({ action: "redact", eventId: "$abc-DEF_123" }).success);
    assert.ok(!moderationSchema.safeParse({ action: "timeout", userId: "@a:s", seconds: 0 }).success);
    assert.ok(!moderationSchema.safeParse({ action: "redact", eventId: "not-an-event" }).success);
    assert.ok(!moderationSchema.safeParse({ action: "nuke", userId: "@a:s" }).success);
  });
});
