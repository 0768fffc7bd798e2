/**
 * `${VAR}` over real HTTP. In an upstream endpoint: `wrangler dev` is given BACKEND_HOST and
 * BACKEND_PORT as Worker variables (`--var`), the config names the origin on 127.0.0.1 only as
 * `"${BACKEND_HOST}:${BACKEND_PORT}"`, and requests reach it. An upstream whose variable is not
 * set answers 503 variable_unavailable without any connection being made. In other fields: a
 * route's CORS origin is read from APP_HOST; a route whose jwt issuer names an unset variable
 * answers 503 variable_unavailable.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, startGateway, startOrigin, type Gateway, type Origin } from "./harness";

let origin: Origin;
let gateway: Gateway;
let warnings: string[];

beforeAll(async () => {
  origin = await startOrigin();
  const [host, port] = origin.endpoint.split(":") as [string, string];
  gateway = await startGateway({ vars: { BACKEND_HOST: host, BACKEND_PORT: port, APP_HOST: "app.example.com" } });
  const saved = await gateway.putConfig(`
routes:
  - { id: api, path: /api/*, upstream: backend, strip_prefix: true }
  - { id: elsewhere, path: /elsewhere/*, upstream: unset, strip_prefix: true }
  - { id: browser, path: /browser/*, upstream: backend, strip_prefix: true, cors: { origins: ["https://\${APP_HOST}"] } }
  - id: signed
    path: /signed/*
    upstream: backend
    auth: { type: jwt, secret: "\${JWT_SECRET}", algorithms: [HS256], issuer: "\${ISSUER}", audience: api }
upstreams:
  - name: backend
    endpoints: ["\${BACKEND_HOST}:\${BACKEND_PORT}"]
  - name: unset
    endpoints: ["\${BACKEND_HOST}:\${OTHER_PORT}"]
`);
  const text = await saved.text();
  expect(saved.status, text).toBe(200);
  ({ warnings } = JSON.parse(text) as { warnings: string[] });
});

afterAll(async () => {
  await gateway?.stop();
  await origin?.stop();
});

describe("an endpoint written as ${BACKEND_HOST}:${BACKEND_PORT}", () => {
  it("is saved as written, with a warning only for the upstream whose variable is unset", async () => {
    expect(warnings.filter((warning) => warning.startsWith("upstreams"))).toEqual([
      expect.stringMatching(/^upstreams\[1\]\.endpoints\[0\]: variable OTHER_PORT is not set .*503 variable_unavailable$/),
    ]);
    const shown = (await (await gateway.admin("/config")).json()) as { upstreams: { endpoints: string[] }[] };
    expect(shown.upstreams[0]!.endpoints).toEqual(["${BACKEND_HOST}:${BACKEND_PORT}"]);
  });

  it("forwards to the origin the Worker variables name", async () => {
    const m = marker();
    const res = await gateway.fetch(`/api/echo?m=${m}`);
    expect(res.status).toBe(200);
    expect(origin.received(m).map((request) => request.path)).toEqual(["/echo"]);
  });

  it("with a variable unset, answers 503 variable_unavailable without contacting anything, and logs which variable", async () => {
    const m = marker();
    const res = await gateway.fetch(`/elsewhere/echo?m=${m}`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "variable_unavailable" });
    expect(origin.received(m)).toEqual([]);
    const line = gateway
      .logs()
      .split("\n")
      .find((text) => text.includes("config_variable_unresolved"));
    expect(line).toContain("OTHER_PORT");
    expect(line).not.toContain(origin.endpoint.split(":")[1]);
  });
});

describe("${VAR} in fields other than endpoints", () => {
  it("a route's CORS origin is resolved from a Worker variable: that origin is allowed, another is not, and the admin API shows the reference", async () => {
    const allowed = await gateway.fetch("/browser/echo", { headers: { Origin: "https://app.example.com" } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    const other = await gateway.fetch("/browser/echo", { headers: { Origin: "https://evil.example" } });
    expect(other.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const shown = (await (await gateway.admin("/config")).json()) as { routes: { cors?: { origins: string[] } }[] };
    expect(shown.routes[2]!.cors!.origins).toEqual(["https://${APP_HOST}"]);
  });

  it("a route whose jwt issuer names an unset variable is saved with a warning and answers 503 variable_unavailable, contacting nothing", async () => {
    expect(warnings).toContainEqual(
      expect.stringMatching(/^routes\[3\]\.auth\.issuer: variable ISSUER is not set .*route "signed" .*503 variable_unavailable$/),
    );
    const m = marker();
    const res = await gateway.fetch(`/signed/echo?m=${m}`, { headers: { Authorization: "Bearer x.y.z" } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "variable_unavailable" });
    expect(origin.received(m)).toEqual([]);
  });
});
