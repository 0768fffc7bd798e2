/**
 * Config versions as HTTP entity tags. `ETag: "7"` is a strong tag (RFC 9110 §8.8.3): a
 * version's document never changes. `If-Match` (§13.1.1) uses strong comparison, so a weak tag
 * never matches; `*` matches whenever a config exists, and GET always answers with one (version
 * 0 is the empty config). A bare `7` is accepted too, for hand-written curl commands.
 */
export function versionTag(version: number): string {
  return `"${version}"`;
}

/** True when a change conditioned on `ifMatch` may proceed against `version`. */
export function ifMatchAllows(ifMatch: string | undefined, version: number): boolean {
  if (ifMatch === undefined) return true;
  return ifMatch
    .split(",")
    .map((tag) => tag.trim())
    .some((tag) => tag === "*" || tag === versionTag(version) || tag === String(version));
}
