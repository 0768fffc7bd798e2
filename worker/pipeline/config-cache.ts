/**
 * The per-isolate cache of the compiled config that the request path reads: one bulk read of
 * the small revision keys (and the response cache's purge markers) at most every
 * CONFIG_CACHE_TTL_MS, and a load and compile only when they changed. Saving is config/store.ts's; it tells this cache of every change it saves.
 */
import { readDocument, readPersistedQueries, readRevision, readVersion } from "../config/kv";
import { storedConfig } from "../config/normal-form";
import { scopeText } from "../config/variable-fields";
import { onConfigSaved } from "../config/store";
import type { Env } from "../env";
import type { PurgeMarker } from "../policies/cache/purge";
import { httpError } from "../http/errors";
import { sharedWork, type WaitUntil } from "../http/shared-work";
import { log } from "../observability/logger";
import { compileConfig, documentPaths, emptyCompiledConfig, type CompiledConfig } from "./compile";

const DEFAULT_CACHE_TTL_MS = 2000;

interface CacheEntry {
  compiled: CompiledConfig;
  /** `<version>/<documents revision>` it was compiled from. */
  revision: string;
  checkedAt: number;
}

/** The last good compiled config of this isolate; kept when KV fails. */
let entry: CacheEntry | undefined;
/** The refresh in progress, shared by every request that needs it. */
let refreshing: Promise<CompiledConfig> | undefined;
/** Bumped by invalidation so a refresh that started before a change cannot store stale data. */
let generation = 0;

/** CONFIG_CACHE_TTL_MS of the last `env` seen: an isolate's requests share one `env` object. */
let ttlOf: { env: Env; ms: number } | undefined;

function cacheTtl(env: Env): number {
  if (ttlOf?.env !== env) {
    const ms = Number(env.CONFIG_CACHE_TTL_MS);
    ttlOf = { env, ms: env.CONFIG_CACHE_TTL_MS !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_CACHE_TTL_MS };
  }
  return ttlOf.ms;
}

/**
 * The compiled config when the isolate's copy is fresh, without a promise: the request path
 * awaits getCompiledConfig only when this is undefined.
 */
export function freshCompiledConfig(env: Env): CompiledConfig | undefined {
  return entry && Date.now() - entry.checkedAt < cacheTtl(env) ? entry.compiled : undefined;
}

/**
 * The compiled config in force. At most once per CONFIG_CACHE_TTL_MS an isolate reads the
 * small revision keys (one bulk KV get, no `cacheTtl`: KV's minimum of 30 s would delay
 * pick-up); only when they changed does it load the version and its documents and compile.
 * While one request refreshes, others that already have a config keep using it (no
 * thundering herd; a cold isolate's requests all wait on the same refresh, which the request
 * that started it keeps alive with `ctx.waitUntil`, so its client going away cannot leave the
 * others waiting: http/shared-work.ts). When KV fails the
 * last good config keeps serving; a cold isolate that cannot load any config gets one whose
 * gateway answers 503, so the admin API still works.
 */
export async function getCompiledConfig(env: Env, ctx?: WaitUntil): Promise<CompiledConfig> {
  const fresh = freshCompiledConfig(env);
  if (fresh) return fresh;
  // An invalidated entry is not served: the isolate that made a change must see it next.
  if (refreshing && entry && Number.isFinite(entry.checkedAt)) return entry.compiled;
  if (!refreshing) {
    const started = sharedWork(
      refresh(env, generation).finally(() => {
        if (refreshing === started) refreshing = undefined;
      }),
      ctx,
    );
    refreshing = started;
  }
  return refreshing;
}

/** Makes this isolate's next request re-read the store (called after every admin change). */
export function invalidateCompiledConfig(): void {
  generation += 1;
  refreshing = undefined;
  if (entry) entry.checkedAt = Number.NEGATIVE_INFINITY;
}

async function refresh(env: Env, startedIn: number): Promise<CompiledConfig> {
  try {
    const { version, revision, purges } = await readRevision(env.CONFIG);
    const compiled = entry?.revision === revision ? entry.compiled : await load(env, version, purges);
    if (startedIn === generation) entry = { compiled, revision, checkedAt: Date.now() };
    return compiled;
  } catch (error) {
    log.error("config_refresh_failed", { message: error instanceof Error ? error.message : String(error) });
    if (entry) {
      // Keep serving the last good config; try again after another TTL.
      entry.checkedAt = Date.now();
      return entry.compiled;
    }
    return unavailableConfig();
  }
}

async function load(env: Env, version: number, purges: readonly PurgeMarker[]): Promise<CompiledConfig> {
  const kv = env.CONFIG;
  if (version === 0) return emptyCompiledConfig();
  const record = await readVersion(kv, version);
  if (!record) throw new Error(`config version ${version} is named by the pointer but not readable`);
  // Its normal form, or the document validated again when the schema may have changed since.
  // `${VAR}` references outside endpoints are resolved with this isolate's environment.
  const loaded = await storedConfig(record, env);
  const { config } = loaded;
  const documents = new Map<string, unknown>();
  await Promise.all(
    documentPaths(config).map(async (path) => {
      const stored = await readDocument(kv, path);
      if (stored) documents.set(path, stored.document);
    }),
  );
  const persistedQueries = record.persisted_queries ? await readPersistedQueries(kv, record.persisted_queries.sha256) : undefined;
  const compiled = compileConfig(version, config, documents, env, { ...loaded, purges, persistedQueries });
  // Once per config version per isolate: the compile is cached until the next version. The
  // message names the variables, never a value.
  for (const { path, message, scopes } of compiled.unresolvedVariables) {
    log.error("config_variable_unresolved", { version, path, message, refused: scopeText(scopes) });
  }
  return compiled;
}

/** Served by a cold isolate that could not load any config (not cached): the gateway fails closed. */
function unavailableConfig(): CompiledConfig {
  return Object.freeze({
    ...emptyCompiledConfig(),
    pipeline: async function configUnavailable() {
      throw httpError("config_unavailable");
    },
  });
}

onConfigSaved(invalidateCompiledConfig);
