/**
 * The GraphQL guard through the whole worker: routes marked `graphql`, the fake origin's /echo
 * (test/support/fake-origin.ts) as the upstream, which shows what reached it. A refused request
 * is GraphQL-shaped JSON and never reaches the origin; every refusal is an audit row.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { auditRows, putConfig, send } from "./admin-harness";

const SECURITY = { max_depth: 4, max_complexity: 50, introspection: false, max_aliases: 3, max_directives: 4, max_batch_size: 2 };

beforeAll(async () => {
  const { warnings } = await putConfig({
    graphql: { security: SECURITY },
    routes: [
      { id: "gql", path: "/graphql", upstream: "origin", graphql: true, strip_prefix: false },
      // Its own block replaces the top-level one: introspection allowed, a tiny document size.
      { id: "gql-open", path: "/open/graphql", upstream: "origin", graphql: { security: { max_document_size: 300 } } },
      { id: "rest", path: "/rest/*", upstream: "origin" },
    ],
    upstreams: [{ name: "origin", endpoints: ["https://origin.test/echo"] }],
  });
  expect(warnings).toEqual([]);
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  send("https://gw.test/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function refused(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[]; extensions: { request_id: string } };
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0]!.extensions.code).toBe(code);
  expect(body.extensions.request_id).toBe(res.headers.get("X-Request-Id"));
  return body.errors[0]!.message;
}

/** The echo of what the origin received: proof the request went through. */
async function forwarded(res: Response): Promise<{ method: string; body: string; url: string }> {
  expect(res.status).toBe(200);
  return (await res.json()) as { method: string; body: string; url: string };
}

