/**
 * Purges. The Cache API can neither list entries nor delete by prefix, and an exact URL may
 * stand for many entries (one per tenant, per Vary variant), so a purge is a marker: entries
 * stored before it, for requests it names, are misses from then on (and replaced by the next
 * miss). Markers are kept in KV beside the config (`cache:purges`) and read with the config's
 * revision keys, in the same bulk read every isolate makes every CONFIG_CACHE_TTL_MS: every
 * data centre follows within that interval plus KV's propagation (up to about 60 s), at no cost
 * to a hit beyond a comparison of the entry's time with the newest marker's.
 */

export interface PurgeMarker {
  /** Lower-case `host[:port]`; absent: every host. */
  host?: string;
  /** Lower case: a prefix of the normalised path, or an exact path (without a trailing slash) and query. */
  path: string;
  /** `true`: every path that starts with `path`; `false`: exactly that path and query. */
  prefix: boolean;
  /** Milliseconds since the epoch: entries stored before it are purged. */
  at: number;
}

export interface StoredPurges {
  revision: string;
  markers: PurgeMarker[];
}

/** Markers kept; more are folded into one "everything before" marker (purging more, never less). */
export const MAX_PURGE_MARKERS = 100;

/** Lower case, without a trailing slash (the router's reading of a path). */
export function purgeForm(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith("/") ? lower.slice(0, -1) : lower;
}

/** `existing` with `added`, at most MAX_PURGE_MARKERS: the oldest are folded into one marker for every path. */
export function withMarkers(existing: readonly PurgeMarker[], added: readonly PurgeMarker[]): PurgeMarker[] {
  const all = [...existing, ...added].sort((a, b) => a.at - b.at);
  if (all.length <= MAX_PURGE_MARKERS) return all;
  const folded = all.slice(0, all.length - MAX_PURGE_MARKERS + 1);
  const everything: PurgeMarker = { path: "/", prefix: true, at: Math.max(...folded.map((marker) => marker.at)) };
  return [everything, ...all.slice(folded.length)];
}

/** Whether an entry stored at `storedAt` for this request is purged; compiled once per config and markers. */
export type PurgeCheck = (storedAt: number, host: string, path: string, query: string) => boolean;

export function compilePurges(markers: readonly PurgeMarker[]): PurgeCheck {
  if (markers.length === 0) return () => false;
  const newest = Math.max(...markers.map((marker) => marker.at));
  return (storedAt, host, path, query) => {
    // Most hits were stored after the last purge: one comparison.
    if (storedAt >= newest) return false;
    const hostName = host.toLowerCase();
    const lower = path.toLowerCase();
    const exact = `${purgeForm(path)}${query.toLowerCase()}`;
    return markers.some(
      (marker) =>
        storedAt < marker.at &&
        (marker.host === undefined || marker.host === hostName) &&
        (marker.prefix ? lower.startsWith(marker.path) : exact === marker.path),
    );
  };
}
