import { describe, expect, it } from "vitest";
import { normalizePath } from "./normalize";

describe("normalizePath: paths already in normal form pass unchanged", () => {
  it.each([
    "/",
    "/api",
    "/api/",
    "/api/v1/users/42",
    "/a-b_c.d~e",
    "/a/...",
    "/a/.hidden",
    "/a/..b",
    "/a/b..",
    "/a/!$&'()*+,;=:@",
    "/files/report.pdf",
    "/a/%3A%40",
    "/caf%C3%A9",
    "/100%25",
  ])("%j", (path) => {
    expect(normalizePath(path)).toEqual({ ok: true, path });
  });
});

describe("normalizePath: equivalent spellings reach one normal form", () => {
  it.each([
    // empty and repeated slashes
    ["", "/"],
    ["//", "/"],
    ["//api//x", "/api/x"],
    ["/api///x//", "/api/x/"],
    // dot segments (RFC 3986 §5.2.4)
    ["/.", "/"],
    ["/./", "/"],
    ["/a/./b/../c", "/a/c"],
    ["/a/b/..", "/a/"],
    ["/a/b/.", "/a/b/"],
    ["/a/..", "/"],
    ["/a/b/../../c", "/c"],
    ["/api/v1/../../admin", "/admin"],
    ["/a/.//b", "/a/b"],
    // percent-encoded dots are dots
    ["/api/%2e%2e/admin", "/admin"],
    ["/api/%2E%2E/admin", "/admin"],
    ["/api/.%2e/admin", "/admin"],
    ["/api/%2e./admin", "/admin"],
    ["/api/%2e/x", "/api/x"],
    ["/a/%2e%2e", "/"],
    // unreserved characters are decoded, in any hex case
    ["/%41%62%63", "/Abc"],
    ["/%7euser", "/~user"],
    ["/%7Euser", "/~user"],
    ["/a%2Db%5fc", "/a-b_c"],
    ["/v%31", "/v1"],
    // other escapes keep their meaning, with upper-case hex
    ["/a/%3a%40", "/a/%3A%40"],
    ["/a%3fb", "/a%3Fb"],
    ["/a%23b", "/a%23b"],
    ["/a%20b", "/a%20b"],
    ["/a%3bb", "/a%3Bb"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/%e2%82%ac", "/%E2%82%AC"],
    ["/%F0%9F%98%80", "/%F0%9F%98%80"],
    ["/100%25", "/100%25"],
    ["/100%25x", "/100%25x"],
    // characters that may not stand literally in a path are encoded
    ["/a|b", "/a%7Cb"],
    ["/a^b[c]{d}", "/a%5Eb%5Bc%5D%7Bd%7D"],
    ["/a b", "/a%20b"],
    ['/a"<>`', "/a%22%3C%3E%60"],
    // literal non-ASCII (a raw request line can carry UTF-8) becomes UTF-8 escapes
    ["/café", "/caf%C3%A9"],
    ["/€/😀", "/%E2%82%AC/%F0%9F%98%80"],
    ["/café/caf%C3%A9", "/caf%C3%A9/caf%C3%A9"],
    // fullwidth dots and slashes are just characters: they stay encoded, never become . or /
    ["/api/%EF%BC%8E%EF%BC%8E/admin", "/api/%EF%BC%8E%EF%BC%8E/admin"],
    ["/api/%EF%BC%8Fadmin", "/api/%EF%BC%8Fadmin"],
  ])("%j → %j", (raw, normal) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path: normal });
  });

  it("is idempotent: the normal form of a normal form is itself", () => {
    for (const raw of ["/api/%2e%2e/x", "//a//b/./c/..", "/caf%c3%a9/%7e", "/a|b c", "/€"]) {
      const once = normalizePath(raw);
      if (!once.ok) throw new Error(`${raw}: ${once.reason}`);
      expect(normalizePath(once.path)).toEqual(once);
    }
  });
});

