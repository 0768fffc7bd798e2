/**
 * `POST /admin/cache/purge`: the response cache's entries for URLs, prefixes or everything
 * become misses. A purge is a marker in KV (policies/cache/purge.ts) that every isolate of every
 * data centre reads with the config's revision keys; audited first as state_reset/cache_purge.
 *
 * With CACHE_PURGE_ZONE_ID and the secret CACHE_PURGE_API_TOKEN (an API token with the zone's
 * Cache Purge permission), the entries are also deleted in every data centre through
 * Cloudflare's zone purge API: by prefix `<host>/__loom-edge-cache/` for the hosts a purge
 * names, by the tag every entry carries when it names none. The API's base URL can be changed
 * (CACHE_PURGE_API_BASE) only to a loopback address, for tests and local development: the
 * token is never sent anywhere else than Cloudflare's API.
 */
import type { z } from "zod";
import { writeAuditEvent } from "../audit";
import { auditUnavailable } from "../audit/change-author";
import { KEYS, putMutable, readPurges } from "../config/kv";
import { httpError } from "../http/errors";
import { normalizePath } from "../http/normalize";
import { isLoopbackHost } from "../http/schema-kit/fields";
import { log, errorName } from "../observability/logger";
import { invalidateCompiledConfig } from "../pipeline/config-cache";
import { CACHE_TAG, KEY_PATH } from "../policies/cache/key";
import { purgeForm, withMarkers, type PurgeMarker } from "../policies/cache/purge";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { invalid, readStructuredBody, YAML_MEDIA_TYPES } from "./http";
import { cachePurgeSchema } from "./schemas";

const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";

/** A path in the normal form requests are compared in, or undefined when it has none. */
function normalPath(path: string): string | undefined {
  const normal = normalizePath(path);
  return normal.ok ? normal.path : undefined;
}

interface Parsed {
  markers: PurgeMarker[];
  hosts: Set<string>;
  /** A marker without a host: the zone purge cannot name the hosts. */
  anyHost: boolean;
}

function markersOf(body: z.output<typeof cachePurgeSchema>, at: number): Parsed {
  const markers: PurgeMarker[] = [];
  const hosts = new Set<string>();
  const issues: { path: string; message: string }[] = [];
  let anyHost = body.everything;
  if (body.everything) markers.push({ path: "/", prefix: true, at });
  body.urls.forEach((text, index) => {
    const url = new URL(text);
    const path = normalPath(url.pathname);
    if (path === undefined) return issues.push({ path: `urls[${index}]`, message: "the path has no normal form" });
    hosts.add(url.host);
    markers.push({ host: url.host, path: `${purgeForm(path)}${url.search.toLowerCase()}`, prefix: false, at });
  });
  body.prefixes.forEach((text, index) => {
    const absolute = /^https?:\/\//i.test(text) && URL.canParse(text) ? new URL(text) : undefined;
    if (!absolute && !text.startsWith("/")) {
      return issues.push({ path: `prefixes[${index}]`, message: "must be an absolute http(s) URL or a path starting with /" });
    }
    const path = normalPath(absolute ? absolute.pathname : text);
    if (path === undefined) return issues.push({ path: `prefixes[${index}]`, message: "the path has no normal form" });
    if (absolute) hosts.add(absolute.host);
    else anyHost = true;
    markers.push({ ...(absolute ? { host: absolute.host } : {}), path: path.toLowerCase(), prefix: true, at });
  });
  if (issues.length > 0) throw invalid("invalid_cache_purge", issues);
  return { markers, hosts, anyHost };
}

/** The zone purge API's base URL: Cloudflare's, or a loopback one for tests and local development. */
function zoneApiBase(env: AdminContext["env"]): string {
  const base = typeof env.CACHE_PURGE_API_BASE === "string" ? env.CACHE_PURGE_API_BASE : "";
  if (base && URL.canParse(base) && isLoopbackHost(new URL(base).hostname)) return base.replace(/\/+$/, "");
  return CLOUDFLARE_API;
}

/** Deletes the entries in every data centre through the zone purge API; null when not configured. */
async function purgeZone(c: AdminContext, parsed: Parsed): Promise<{ purged: boolean; status?: number } | null> {
  const zone = c.env.CACHE_PURGE_ZONE_ID;
  const token = c.env.CACHE_PURGE_API_TOKEN;
  if (typeof zone !== "string" || !zone || typeof token !== "string" || !token) return null;
  const body = parsed.anyHost ? { tags: [CACHE_TAG] } : { prefixes: [...parsed.hosts].map((host) => `${host}${KEY_PATH}`) };
  try {
    const res = await fetch(`${zoneApiBase(c.env)}/zones/${encodeURIComponent(zone)}/purge_cache`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await res.json().catch(() => null)) as { success?: unknown } | null;
    const purged = res.ok && answer?.success === true;
    if (!purged) log.warn("cache_zone_purge_failed", { status: res.status });
    return { purged, status: res.status };
  } catch (error) {
    log.warn("cache_zone_purge_failed", { error: errorName(error) });
    return { purged: false };
  }
}

async function purge(c: AdminContext) {
  const parsed = cachePurgeSchema.safeParse(await readStructuredBody(c, "invalid_cache_purge"));
  if (!parsed.success) {
    throw invalid(
      "invalid_cache_purge",
      parsed.error.issues.map((issue) => ({ path: issue.path.join(".") || "(root)", message: issue.message })),
    );
  }
  const body = parsed.data;
  const markers = markersOf(body, Date.now());
  try {
    await writeAuditEvent(c.env, {
      event: "state_reset",
      action: "cache_purge",
      target: "cache",
      ...changeAuthor(c),
      details: { urls: body.urls, prefixes: body.prefixes, everything: body.everything },
    });
  } catch (error) {
    throw auditUnavailable(error);
  }
  const stored = await readPurges(c.env.CONFIG);
  try {
    await putMutable(c.env.CONFIG, KEYS.cachePurges, {
      revision: crypto.randomUUID(),
      markers: withMarkers(stored.markers, markers.markers),
    });
  } catch {
    throw httpError(
      "store_unavailable",
      "the purge markers could not be written to the config store (KV) after the purge was audited; retry",
    );
  }
  invalidateCompiledConfig();
  const zone = await purgeZone(c, markers);
  return c.json({
    purged: body,
    applies_within:
      "at once in this isolate; elsewhere at each isolate's next config check (CONFIG_CACHE_TTL_MS, default 2 s) once KV has propagated the markers (up to about 60 s)",
    zone,
  });
}

export const cacheEndpoints: AdminEndpoint[] = [
  {
    method: "POST",
    path: "/cache/purge",
    summary: "Purge the response cache",
    description:
      "Entries stored before the purge for the URLs, prefixes or everything named become misses, in every data centre: at once in the isolate that served it, elsewhere within each isolate's config check and KV's propagation (up to about 60 s). Audited first as state_reset/cache_purge. With CACHE_PURGE_ZONE_ID and CACHE_PURGE_API_TOKEN set, also deleted through Cloudflare's zone purge API (`zone`).",
    body: { schema: "CachePurge", mediaTypes: ["application/json", ...YAML_MEDIA_TYPES] },
    responses: {
      200: { description: "Purged.", schema: "CachePurgeResult" },
      400: { description: "Invalid body: every problem by path; nothing changed.", schema: "InvalidConfig" },
      503: { description: "KV or the audit log (D1) cannot be reached.", schema: "Error" },
    },
    handler: purge,
  },
];
