/**
 * Which JWS algorithms a PEM public key may verify, decided by the key itself: the algorithm
 * identifier inside its SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), never the token's `alg`.
 * So an RSA key never verifies an ES256 or HS256 token, and an Ed25519 key only EdDSA (RFC 8037).
 * (WebCrypto alone is not enough: some runtimes import any SPKI as Ed25519 without complaint.)
 */
import type { JwtAlgorithm } from "../../http/schema-kit/jwt-algorithms";
import { hex } from "../../http/hex";

/** DER contents of the OIDs we recognise, hex (X.690 §8.19). */
const RSA_ENCRYPTION = "2a864886f70d010101"; // 1.2.840.113549.1.1.1, RFC 8017
const EC_PUBLIC_KEY = "2a8648ce3d0201"; // 1.2.840.10045.2.1, RFC 5480
const ED25519 = "2b6570"; // 1.3.101.112, RFC 8410
const EC_CURVES: Record<string, JwtAlgorithm> = {
  "2a8648ce3d030107": "ES256", // P-256
  "2b81040022": "ES384", // P-384
  "2b81040023": "ES512", // P-521
};
const RSA_ALGORITHMS: JwtAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

interface Element {
  tag: number;
  start: number;
  end: number;
}

/** One DER tag-length-value at `offset` (definite lengths only, as DER requires). */
function element(der: Uint8Array, offset: number): Element {
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (tag === undefined || length === undefined) throw new RangeError("truncated DER");
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3) throw new RangeError("unsupported DER length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start++] ?? Number.NaN);
  }
  const end = start + length;
  if (!(end <= der.length)) throw new RangeError("truncated DER");
  return { tag, start, end };
}

/** The algorithms a PEM `PUBLIC KEY` can verify; throws when the text is not one we recognise. */
export function publicKeyAlgorithms(pem: string): JwtAlgorithm[] {
  const body = /^-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----\s*$/.exec(pem.trim())?.[1];
  if (!body) throw new TypeError("not a PEM SubjectPublicKeyInfo (-----BEGIN PUBLIC KEY-----)");
  const der = Uint8Array.from(atob(body.replace(/\s+/g, "")), (char) => char.charCodeAt(0));
  const spki = element(der, 0);
  const algorithm = element(der, spki.start);
  const oid = element(der, algorithm.start);
  if (spki.tag !== 0x30 || algorithm.tag !== 0x30 || oid.tag !== 0x06) throw new TypeError("not a SubjectPublicKeyInfo");
  const kind = hex(der.subarray(oid.start, oid.end));
  if (kind === RSA_ENCRYPTION) return RSA_ALGORITHMS;
  if (kind === ED25519) return ["EdDSA"];
  if (kind === EC_PUBLIC_KEY && oid.end < algorithm.end) {
    const curve = element(der, oid.end);
    const alg = curve.tag === 0x06 ? EC_CURVES[hex(der.subarray(curve.start, curve.end))] : undefined;
    if (alg) return [alg];
  }
  throw new TypeError("unsupported public key type (RSA, P-256/384/521 or Ed25519 expected)");
}
