import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COUNTER, counterFamilies, counterField, renderMetrics } from "../../lib/metrics.ts";

describe("metrics text format", () => {
  it("writes HELP, TYPE and one line per sample, labels quoted and escaped", () => {
    const text = renderMetrics([
      { name: "livehouse_viewers", help: "Viewers", type: "gauge", samples: [{ labels: { channel: 'a"b\\c\nd' }, value: 3 }, { value: 0 }] },
      { name: "x_total", help: "two\nlines", type: "counter", samples: [{ value: NaN }, { value: Infinity }] },
    ]);
    assert.equal(
      text,
      ['# HELP livehouse_viewers Viewers', "# TYPE livehouse_viewers gauge", 'livehouse_viewers{channel="a\\"b\\\\c\\nd"} 3', "livehouse_viewers 0", "# HELP x_total two\\nlines", "# TYPE x_total counter", "x_total NaN", "x_total +Inf", ""].join("\n"),
    );
  });

  it("refuses names Prometheus would not read", () => {
    assert.throws(() => renderMetrics([{ name: "bad-name", help: "", type: "gauge", samples: [] }]), /bad metric name/);
    assert.throws(() => renderMetrics([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { "bad-label": "x" }, value: 1 }] }]), /bad label name/);
  });

  it("keys a counter by its declared labels, in order, and refuses others", () => {
    assert.equal(counterField(COUNTER.ingestPublishes), "livehouse_ingest_publishes_total");
    assert.equal(counterField(COUNTER.ingestRefusals, { reason: "stream key" }), 'livehouse_ingest_refusals_total{reason="stream key"}');
    assert.throws(() => counterField(COUNTER.ingestRefusals), /labels reason expected/);
    assert.throws(() => counterField(COUNTER.chatMessages, { channel: "x" }), /expected/);
  });

  it("reads stored counters back with their labels, and shows label-free counters at zero", () => {
    const stored = {
      [counterField(COUNTER.ingestRefusals, { reason: 'odd "one"' })]: "4",
      [counterField(COUNTER.ingestRefusals, { reason: "protocol" })]: "2",
      [counterField(COUNTER.chatMessages)]: "7",
      "livehouse_ingest_refusals_totalish": "9",
    };
    const byName = Object.fromEntries(counterFamilies(stored).map((f) => [f.name, f.samples]));
    assert.deepEqual(byName.livehouse_ingest_refusals_total, [
      { labels: { reason: 'odd "one"' }, value: 4 },
      { labels: { reason: "protocol" }, value: 2 },
    ]);
    assert.deepEqual(byName.livehouse_chat_messages_total, [{ labels: {}, value: 7 }]);
    assert.deepEqual(byName.livehouse_chat_redactions_total, [{ value: 0 }]);
    assert.deepEqual(byName.livehouse_exports_total, []);
  });
});
