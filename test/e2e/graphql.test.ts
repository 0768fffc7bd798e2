/**
 * The GraphQL guard over real HTTP: `wrangler dev` in front of a real GraphQL server on
 * 127.0.0.1 (graphql-js executing a small schema, as Apollo Server or Yoga would), which counts
 * the operations it executes. Bombs, introspection hidden in fragments and aliases, cyclic
 * fragments, malformed documents, GET and batched requests and Apollo's APQ round trip: what is
 * refused never reaches the server, what passes is executed and answered by it.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, graphql } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "./harness";

const schema = buildSchema(`
  type User { id: ID! name: String! friends(first: Int): [User!]! }
  type Query { me: User! users(first: Int): [User!]! }
  type Mutation { rename(name: String!): User! }
`);
const user = (id: number): Record<string, unknown> => ({
  id: String(id),
  name: `user ${id}`,
  friends: ({ first = 2 }) => Array.from({ length: first }, (_, i) => user(id * 10 + i)),
});
const root = {
  me: () => user(1),
  users: ({ first = 3 }: { first?: number }) => Array.from({ length: first }, (_, i) => user(i)),
  rename: ({ name }: { name: string }) => ({ ...user(1), name }),
};

let gateway: Gateway;
let server: Server;
/** Operations the server executed. */
const executed: string[] = [];

async function execute(body: { query: string; variables?: Record<string, unknown>; operationName?: string }): Promise<unknown> {
  executed.push(body.operationName ?? body.query);
  return graphql({ schema, source: body.query, rootValue: root, variableValues: body.variables, operationName: body.operationName });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://origin");
      const text = Buffer.concat(chunks).toString("utf8");
      const parsed =
        req.method === "GET"
          ? { query: url.searchParams.get("query") ?? "", operationName: url.searchParams.get("operationName") ?? undefined }
          : (req.headers["content-type"] ?? "").startsWith("application/graphql")
            ? { query: text }
            : JSON.parse(text);
      const result = Array.isArray(parsed) ? await Promise.all(parsed.map(execute)) : await execute(parsed);
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  gateway = await startGateway();
  const res = await gateway.putConfig({
    graphql: { security: { max_depth: 5, max_complexity: 200, introspection: false, max_aliases: 5, max_batch_size: 3 } },
    routes: [
      { id: "graphql", path: "/graphql", upstream: "api", graphql: true },
      { id: "locked", path: "/locked", upstream: "api", graphql: { security: { persisted_queries: { required: true } } } },
    ],
    upstreams: [{ name: "api", endpoints: [`127.0.0.1:${(server.address() as AddressInfo).port}`] }],
  });
  expect(res.status, await res.clone().text()).toBe(200);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  server?.closeAllConnections();
  server?.close();
});

const post = (body: unknown, contentType = "application/json") =>
  gateway.fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** Sends `send()` and checks it was refused with `code` and `status` without reaching the server. */
async function refused(send: () => Promise<Response>, status: number, code: string): Promise<void> {
  const before = executed.length;
  const res = await send();
  expect(res.status).toBe(status);
  const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
  expect(body.errors[0]!.extensions.code).toBe(code);
  expect(executed.length).toBe(before);
}

