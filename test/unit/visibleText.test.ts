import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BLOCK_TAGS, DROP_TAGS, KEEP_TAGS, shownTag } from "../../lib/chat/htmlPolicy.ts";
import { matchWordFilter } from "../../lib/chat/rules.ts";
import { eventTexts, foldForFilter, htmlVisibleText, htmlVisibleTexts } from "../../lib/chat/visibleText.ts";

const words = ["zorgle"];
/** The filtered word an event shows, or null. */
const hit = (type: string, content: Record<string, unknown>) => matchWordFilter(eventTexts(type, content).join("\n"), words);
const html = (formatted_body: string) => hit("m.room.message", { msgtype: "m.text", body: "hello", format: "org.matrix.custom.html", formatted_body });

describe("html policy", () => {
  it("keeps, renames and drops tags the way the widget renders them", () => {
    assert.equal(shownTag("b"), "b");
    assert.equal(shownTag("h1"), "strong");
    assert.equal(shownTag("strike"), "s");
    assert.equal(shownTag("div"), undefined);
    // A tag named like an Object.prototype member is unknown, not a function.
    assert.equal(shownTag("constructor"), undefined);
    for (const t of BLOCK_TAGS) assert.ok(KEEP_TAGS.has(t), t);
    for (const t of DROP_TAGS) assert.ok(!KEEP_TAGS.has(t) && shownTag(t) === undefined, t);
  });
});

describe("visible text of HTML", () => {
  it("decodes every entity the browser decodes", () => {
    assert.equal(htmlVisibleText("&#122orgle"), "zorgle");
    assert.equal(htmlVisibleText("&#x7a;orgle"), "zorgle");
    assert.equal(htmlVisibleText("z&ouml;rgle &notin; &amp"), "zörgle ∉ &");
    assert.equal(htmlVisibleText("a&nbsp;b"), "a\u00A0b");
  });
  it("joins inline elements and separates blocks, as the widget shows them", () => {
    assert.equal(htmlVisibleText("<i>a</i>b"), "ab");
    assert.equal(foldForFilter(htmlVisibleText("<p>a</p><p>b</p>")).trim(), "a b");
    assert.equal(foldForFilter(htmlVisibleText("a<br>b")), "a b");
    // The widget unwraps div and shows headings as bold text in the line.
    assert.equal(htmlVisibleText("<div>a</div><h1>b</h1>"), "ab");
  });
  it("leaves out what the widget does not show", () => {
    assert.equal(htmlVisibleText("<mx-reply>quoted</mx-reply>reply<script>x</script><style>y</style><img alt=z>"), "reply");
    assert.equal(htmlVisibleText("<title>t</title>body"), "body");
    assert.equal(htmlVisibleText("<!-- hidden -->shown"), "shown");
  });
  it("parses like DOMParser, not like a regex", () => {
    assert.equal(htmlVisibleText("<3 zorgle>"), "<3 zorgle>");
    assert.equal(htmlVisibleText("a < b > c"), "a < b > c");
    // Scripting is off in a DOMParser document: <noscript> content is markup, shown.
    assert.equal(htmlVisibleText("<noscript><p>zorgle</noscript>").trim(), "zorgle");
    assert.equal(htmlVisibleText("<td>zor</td>gle"), "zorgle");
  });
  it("shows, below the depth limit, an element's whole text as the widget does", () => {
    assert.equal(htmlVisibleText(`${"<b>".repeat(30)}<script>zor</script><p>gle</p>`), "zorgle");
  });
  it("survives deep nesting", () => {
    assert.equal(matchWordFilter(htmlVisibleTexts(`${"<div>".repeat(20_000)}zorgle`).join("\n"), words), "zorgle");
  });
  it("also reads HTML as other clients show it", () => {
    // Element keeps the text of tags it does not allow, shows divs as blocks and a spoiler's reason.
    assert.deepEqual(htmlVisibleTexts("<form>zorgle</form>"), ["", " zorgle "]);
    assert.ok(htmlVisibleTexts("<div>zorgle</div>s").some((t) => matchWordFilter(t, words)));
    assert.ok(htmlVisibleTexts('<span data-mx-spoiler="zorgle">x</span>').some((t) => matchWordFilter(t, words)));
  });
});

