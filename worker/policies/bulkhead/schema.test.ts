import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { validateConfig } from "../../config/parse";
import { upstreamSchema } from "../../config/schema";
import { bulkheadSchema } from "./schema";

/** LOOM-CONFIG.md's upstream example, as Loom documents it. */
const LOOM_EXAMPLE = `
routes:
  - id: catchall
    path: /*
    upstream: backend-v1
upstreams:
  - name: backend-v1
    endpoints: ["node1.internal:8080", "node2.internal:8080"]
    load_balancer: consistent_hash
    consistent_hash: { hash_key: X-User-ID, replicas: 150 }
    bulkhead: { enabled: true, max_concurrent: 100, queue_size: 50, timeout: 5s }
`;

function issuePaths(document: Record<string, unknown>): string[] {
  const result = validateConfig(document, {});
  return result.ok ? [] : result.issues.map((issue) => issue.path);
}

describe("upstreams[].bulkhead schema", () => {
  it("is off unless enabled, as Loom's code reads an unset bool; 100 at once, no queue, 5 s", () => {
    expect(bulkheadSchema.parse({})).toEqual({ enabled: false, max_concurrent: 100, queue_size: 0, timeout: 5_000 });
  });

  it("loads LOOM-CONFIG.md's example as written, without a bulkhead warning", () => {
    const result = validateConfig(parseYaml(LOOM_EXAMPLE), {});
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.config.upstreams[0]!.bulkhead).toEqual({ enabled: true, max_concurrent: 100, queue_size: 50, timeout: 5_000 });
    expect(result.warnings.filter((warning) => warning.includes("bulkhead"))).toEqual([]);
  });

  it("warns about a block that is not enabled: it limits nothing", () => {
    const result = validateConfig(
      { upstreams: [{ name: "backend", endpoints: ["https://origin.example.com"], bulkhead: { max_concurrent: 10 } }] },
      {},
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.warnings.filter((warning) => warning.includes("bulkhead"))).toEqual([
      "upstreams[0].bulkhead: enabled is not true (Loom's code default is false): no concurrency limit applies to this upstream",
    ]);
  });

  it.each([
    [{ max_concurrent: 0 }, "max_concurrent"],
    [{ max_concurrent: 10_001 }, "max_concurrent"],
    [{ max_concurrent: 1.5 }, "max_concurrent"],
    [{ queue_size: -1 }, "queue_size"],
    [{ queue_size: 10_001 }, "queue_size"],
    [{ timeout: "0s" }, "timeout"],
    [{ timeout: "61s" }, "timeout"],
    [{ timeout: "soon" }, "timeout"],
    [{ max_queue: 5 }, ""],
  ])("refuses %o by path", (block, key) => {
    const paths = issuePaths({ upstreams: [{ name: "u", endpoints: ["h.example.com:1"], bulkhead: { enabled: true, ...block } }] });
    // An unknown key is reported on its block.
    expect(paths).toEqual([key === "" ? "upstreams[0].bulkhead" : `upstreams[0].bulkhead.${key}`]);
  });

  it("reads Go durations", () => {
    expect(upstreamSchema.parse({ name: "u", endpoints: ["h:1"], bulkhead: { timeout: "1m" } }).bulkhead?.timeout).toBe(60_000);
    expect(upstreamSchema.parse({ name: "u", endpoints: ["h:1"], bulkhead: { timeout: "100us" } }).bulkhead?.timeout).toBe(1);
  });
});
