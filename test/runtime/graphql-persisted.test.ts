/**
 * Persisted queries through the whole worker: the allow-list uploaded with
 * `PUT /admin/graphql/persisted-queries` (versioned with the config, audited), enforced on a
 * route with `persisted_queries.required`, and Apollo's APQ registration on a route without it.
 * The fake origin's /echo shows what the upstream received.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { admin, auditRows, currentVersion, json, putConfig, send } from "./admin-harness";

const sha256 = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

const LISTED = "query Listed { me { id } }";
const OTHER = "query Other { me { name } }";

const CONFIG = {
  routes: [
    { id: "locked", path: "/locked", upstream: "origin", graphql: { security: { persisted_queries: { required: true } } } },
    { id: "open", path: "/open", upstream: "origin", graphql: true },
  ],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test/echo"] }],
};

const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const post = (path: string, body: unknown) => send(`https://gw.test${path}`, json("POST", body));

async function code(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: { extensions: { code: string } }[] };
  return body.errors?.[0]?.extensions.code;
}

/** What the origin received as the body, parsed. */
async function echoed(res: Response): Promise<Record<string, unknown>> {
  expect(res.status).toBe(200);
  return JSON.parse(((await res.json()) as { body: string }).body) as Record<string, unknown>;
}

let listedHash: string;

beforeAll(async () => {
  await putConfig(CONFIG);
  listedHash = await sha256(LISTED);
});

describe("PUT /admin/graphql/persisted-queries", () => {
  it("stores an Apollo manifest as a new, audited config version, and GET shows it", async () => {
    const before = await currentVersion();
    const manifest = {
      format: "apollo-persisted-query-manifest",
      version: 1,
      operations: [{ id: listedHash, name: "Listed", type: "query", body: LISTED }],
    };
    const res = await admin("/graphql/persisted-queries", json("PUT", manifest));
    expect(res.status).toBe(200);
    const saved = (await res.json()) as { version: number; sha256: string; count: number };
    expect(saved).toMatchObject({ version: before + 1, count: 1 });
    const listed = (await (await admin("/graphql/persisted-queries")).json()) as Record<string, unknown>;
    expect(listed).toEqual({ version: before + 1, sha256: saved.sha256, count: 1, queries: { [listedHash]: LISTED } });
    const rows = await auditRows("event = 'config_change' AND action = 'persisted_queries_put'");
    expect(rows.at(-1)).toMatchObject({ target: "graphql/persisted-queries", new_version: before + 1 });
  });

  it("refuses a hash that is not its query's, a query that does not parse and other shapes, by path, changing nothing", async () => {
    const before = await currentVersion();
    const res = await admin("/graphql/persisted-queries", json("PUT", { [listedHash]: OTHER, [await sha256("{ a ")]: "{ a " }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string; message: string }[] };
    expect(body.error).toBe("invalid_persisted_queries");
    expect(body.issues.map((issue) => issue.message)).toEqual([
      expect.stringMatching(/not the query's SHA-256/),
      expect.stringMatching(/^GRAPHQL_PARSE_FAILED/),
    ]);
    expect((await admin("/graphql/persisted-queries", json("PUT", ["x"]))).status).toBe(400);
    expect(
      (await admin("/graphql/persisted-queries", { method: "PUT", headers: { "Content-Type": "application/json" }, body: "{" })).status,
    ).toBe(400);
    expect(await currentVersion()).toBe(before);
  });

  it("keeps the list through a config saved later, and a rollback brings back the list of its version", async () => {
    const withList = await currentVersion();
    await putConfig(CONFIG);
    expect(((await (await admin("/graphql/persisted-queries")).json()) as { count: number }).count).toBe(1);
    const otherHash = await sha256(OTHER);
    expect((await admin("/graphql/persisted-queries", json("PUT", { [otherHash]: OTHER }))).status).toBe(200);
    expect(Object.keys(((await (await admin("/graphql/persisted-queries")).json()) as { queries: object }).queries)).toEqual([otherHash]);
    expect((await admin("/config/rollback", json("POST", { version: withList }))).status).toBe(200);
    expect(Object.keys(((await (await admin("/graphql/persisted-queries")).json()) as { queries: object }).queries)).toEqual([listedHash]);
  });
});

describe("a route with persisted_queries.required", () => {
  it("serves a listed query, sent in full or by its hash alone (the upstream gets the query)", async () => {
    expect((await echoed(await post("/locked", { query: LISTED }))).query).toBe(LISTED);
    const byHash = await echoed(await post("/locked", { operationName: "Listed", extensions: apq(listedHash) }));
    expect(byHash).toEqual({ operationName: "Listed", extensions: apq(listedHash), query: LISTED });
    const get = await send(`https://gw.test/locked?extensions=${encodeURIComponent(JSON.stringify(apq(listedHash)))}`);
    expect(get.status).toBe(200);
    expect(new URL(((await get.json()) as { url: string }).url).searchParams.get("query")).toBe(LISTED);
  });

  it("refuses any other query, and a hash it does not list, without registering it", async () => {
    expect(await code(await post("/locked", { query: OTHER }))).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    const otherHash = await sha256(OTHER);
    expect(await code(await post("/locked", { query: OTHER, extensions: apq(otherHash) }))).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    const res = await post("/locked", { extensions: apq(otherHash) });
    expect(res.status).toBe(400);
    expect(await code(res)).toBe("PERSISTED_QUERY_NOT_ALLOWED");
  });
});

describe("Apollo's automatic persisted queries on a route without required", () => {
  it("registers a query sent with its hash, then serves the hash alone with the query filled in", async () => {
    const query = "query Fresh { me { id name } }";
    const hash = await sha256(query);
    const miss = await post("/open", { extensions: apq(hash) });
    expect(miss.status).toBe(200);
    expect(await code(miss)).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await echoed(await post("/open", { query, extensions: apq(hash) }))).query).toBe(query);
    expect((await echoed(await post("/open", { extensions: apq(hash) }))).query).toBe(query);
    // The uploaded list serves here too.
    expect((await echoed(await post("/open", { extensions: apq(listedHash) }))).query).toBe(LISTED);
  });

  it("never registers a refused query", async () => {
    // 31 aliases: over the default max_aliases of 30.
    const query = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
    const hash = await sha256(query);
    expect(await code(await post("/open", { query, extensions: apq(hash) }))).toBe("ALIAS_LIMIT_EXCEEDED");
    expect(await code(await post("/open", { extensions: apq(hash) }))).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});