describe("normalizePath: ambiguous encodings are rejected", () => {
  it.each([
    // climbing above the root
    ["/..", "above the root"],
    ["/../etc/passwd", "above the root"],
    ["/a/../..", "above the root"],
    ["/a/../../b", "above the root"],
    ["/%2e%2e/admin", "above the root"],
    ["/api/%2e%2e/%2e%2e/..", "above the root"],
    // encoded slashes
    ["/api/%2fx", "encoded slash"],
    ["/api/..%2fadmin", "encoded slash"],
    ["/api/%2e%2e%2fadmin", "encoded slash"],
    ["/api/%2F%2Fevil.com", "encoded slash"],
    ["/%2f", "encoded slash"],
    // backslashes, literal and encoded
    ["/api\\..\\admin", "backslash"],
    ["/api/..\\admin", "backslash"],
    ["\\\\evil.com", "must start with /"],
    ["/\\evil.com", "backslash"],
    ["/api/%5c..%5cadmin", "encoded backslash"],
    ["/api/%5C", "encoded backslash"],
    // control characters and NUL
    ["/api/%00", "encoded control"],
    ["/api/x%00.json", "encoded control"],
    ["/a%0d%0aSet-Cookie:x", "encoded control"],
    ["/a%09b", "encoded control"],
    ["/a%7fb", "encoded control"],
    ["/a\u0000b", "control character"],
    ["/a\nb", "control character"],
    ["/a\u007fb", "control character"],
    // double encoding
    ["/api/%252e%252e/admin", "double-encoded"],
    ["/api/%252fadmin", "double-encoded"],
    ["/api/%255c", "double-encoded"],
    ["/api/%2525", "double-encoded"],
    ["/%25%32%65", "double-encoded"],
    // malformed escapes
    ["/a%", "malformed"],
    ["/a%2", "malformed"],
    ["/a%zz", "malformed"],
    ["/a%g0", "malformed"],
    ["/a%%41", "malformed"],
    ["/api/%u002e%u002e/admin", "malformed"],
    ["/a% 2e", "malformed"],
    // bytes that are not UTF-8: overlong dots and slashes, stray continuation bytes
    ["/api/%c0%ae%c0%ae/admin", "not valid UTF-8"],
    ["/api/%c0%af", "not valid UTF-8"],
    ["/api/%e0%80%ae", "not valid UTF-8"],
    ["/a%80", "not valid UTF-8"],
    ["/a%C3", "not valid UTF-8"],
    ["/a%C3/b", "not valid UTF-8"],
    ["/a%C3b", "not valid UTF-8"],
    ["/a%ED%A0%80", "not valid UTF-8"],
    ["/a%ff", "not valid UTF-8"],
    // lone surrogates in a literal string
    ["/a\uD800b", "surrogate"],
    // servlet path parameters on dot segments (`/..;/` is `/../` to Tomcat)
    ["/api/..;/admin", "; path parameter"],
    ["/api/.;/admin", "; path parameter"],
    ["/api/..;jsessionid=1/admin", "; path parameter"],
    ["/api/%2e%2e;/admin", "; path parameter"],
    ["/api/..%3b/admin", "; path parameter"],
    // not a path at all
    ["api/x", "must start with /"],
    ["http://evil.com/x", "must start with /"],
    ["*", "must start with /"],
  ])("%j (%s)", (raw, reason) => {
    const result = normalizePath(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it("never yields a path that starts with // or holds a backslash, ? or #", () => {
    const pieces = ["/", "//", ".", "..", "%2e", "%2E", "%2f", "%5c", "\\", "%3f", "%23", "?", "#", "a", "%25", "%252e", "é", ";"];
    for (const a of pieces) {
      for (const b of pieces) {
        for (const c of pieces) {
          const result = normalizePath(`/${a}${b}${c}`);
          if (!result.ok) continue;
          expect(result.path).toMatch(/^\/(?!\/)/);
          expect(result.path).not.toMatch(/[\\?#]|\/\/|(^|\/)\.\.?(\/|$)/);
        }
      }
    }
  });
});
