import { describe, expect, it } from "vitest";
import { compilePurges, MAX_PURGE_MARKERS, withMarkers, type PurgeMarker } from "./purge";

describe("purge markers", () => {
  const purged = compilePurges([
    { host: "api.example.com", path: "/products/1?x=1", prefix: false, at: 100 },
    { path: "/docs/", prefix: true, at: 200 },
  ]);

  it("purge an exact URL's entries stored before the marker, whatever the case or trailing slash", () => {
    expect(purged(99, "API.example.com", "/Products/1/", "?x=1")).toBe(true);
    expect(purged(100, "api.example.com", "/products/1", "?x=1")).toBe(false);
    expect(purged(99, "api.example.com", "/products/1", "?x=2")).toBe(false);
    expect(purged(99, "other.example.com", "/products/1", "?x=1")).toBe(false);
  });

  it("purge a prefix on every host when the marker names none", () => {
    expect(purged(150, "a.example.com", "/docs/intro", "")).toBe(true);
    expect(purged(150, "a.example.com", "/docs", "")).toBe(false);
    expect(purged(250, "a.example.com", "/docs/intro", "")).toBe(false);
  });

  it("fold the oldest markers into one for every path beyond the limit, purging more, never less", () => {
    const markers: PurgeMarker[] = Array.from({ length: MAX_PURGE_MARKERS + 5 }, (_, i) => ({ path: `/p${i}`, prefix: false, at: i }));
    const kept = withMarkers(markers.slice(0, 50), markers.slice(50));
    expect(kept).toHaveLength(MAX_PURGE_MARKERS);
    expect(kept[0]).toEqual({ path: "/", prefix: true, at: 5 });
    const check = compilePurges(kept);
    for (let i = 0; i <= 5; i++) expect(check(i - 1, "h", `/p${i}`, "")).toBe(true);
    expect(check(103, "h", `/p104`, "")).toBe(true);
  });
});
