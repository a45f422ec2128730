// The OpenAPI description against the real routes: it is a valid OpenAPI 3.1
// document; every route file under app/api has each of its methods described and
// every described path exists; and for every operation, what it says about
// authentication and scopes is what the running server does (the wrong scope is
// refused naming the documented one, the documented scope alone gets through,
// session-only operations refuse every token) with a status it documents.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { API_SCOPE_NAMES, type ApiScope } from "../../lib/apiScopes.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeAdmin, makeUser, type TestUser } from "../support/fixtures.ts";
import { api, request } from "../support/http.ts";
import { fillPath, makeToken, ownerThings, tokenApi } from "../support/ownerApi.ts";

closeConnectionsAfter();

let admin: TestUser | undefined;
const adminUser = async () => (admin ??= await makeAdmin("openapi-admin"));

const root = path.resolve(import.meta.dirname, "../..");
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

async function served(): Promise<any> {
  const res = await request("GET", "/api/openapi.json");
  assert.equal(res.status, 200);
  assert.match(String(res.headers["content-type"]), /application\/json/);
  return res.json();
}

/** "METHOD /api/…/{param}" for every exported handler of every route file under app/api. */
function routeFileOperations(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/^route\.(ts|tsx|js)$/.test(name)) {
        const url = "/" + path.relative(path.join(root, "app"), dir).split(path.sep).map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/");
        const text = readFileSync(full, "utf8");
        for (const m of text.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b/g)) out.add(`${m[1]} ${url}`);
      }
    }
  };
  walk(path.join(root, "app", "api"));
  return out;
}

function documentedOperations(doc: any): { key: string; method: string; path: string; op: any }[] {
  const out = [];
  for (const [p, item] of Object.entries<any>(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.push({ key: `${m.toUpperCase()} ${p}`, method: m.toUpperCase(), path: p, op: item[m] });
  }
  return out;
}

describe("OpenAPI description", () => {
  it("is served as a valid OpenAPI 3.1 document", async () => {
    const doc = await served();
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(doc.servers[0].url, process.env.PUBLIC_URL);
    await SwaggerParser.validate(structuredClone(doc));
    // The validator does catch mistakes: a dangling reference is refused.
    const broken = structuredClone(doc);
    broken.paths["/api/channels"].get.responses[200].content["application/json"].schema = { $ref: "#/components/schemas/NoSuchThing" };
    await assert.rejects(SwaggerParser.validate(broken));
    // Every webhook event is described with its payload.
    assert.deepEqual(Object.keys(doc.webhooks).sort(), ["chat.moderation", "replay.exported", "replay.ready", "stream.ended", "stream.reconnecting", "stream.resumed", "stream.started", "webhook.test"]);
  });

  it("describes every method of every route file under app/api, and nothing that does not exist", async () => {
    const doc = await served();
    const inCode = routeFileOperations();
    assert.ok(inCode.size >= 25, `found ${inCode.size} operations in app/api`);
    const documented = documentedOperations(doc);
    const byRouteFile = new Set(documented.filter((d) => !d.op["x-livehouse-served-by"]).map((d) => d.key));
    const undocumented = [...inCode].filter((k) => !byRouteFile.has(k));
    const missing = [...byRouteFile].filter((k) => !inCode.has(k));
    assert.deepEqual(undocumented, [], "route handlers without a description");
    assert.deepEqual(missing, [], "described operations without a route handler");
    // Operations served before Next.js name the file that serves them, and answer.
    const owner = await makeUser("openapi");
    const things = await ownerThings(owner);
    for (const d of documented.filter((x) => x.op["x-livehouse-served-by"])) {
      assert.ok(existsSync(path.join(root, d.op["x-livehouse-served-by"])), d.key);
      const res = await request(d.method, `${fillPath(d.path, things)}?before=99999999999999-0`);
      assert.notEqual(res.status, 404, d.key);
    }
  });

  it("says which calls need which scope, and the server agrees, for every operation", async () => {
    const doc = await served();
    const baseOrigin = new URL(process.env.LH_TEST_BASE_URL!).origin;
    for (const d of documentedOperations(doc)) {
      const auth = d.op["x-livehouse-auth"];
      assert.ok(["public", "session", "token", "admin"].includes(auth), `${d.key}: x-livehouse-auth`);
      const owner = await makeUser("openapi");
      const things = await ownerThings(owner);
      // A Server-Sent Events stream never ends: its JSON form (?before) answers the same authentication.
      const url = fillPath(d.path, things) + (d.op["x-livehouse-served-by"] ? "?before=99999999999999-0" : "");
      const body = d.op.requestBody ? {} : undefined;
      const documents = (status: number) => assert.ok(String(status) in d.op.responses || `${String(status)[0]}XX` in d.op.responses, `${d.key} answered ${status}, which it does not document`);

      if (auth === "public") {
        assert.deepEqual(d.op.security, [], d.key);
        const res = await request(d.method, url);
        assert.ok(res.status < 300, `${d.key} → ${res.status}`);
        documents(res.status);
        continue;
      }
      const unauthenticated = await request(d.method, url, { headers: { origin: baseOrigin, "content-type": "application/json" }, body: body && "{}" });
      assert.equal(unauthenticated.status, 401, `${d.key} without credentials`);

      if (auth === "admin") {
        assert.deepEqual(d.op.security, [{ session: [] }], d.key);
        assert.equal((await tokenApi(d.method, url, await makeToken(owner, [...API_SCOPE_NAMES]), body)).status, 403, `${d.key} with a token`);
        assert.equal((await api(d.method, url, { cookie: owner.cookie, body })).status, 404, `${d.key} for an account that is not the admin`);
        const admin = await api(d.method, url, { cookie: (await adminUser()).cookie, body });
        assert.ok(![401, 403].includes(admin.status), `${d.key} for the admin → ${admin.status} ${admin.text}`);
        documents(admin.status);
        continue;
      }

      if (auth === "session") {
        assert.deepEqual(d.op.security, [{ session: [] }], d.key);
        const everything = await tokenApi(d.method, url, await makeToken(owner, [...API_SCOPE_NAMES]), body);
        assert.equal(everything.status, 403, `${d.key} with a token`);
        const browser = await api(d.method, url, { cookie: owner.cookie, body });
        assert.ok(![401, 403, 404].includes(browser.status), `${d.key} with a session → ${browser.status} ${browser.text}`);
        documents(browser.status);
        continue;
      }

      const scope = d.op["x-livehouse-scope"] as ApiScope;
      assert.ok(API_SCOPE_NAMES.includes(scope), `${d.key}: x-livehouse-scope ${scope}`);
      assert.deepEqual(d.op.security, [{ apiToken: [scope] }, { session: [] }], d.key);
      const wrong = await tokenApi(d.method, url, await makeToken(owner, API_SCOPE_NAMES.filter((s) => s !== scope)), body);
      assert.equal(wrong.status, 403, `${d.key} without ${scope}`);
      assert.equal(wrong.json().requiredScope, scope, `${d.key}: the scope the server asks for is the documented one`);
      const right = await tokenApi(d.method, url, await makeToken(owner, [scope]), body);
      assert.ok(![401, 403, 404].includes(right.status), `${d.key} with only ${scope} → ${right.status} ${right.text}`);
      documents(right.status);
    }
  });
});
