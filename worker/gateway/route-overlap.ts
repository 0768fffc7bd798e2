/**
 * Whether two routes can match one same request on host, path and method (their `headers` and
 * `query_params` conditions aside): what config/fall-through.ts needs to tell where a request
 * that leaves a route's condition unmet can go. Read with the router's rules (router.ts): literal
 * segments case-insensitive, a trailing slash not significant, `:param` one non-empty segment,
 * a final `*` any rest, possibly empty.
 */
import type { RouteTarget } from "./schema";

type Pattern = { segments: string[]; wildcard: boolean };

function pattern(path: string): Pattern {
  const folded = path.toLowerCase();
  const text = folded.length > 1 && folded.endsWith("/") ? folded.slice(0, -1) : folded;
  const segments = text.slice(1).split("/");
  const wildcard = segments[segments.length - 1] === "*";
  if (wildcard) segments.pop();
  return { segments, wildcard };
}

/** Some path matches both patterns. */
function pathsOverlap(a: Pattern, b: Pattern): boolean {
  const shorter = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.segments[i]!;
    const y = b.segments[i]!;
    if (!x.startsWith(":") && !y.startsWith(":") && x !== y) return false;
  }
  if (a.segments.length === b.segments.length) return true;
  // The longer pattern's remaining segments must fall into the shorter one's `*`.
  return a.segments.length < b.segments.length ? a.wildcard : b.wildcard;
}

/** Some host matches both: absent is any host, `*.x` any name below x. */
function hostsOverlap(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a === b) return true;
  const below = (host: string, suffix: string) => host.endsWith(`.${suffix}`);
  const wildA = a.startsWith("*.") ? a.slice(2) : undefined;
  const wildB = b.startsWith("*.") ? b.slice(2) : undefined;
  if (wildA !== undefined && wildB !== undefined) return wildA === wildB || below(wildA, wildB) || below(wildB, wildA);
  if (wildA !== undefined) return below(b, wildA);
  if (wildB !== undefined) return below(a, wildB);
  return false;
}

function methodsOverlap(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  const admitted = (methods: readonly string[]) => new Set(methods.includes("GET") ? [...methods, "HEAD"] : methods);
  const other = admitted(b);
  return [...admitted(a)].some((method) => other.has(method));
}

export function routesOverlap(a: RouteTarget, b: RouteTarget): boolean {
  return hostsOverlap(a.host, b.host) && methodsOverlap(a.methods, b.methods) && pathsOverlap(pattern(a.path), pattern(b.path));
}