describe("GraphQL routes", () => {
  it("forwards a query within the limits, body unchanged", async () => {
    const body = { query: "query Q($n: Int) { users(first: $n) { id name } }", variables: { n: 5 }, operationName: "Q" };
    const echo = await forwarded(await post(body));
    expect(echo.method).toBe("POST");
    expect(JSON.parse(echo.body)).toEqual(body);
  });

  it("refuses depth, cost, alias and directive bombs with their codes", async () => {
    await refused(await post({ query: "{ a { b { c { d { e } } } } }" }), 400, "DEPTH_LIMIT_EXCEEDED");
    await refused(await post({ query: "{ users(first: 100) { id } }" }), 400, "COMPLEXITY_LIMIT_EXCEEDED");
    await refused(
      await post({ query: "query Q($n: Int) { users(first: $n) { id } }", variables: { n: 1000 } }),
      400,
      "COMPLEXITY_LIMIT_EXCEEDED",
    );
    await refused(await post({ query: "{ a: f b: f c: f d: f }" }), 400, "ALIAS_LIMIT_EXCEEDED");
    await refused(await post({ query: "{ f @a @b @c @d @e }" }), 400, "DIRECTIVE_LIMIT_EXCEEDED");
    const fanOut = "{ ...A ...A ...A ...A } fragment A on Q { ...B ...B ...B ...B } fragment B on Q { w x y z }";
    expect(await refused(await post({ query: fanOut }), 400, "COMPLEXITY_LIMIT_EXCEEDED")).toMatch(/cost 64 is over the limit of 50/);
  });

  it("refuses introspection hidden behind aliases and fragments, and allows __typename", async () => {
    await refused(await post({ query: "{ s: __schema { types { name } } }" }), 400, "INTROSPECTION_DISABLED");
    await refused(await post({ query: '{ ...F } fragment F on Query { __type(name: "User") { name } }' }), 400, "INTROSPECTION_DISABLED");
    await forwarded(await post({ query: "{ __typename }" }));
  });

  it("refuses cyclic fragments and malformed documents as 400, never 500", async () => {
    await refused(await post({ query: "{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }" }), 400, "GRAPHQL_VALIDATION_FAILED");
    await refused(await post({ query: "{ a " }), 400, "GRAPHQL_PARSE_FAILED");
    await refused(await post({ query: 42 }), 400, "BAD_REQUEST");
    await refused(await post({ variables: {} }), 400, "BAD_REQUEST");
    await refused(await post("{not json"), 400, "BAD_REQUEST");
    await refused(await post({ query: "{ a }", variables: [1] }), 400, "BAD_REQUEST");
    await refused(await post("{ a }", { "Content-Type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("checks every operation of a batch, and the batch size", async () => {
    const batch = [{ query: "{ a }" }, { query: "{ b }" }];
    expect(JSON.parse((await forwarded(await post(batch))).body)).toEqual(batch);
    await refused(await post([{ query: "{ a }" }, { query: "{ a { b { c { d { e } } } } }" }]), 400, "DEPTH_LIMIT_EXCEEDED");
    await refused(await post([{ query: "{ a }" }, { query: "{ b }" }, { query: "{ c }" }]), 400, "BATCH_LIMIT_EXCEEDED");
    await refused(await post([]), 400, "BAD_REQUEST");
  });

  it("checks operations the request does not select too", async () => {
    await refused(
      await post({ query: "query Ok { a } query Evil { __schema { types { name } } }", operationName: "Ok" }),
      400,
      "INTROSPECTION_DISABLED",
    );
  });

  it("accepts GET queries and application/graphql bodies; a mutation sent with GET is 405", async () => {
    const get = await send(`https://gw.test/graphql?query=${encodeURIComponent("{ a }")}`);
    expect((await forwarded(get)).method).toBe("GET");
    const graphqlBody = await send("https://gw.test/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/graphql" },
      body: "{ a { b } }",
    });
    expect((await forwarded(graphqlBody)).body).toBe("{ a { b } }");
    const mutation = await send(`https://gw.test/graphql?query=${encodeURIComponent("mutation { drop }")}`);
    await refused(mutation, 405, "MUTATION_NOT_ALLOWED_WITH_GET");
    expect(mutation.headers.get("Allow")).toBe("POST");
    await refused(await send(`https://gw.test/graphql?query=${encodeURIComponent("{ a }")}&variables=nope`), 400, "BAD_REQUEST");
    const put = await send("https://gw.test/graphql", { method: "PUT", headers: { "Content-Type": "application/json" }, body: "{}" });
    await refused(put, 405, "METHOD_NOT_ALLOWED");
  });

  it("answers an unknown APQ hash as Apollo does, and refuses a hash that is not the query's", async () => {
    const hash = "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38";
    const lookup = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toEqual({
      errors: [{ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }],
    });
    // The hash of "{__typename}" with the query: checked and forwarded.
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("{__typename}")))]
      .map((byte) => byte.toString(16).padStart(2, "0"))
      .join("");
    await forwarded(await post({ query: "{__typename}", extensions: { persistedQuery: { version: 1, sha256Hash: digest } } }));
    await refused(
      await post({ query: "{ other }", extensions: { persistedQuery: { version: 1, sha256Hash: digest } } }),
      400,
      "PERSISTED_QUERY_HASH_MISMATCH",
    );
  });

  it("gives a route's own block precedence: introspection allowed, its document size 413", async () => {
    const open = (query: string) =>
      send("https://gw.test/open/graphql", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query }),
      });
    await forwarded(await open("{ __schema { types { name } } }"));
    await refused(await open(`{ ${"a ".repeat(200)}}`), 413, "DOCUMENT_TOO_LARGE");
  });

  it("leaves other routes alone", async () => {
    const res = await send("https://gw.test/rest/x", { method: "PUT", body: "not graphql" });
    expect(res.status).toBe(200);
  });

  it("audits refusals, aggregated, with the rule and operation name, never the document or variables", async () => {
    await post({
      query: "query Sneaky($secret: String) { __schema { types { name } } }",
      operationName: "Sneaky",
      variables: { secret: "hunter2" },
    });
    const rows = await auditRows("event = 'graphql_refused' AND details LIKE '%Sneaky%'");
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.target).toBe("routes/gql");
    expect(JSON.parse(row.details as unknown as string)).toMatchObject({ rule: "INTROSPECTION_DISABLED", operation: "Sneaky", count: 1 });
    expect(JSON.stringify(row)).not.toMatch(/hunter2|__schema/);
    // Client text in a key is bounded: a long name is cut to 64 characters, one that is not a GraphQL name is (other).
    await post({ query: `query ${"x".repeat(100)} { __schema { a } }` });
    const long = await auditRows("event = 'graphql_refused' AND json_extract(details, '$.operation') = ?", `${"x".repeat(64)}…`);
    expect(long).toHaveLength(1);
    await post({ query: "{ a ", operationName: "drop table; --" });
    expect(await auditRows("event = 'graphql_refused' AND json_extract(details, '$.operation') = '(other)'")).toHaveLength(1);
  });
});
