import { describe, expect, it } from "vitest";
import { CredentialUnreadableError, openCredential, sealCredential, type CredentialAddress, type SealedCredential } from "./cipher";
import { loadKeyRing, type KeyRing } from "./keys";

const rootText = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const SECRET = "sk-ant-api03-Zm9vYmFyYmF6cXV4cXV1eA-example$&$'";
const address: CredentialAddress = { tenant: "acme", provider: "anthropic", keyVersion: 1 };

async function reason(ring: KeyRing, to: CredentialAddress, sealed: SealedCredential): Promise<string> {
  const error = await openCredential(ring, to, sealed).then(
    (plaintext) => plaintext,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CredentialUnreadableError);
  return (error as CredentialUnreadableError).reason;
}

describe("sealCredential / openCredential", () => {
  it("round-trips, with a fresh 96-bit IV and a new ciphertext every time", async () => {
    const ring = await loadKeyRing({ VAULT_ROOT_KEY: rootText() });
    const first = await sealCredential(ring.current, address, SECRET);
    const second = await sealCredential(ring.current, address, SECRET);
    expect(first.iv.byteLength).toBe(12);
    expect(first.rootKeyId).toBe(ring.current.id);
    expect(first.ciphertext.byteLength).toBe(new TextEncoder().encode(SECRET).byteLength + 16);
    expect(first.iv).not.toEqual(second.iv);
    expect(first.ciphertext).not.toEqual(second.ciphertext);
    expect(await openCredential(ring, address, first)).toBe(SECRET);
    expect(await openCredential(ring, address, second)).toBe(SECRET);
  });

  it("never holds the plaintext in the sealed form", async () => {
    const ring = await loadKeyRing({ VAULT_ROOT_KEY: rootText() });
    const sealed = await sealCredential(ring.current, address, SECRET);
    const latin1 = String.fromCharCode(...sealed.ciphertext, ...sealed.iv);
    for (const part of [SECRET, SECRET.slice(0, 8), SECRET.slice(-8)]) expect(latin1).not.toContain(part);
  });

  it.each([
    ["another tenant", { ...address, tenant: "globex" }],
    ["another provider", { ...address, provider: "openai" }],
    ["another key version", { ...address, keyVersion: 2 }],
  ])("refuses a ciphertext moved to %s (additional authenticated data)", async (_name, elsewhere) => {
    const ring = await loadKeyRing({ VAULT_ROOT_KEY: rootText() });
    const sealed = await sealCredential(ring.current, address, SECRET);
    expect(await reason(ring, elsewhere, sealed)).toBe("integrity_check_failed");
  });

  it("refuses an altered ciphertext, tag or IV", async () => {
    const ring = await loadKeyRing({ VAULT_ROOT_KEY: rootText() });
    const sealed = await sealCredential(ring.current, address, SECRET);
    const flip = (bytes: Uint8Array, at: number) => bytes.map((byte, index) => (index === at ? byte ^ 1 : byte));
    expect(await reason(ring, address, { ...sealed, ciphertext: flip(sealed.ciphertext, 0) })).toBe("integrity_check_failed");
    expect(await reason(ring, address, { ...sealed, ciphertext: flip(sealed.ciphertext, sealed.ciphertext.byteLength - 1) })).toBe(
      "integrity_check_failed",
    );
    expect(await reason(ring, address, { ...sealed, iv: flip(sealed.iv, 5) })).toBe("integrity_check_failed");
    expect(await reason(ring, address, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 10) })).toBe("integrity_check_failed");
  });

  it("decrypts under the previous root during a rotation, and names a root it does not hold", async () => {
    const oldRoot = rootText();
    const before = await loadKeyRing({ VAULT_ROOT_KEY: oldRoot });
    const sealed = await sealCredential(before.current, address, SECRET);
    const during = await loadKeyRing({ VAULT_ROOT_KEY: rootText(), VAULT_ROOT_KEY_PREVIOUS: oldRoot });
    expect(await openCredential(during, address, sealed)).toBe(SECRET);

    const without = await loadKeyRing({ VAULT_ROOT_KEY: rootText() });
    expect(await reason(without, address, sealed)).toBe("unknown_root_key");
    const error = await openCredential(without, address, sealed).catch((thrown: CredentialUnreadableError) => thrown);
    expect(String(error)).toContain(before.current.id);
  });

  it("refuses a row whose root id was rewritten to the current root's (the key does not match)", async () => {
    const first = await loadKeyRing({ VAULT_ROOT_KEY: rootText() });
    const second = await loadKeyRing({ VAULT_ROOT_KEY: rootText() });
    const sealed = await sealCredential(first.current, address, SECRET);
    expect(await reason(second, address, { ...sealed, rootKeyId: second.current.id })).toBe("integrity_check_failed");
  });
});
