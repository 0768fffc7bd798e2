/**
 * `${VAR}` in an upstream endpoint over real HTTP: `wrangler dev` is given BACKEND_HOST and
 * BACKEND_PORT as Worker variables (`--var`), the config names the origin on 127.0.0.1 only as
 * `"${BACKEND_HOST}:${BACKEND_PORT}"`, and requests reach it. An upstream whose variable is not
 * set answers 503 variable_unavailable without any connection being made.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, startGateway, startOrigin, type Gateway, type Origin } from "./harness";

let origin: Origin;
let gateway: Gateway;
let warnings: string[];

beforeAll(async () => {
  origin = await startOrigin();
  const [host, port] = origin.endpoint.split(":") as [string, string];
  gateway = await startGateway({ vars: { BACKEND_HOST: host, BACKEND_PORT: port } });
  const saved = await gateway.putConfig(`
routes:
  - { id: api, path: /api/*, upstream: backend, strip_prefix: true }
  - { id: elsewhere, path: /elsewhere/*, upstream: unset, strip_prefix: true }
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