describe("GraphQL at the edge, in front of a real GraphQL server", () => {
  it("passes a query within the limits to the server, which executes it", async () => {
    const res = await post({ query: "query Me { me { name friends(first: 2) { name } } }", operationName: "Me" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: { name: "user 1", friends: [{ name: "user 10" }, { name: "user 11" }] } } });
  });

  it("refuses depth, complexity, alias, fan-out and duplicate-field bombs before the server", async () => {
    await refused(
      () => post({ query: "{ me { friends { friends { friends { friends { friends { id } } } } } } }" }),
      400,
      "DEPTH_LIMIT_EXCEEDED",
    );
    await refused(
      () => post({ query: "query Q($n: Int) { users(first: $n) { friends(first: $n) { id } } }", variables: { n: 50 } }),
      400,
      "COMPLEXITY_LIMIT_EXCEEDED",
    );
    await refused(
      () => post({ query: `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: me { id }`).join(" ")} }` }),
      400,
      "ALIAS_LIMIT_EXCEEDED",
    );
    const fanOut = `{ ...A ...A ...A ...A } fragment A on Query { ...B ...B ...B ...B } fragment B on Query { ...C ...C ...C ...C } fragment C on Query { me { id name } users { id } }`;
    await refused(() => post({ query: fanOut }), 400, "COMPLEXITY_LIMIT_EXCEEDED");
    await refused(() => post({ query: `{ ${"me { id } ".repeat(300)}}` }), 400, "COMPLEXITY_LIMIT_EXCEEDED");
  });

  it("refuses introspection through aliases and fragments, and serves __typename", async () => {
    await refused(() => post({ query: "{ s: __schema { types { name } } }" }), 400, "INTROSPECTION_DISABLED");
    await refused(
      () => post({ query: '{ ...F } fragment F on Query { t: __type(name: "User") { name } }' }),
      400,
      "INTROSPECTION_DISABLED",
    );
    const res = await post({ query: "{ __typename me { __typename } }" });
    expect(await res.json()).toEqual({ data: { __typename: "Query", me: { __typename: "User" } } });
  });

  it("refuses cyclic fragments and malformed documents with 400, never 500", async () => {
    await refused(
      () => post({ query: "{ ...A } fragment A on Query { me { ...B } } fragment B on User { friends { ...A } }" }),
      400,
      "GRAPHQL_VALIDATION_FAILED",
    );
    await refused(() => post({ query: "{ me { " }), 400, "GRAPHQL_PARSE_FAILED");
    await refused(() => post("{{{"), 400, "BAD_REQUEST");
    await refused(() => post({ query: `{ ${"a ".repeat(6000)}}` }), 400, "GRAPHQL_PARSE_FAILED");
  });

  it("serves GET queries, refuses a GET mutation with 405, takes application/graphql bodies", async () => {
    const get = await gateway.fetch(`/graphql?query=${encodeURIComponent("{ me { id } }")}`);
    expect(await get.json()).toEqual({ data: { me: { id: "1" } } });
    await refused(
      () => gateway.fetch(`/graphql?query=${encodeURIComponent('mutation { rename(name: "x") { id } }')}`),
      405,
      "MUTATION_NOT_ALLOWED_WITH_GET",
    );
    const body = await post("{ me { name } }", "application/graphql");
    expect(await body.json()).toEqual({ data: { me: { name: "user 1" } } });
  });

  it("checks each operation of a batch, and its size", async () => {
    const res = await post([{ query: "{ me { id } }" }, { query: "{ users(first: 1) { id } }" }]);
    expect(await res.json()).toEqual([{ data: { me: { id: "1" } } }, { data: { users: [{ id: "0" }] } }]);
    await refused(() => post([{ query: "{ me { id } }" }, { query: "{ __schema { types { name } } }" }]), 400, "INTROSPECTION_DISABLED");
    await refused(() => post(Array.from({ length: 4 }, () => ({ query: "{ me { id } }" }))), 400, "BATCH_LIMIT_EXCEEDED");
  });

  it("runs Apollo's APQ round trip: unknown hash, then query with hash; a wrong hash is refused", async () => {
    const query = "query Named { me { name } }";
    const sha256Hash = createHash("sha256").update(query).digest("hex");
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const before = executed.length;
    const miss = await post({ extensions, operationName: "Named" });
    expect(miss.status).toBe(200);
    expect(((await miss.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      "PERSISTED_QUERY_NOT_FOUND",
    );
    expect(executed.length).toBe(before);
    const registered = await post({ query, extensions, operationName: "Named" });
    expect(await registered.json()).toEqual({ data: { me: { name: "user 1" } } });
    // Registered: the hash alone is now served, the server getting the query from the edge.
    const lookup = await post({ extensions, operationName: "Named" });
    expect(await lookup.json()).toEqual({ data: { me: { name: "user 1" } } });
    expect(executed.length).toBe(before + 2);
    await refused(() => post({ query: "{ me { id } }", extensions }), 400, "PERSISTED_QUERY_HASH_MISMATCH");
  });

  it("serves only the uploaded allow-list on a route that requires persisted queries", async () => {
    const query = "query Listed { me { id } }";
    const id = createHash("sha256").update(query).digest("hex");
    const manifest = {
      format: "apollo-persisted-query-manifest",
      version: 1,
      operations: [{ id, name: "Listed", type: "query", body: query }],
    };
    const upload = await gateway.admin("/graphql/persisted-queries", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(manifest),
    });
    expect(upload.status, await upload.clone().text()).toBe(200);
    const locked = (body: unknown) =>
      gateway.fetch("/locked", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    // Isolates learn the new version within their 2 s config check.
    await expect.poll(async () => (await locked({ query })).status, { timeout: 10_000, interval: 500 }).toBe(200);
    expect(await (await locked({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } })).json()).toEqual({
      data: { me: { id: "1" } },
    });
    await refused(() => locked({ query: "{ me { name } }" }), 400, "PERSISTED_QUERY_NOT_ALLOWED");
  });
});
