import { describe, expect, it } from "vitest";
import { MAX_QUERIES_PER_TENANT, MAX_QUERY_LENGTH, MAX_TENANTS, RegisteredQueries } from "./registered-queries";

describe("RegisteredQueries", () => {
  it("keeps each tenant's queries apart", () => {
    const registered = new RegisteredQueries();
    registered.set("acme", "h1", "{ a }");
    expect(registered.get("acme", "h1")).toBe("{ a }");
    expect(registered.get("globex", "h1")).toBeUndefined();
    expect(registered.get("", "h1")).toBeUndefined();
  });

  it("keeps at most MAX_QUERIES_PER_TENANT per tenant, the least recently used out first", () => {
    const registered = new RegisteredQueries();
    for (let i = 0; i < MAX_QUERIES_PER_TENANT; i++) registered.set("t", `h${i}`, `{ f${i} }`);
    expect(registered.get("t", "h0")).toBe("{ f0 }");
    registered.set("t", "new", "{ n }");
    // h0 was used again, so h1 went.
    expect(registered.get("t", "h0")).toBe("{ f0 }");
    expect(registered.get("t", "h1")).toBeUndefined();
    expect(registered.get("t", "new")).toBe("{ n }");
  });

  it("keeps at most MAX_TENANTS tenants, and no query over MAX_QUERY_LENGTH", () => {
    const registered = new RegisteredQueries();
    for (let i = 0; i <= MAX_TENANTS; i++) registered.set(`t${i}`, "h", "{ a }");
    expect(registered.get("t0", "h")).toBeUndefined();
    expect(registered.get(`t${MAX_TENANTS}`, "h")).toBe("{ a }");
    registered.set("t1", "big", `{ ${"a ".repeat(MAX_QUERY_LENGTH)}}`);
    expect(registered.get("t1", "big")).toBeUndefined();
  });
});
