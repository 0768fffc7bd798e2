import { describe, expect, it } from "vitest";
import { loadKeyRing, rootById, tenantDataKey, VaultUnavailableError } from "./keys";

const random = (bytes: number) => crypto.getRandomValues(new Uint8Array(bytes));
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const hex = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");

async function refusal(env: Record<string, unknown>): Promise<VaultUnavailableError> {
  const error = await loadKeyRing(env).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(VaultUnavailableError);
  return error as VaultUnavailableError;
}

describe("the root key", () => {
  it("accepts 32 bytes as base64, URL-safe base64 without padding, or hex, and names each root by a stable id", async () => {
    const bytes = random(32);
    const ids = new Set<string>();
    for (const text of [
      base64(bytes),
      base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
      hex(bytes),
      ` ${hex(bytes).toUpperCase()}\n`,
    ]) {
      const ring = await loadKeyRing({ VAULT_ROOT_KEY: text });
      expect(ring.current.id).toMatch(/^[0-9a-f]{16}$/);
      ids.add(ring.current.id);
    }
    expect(ids.size).toBe(1);
    const other = await loadKeyRing({ VAULT_ROOT_KEY: base64(random(32)) });
    expect(other.current.id).not.toBe([...ids][0]);
  });

  it("accepts a longer root", async () => {
    expect((await loadKeyRing({ VAULT_ROOT_KEY: base64(random(64)) })).current.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    ["unset", undefined, /VAULT_ROOT_KEY is not set/],
    ["empty", "", /VAULT_ROOT_KEY is not set/],
    ["only spaces", "   ", /VAULT_ROOT_KEY is not set/],
    ["not a string", 42, /VAULT_ROOT_KEY is not set/],
    ["16 bytes", base64(random(16)), /VAULT_ROOT_KEY holds 16 bytes; at least 32/],
    ["31 bytes of hex", hex(random(31)), /VAULT_ROOT_KEY holds 31 bytes; at least 32/],
    ["a passphrase", "correct horse battery staple, twice over!", /VAULT_ROOT_KEY is neither base64 nor hex/],
    ["broken base64", "QUJD=RA==", /VAULT_ROOT_KEY is neither base64 nor hex/],
  ])("refuses a root that is %s, naming the variable and never the value", async (_name, value, message) => {
    const error = await refusal({ VAULT_ROOT_KEY: value });
    expect(error.variable).toBe("VAULT_ROOT_KEY");
    expect(error.message).toMatch(message);
    if (typeof value === "string" && value.trim() !== "") expect(error.message).not.toContain(value.trim());
  });

  it("refuses an unusable VAULT_ROOT_KEY_PREVIOUS by its own name", async () => {
    const error = await refusal({ VAULT_ROOT_KEY: base64(random(32)), VAULT_ROOT_KEY_PREVIOUS: "too-short" });
    expect(error.variable).toBe("VAULT_ROOT_KEY_PREVIOUS");
  });

  it("holds the previous root beside the current one, and only once when they are equal", async () => {
    const current = base64(random(32));
    const previous = hex(random(32));
    const ring = await loadKeyRing({ VAULT_ROOT_KEY: current, VAULT_ROOT_KEY_PREVIOUS: previous });
    expect(ring.previous?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(ring.previous!.id).not.toBe(ring.current.id);
    expect(rootById(ring, ring.previous!.id)).toBe(ring.previous);
    expect(rootById(ring, ring.current.id)).toBe(ring.current);
    expect(rootById(ring, "0000000000000000")).toBeUndefined();
    expect((await loadKeyRing({ VAULT_ROOT_KEY: current, VAULT_ROOT_KEY_PREVIOUS: current })).previous).toBeUndefined();
    expect((await loadKeyRing({ VAULT_ROOT_KEY: current, VAULT_ROOT_KEY_PREVIOUS: "" })).previous).toBeUndefined();
  });
});

describe("tenant data keys", () => {
  it("are non-extractable AES-256-GCM keys, one per tenant", async () => {
    const { current } = await loadKeyRing({ VAULT_ROOT_KEY: base64(random(32)) });
    const key = await tenantDataKey(current, "acme");
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: "AES-GCM", length: 256 });
    expect(key.usages.sort()).toEqual(["decrypt", "encrypt"]);
    await expect(crypto.subtle.exportKey("raw", key)).rejects.toThrow();
    expect(await tenantDataKey(current, "acme")).toBe(key);

    // What one tenant's key encrypts, another tenant's key (same root) cannot decrypt.
    const iv = random(12);
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode("x"));
    await expect(crypto.subtle.decrypt({ name: "AES-GCM", iv }, await tenantDataKey(current, "globex"), sealed)).rejects.toThrow();
    expect(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, sealed)).toBeInstanceOf(ArrayBuffer);
  });
});