describe("word filter on formatted bodies", () => {
  it("catches the HTML dodges", () => {
    for (const h of ["<3 zorgle>", "&#122orgle", "&#x7a;orgle", "&#X7A;orgle", "z&ouml;rgle", "<b>zor</b>gle", "zor<!-- -->gle", "<i>z</i><b>o</b>rgle",
      "<h1>zor</h1><h2>gle</h2>", "<p>\u202Eelgroz\u202C</p>", "zor&shy;gle", "zor&#8203;gle", "zor&zwj;gle", "&#xFF5A;orgle", "<font>ZOR</font>GLE",
      "<form>zorgle</form>", "<select><option>zorgle</option></select>", "<svg><text>zorgle</text></svg>"]) {
      assert.equal(html(h), "zorgle", h);
    }
  });
  it("keeps what does not show the word", () => {
    for (const h of ["<b>zorgle</b>s", "zorgle<i>s</i>", "un<b>zorgle</b>", "zor<br>gle", "<p>zor</p><p>gle</p>", "<li>zor</li><li>gle</li>", "<a href='https://x/zorgle'>link</a>"]) {
      assert.equal(html(h), null, h);
    }
  });
});

describe("texts of an event", () => {
  it("takes a reaction's key", () => {
    assert.equal(hit("m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: "$zorgle", key: "ZORGLE" } }), "zorgle");
    assert.equal(hit("m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: "$zorgle", key: "👍" } }), null);
  });
  it("reads polls, stable and unstable", () => {
    const stable = (q: string, a: string) => ({
      "m.poll": { kind: "m.disclosed", max_selections: 1, question: { "m.text": [{ body: q }] }, answers: [{ "m.id": "a1", "m.text": [{ body: a }] }] },
      "m.text": [{ body: "poll" }],
    });
    const unstable = (q: string, a: string) => ({
      "org.matrix.msc3381.poll.start": {
        kind: "org.matrix.msc3381.poll.disclosed",
        max_selections: 1,
        question: { "org.matrix.msc1767.text": q, body: "question", msgtype: "m.text" },
        answers: [{ id: "a1", "org.matrix.msc1767.text": a }],
      },
      "org.matrix.msc1767.text": "poll",
    });
    for (const [type, make] of [["m.poll.start", stable], ["org.matrix.msc3381.poll.start", unstable]] as const) {
      assert.equal(hit(type, make("zorgle?", "yes")), "zorgle", type);
      assert.equal(hit(type, make("ok?", "Zorgle")), "zorgle", type);
      assert.equal(hit(type, make("ok?", "yes")), null, type);
      // The kind and answer ids are not shown.
      assert.equal(matchWordFilter(eventTexts(type, make("ok?", "yes")).join("\n"), ["disclosed", "a1"]), null, type);
    }
    // An edited poll: deeper still.
    assert.equal(hit("m.poll.start", { "m.new_content": stable("ok?", "zorgle") }), "zorgle");
  });
  it("reads MSC1767 text arrays, HTML entries as HTML", () => {
    assert.equal(hit("m.message", { "m.text": [{ mimetype: "text/html", body: "<b>zor</b>gle" }, { body: "clean" }] }), "zorgle");
    assert.equal(hit("m.message", { "m.text": [{ mimetype: "text/html", body: "<b>zorgle</b>s" }] }), null);
  });
  it("reads custom event types", () => {
    assert.equal(hit("com.example.shout", { text: "ZORGLE!" }), "zorgle");
    assert.equal(hit("com.example.card", { card: { title: "hi", lines: ["a", { text: "z\u200Borgle" }] } }), "zorgle");
  });
  it("reads an edit's new content, HTML included", () => {
    const edit = { body: "* hi", "m.new_content": { body: "hi", format: "org.matrix.custom.html", formatted_body: "<b>zor</b>gle" }, "m.relates_to": { rel_type: "m.replace", event_id: "$x" } };
    assert.equal(hit("m.room.message", edit), "zorgle");
  });
  it("skips what clients do not show as text", () => {
    const image = {
      msgtype: "m.image", body: "cat.png", url: "mxc://s/zorgle", info: { mimetype: "image/png", thumbnail_url: "mxc://s/zorgle" },
      "m.relates_to": { "m.in_reply_to": { event_id: "$zorgle" } }, "m.mentions": { user_ids: ["@zorgle:s"] },
    };
    assert.deepEqual(eventTexts("m.room.message", image), ["cat.png"]);
    assert.deepEqual(eventTexts("m.room.redaction", { reason: "zorgle", redacts: "$x" }), []);
    assert.deepEqual(eventTexts("m.call.invite", { offer: { type: "offer", sdp: "v=0 zorgle" } }), []);
  });
  it("takes only the display name of a member event", () => {
    assert.deepEqual(eventTexts("m.room.member", { membership: "join", displayname: "Zorgle", avatar_url: "mxc://s/a" }), ["Zorgle"]);
    assert.deepEqual(eventTexts("m.room.member", { membership: "leave", reason: "x" }), []);
  });
  it("stops at a depth and a number of strings", () => {
    let deep: Record<string, unknown> = { text: "zorgle" };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    assert.equal(hit("com.example.deep", deep), null);
    assert.ok(eventTexts("com.example.many", { list: Array.from({ length: 1000 }, (_, i) => `s${i}`) }).length <= 200);
  });
});
