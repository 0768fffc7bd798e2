/** Two lower-case hex digits per byte value, built once. */
const DIGITS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Lower-case hex of bytes: digests, key ids, trace ids. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const array = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (const byte of array) text += DIGITS[byte];
  return text;
}
