/**
 * HTTP Basic (RFC 7617): `Authorization: Basic base64(user-id ":" password)`, decoded as UTF-8
 * (the `charset="UTF-8"` the challenge announces, §2.1). User-id and password are both compared
 * through SHA-256 digests in constant time, and both always, so timing tells neither apart.
 */
import { resolveSecret } from "../../http/schema-kit/secrets";
import type { BasicAuthConfig } from "./schema";
import { admit, refuse, sameDigest, sha256, type Scheme } from "./scheme";

/** RFC 9110 §11.1: the scheme name is case-insensitive. */
const BASIC = /^Basic +(\S+) *$/i;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeCredentials(encoded: string): { user: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined; // RFC 7617 §2: token68, base64
  try {
    const text = utf8.decode(Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0)));
    const colon = text.indexOf(":");
    return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
  } catch {
    return undefined; // not base64, or not UTF-8
  }
}

export function basicScheme(config: BasicAuthConfig): Scheme {
  let expectedUser: ArrayBuffer | undefined;

  return {
    name: "basic",
    realm: config.realm,
    async verify(request, env) {
      const match = BASIC.exec(request.headers.get("Authorization") ?? "");
      if (!match) return refuse("missing_credentials", false);
      const given = decodeCredentials(match[1]!);
      if (!given) return refuse("malformed_credentials");
      const password = resolveSecret(config.password, env);
      expectedUser ??= await sha256(config.username);
      const [user, pass, passWanted] = await Promise.all([sha256(given.user), sha256(given.password), sha256(password)]);
      // `&`, not `&&`: the password is compared even when the user-id is wrong.
      const ok = Number(sameDigest(user, expectedUser)) & Number(sameDigest(pass, passWanted));
      return ok ? admit({ consumer: config.username }) : refuse("invalid_credentials");
    },
  };
}
