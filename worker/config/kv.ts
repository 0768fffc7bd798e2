/**
 * The KV layout of the config store (storage-schema.md lists every key). KV never holds a
 * secret: config documents keep `${VAR}` references, the schema refuses literal secrets.
 */
import type { Config } from "./schema";
import { isRecord } from "../http/json-value";
import type { PurgeMarker, StoredPurges } from "../policies/cache/purge";

/** Who made a version, when and how (also the KV metadata of its key, so listing is cheap). */
export interface VersionMeta {
  created_at: string;
  actor: string;
  /** `config_put`, `rollback`, `route_put`, … */
  action: string;
}

/** An immutable version: the operator's document as validated (`${VAR}` kept, sizes as written). */
export interface VersionRecord extends VersionMeta {
  version: number;
  document: Record<string, unknown>;
  /** The document's normal form (normal-form.ts); absent in versions saved before it existed. */
  normal?: NormalForm;
  /** The GraphQL persisted-query allow-list in force with this version (`PUT /admin/graphql/persisted-queries`). */
  persisted_queries?: PersistedQueriesRef;
}

/** An uploaded allow-list, stored once under its own hash (`pq:<sha256>`), named by the versions that use it. */
export interface PersistedQueriesRef {
  /** Hex SHA-256 of the stored JSON map. */
  sha256: string;
  count: number;
}

/** The schema's output for a version's document, which isolates compile without zod (normal-form.ts). */
export interface NormalForm {
  /** The schema it was made by (`NORMAL_FORM` of the deploy that saved it). */
  form: string;
  /** Hex SHA-256 of the JSON text of the document it was made from. */
  document_sha256: string;
  config: Config;
}

/** KV metadata of an uploaded document. */
export interface StoredDocumentMeta {
  /** Hex SHA-256 of the stored JSON text; the document's ETag. */
  sha256: string;
  size: number;
  updated_at: string;
  actor: string;
}

export const KEYS = {
  /** `{ version }`: the version in force. */
  pointer: "config:current",
  /** `{ revision, updated_at }`: changes whenever a document is written or deleted. */
  documentsRevision: "config:documents",
  /** `StoredPurges`: the response cache's purge markers (policies/cache/purge.ts), read with the revision keys. */
  cachePurges: "cache:purges",
  versionPrefix: "config:v:",
  /** Immutable `VersionRecord`. */
  version: (version: number) => `config:v:${version}`,
  documentPrefix: "doc:",
  /** The uploaded JSON document itself; `StoredDocumentMeta` as KV metadata. */
  document: (path: string) => `doc:${path}`,
  /** An immutable persisted-query allow-list: `{ "<sha256 of the query>": "<query>" }`. */
  persistedQueries: (sha256: string) => `pq:${sha256}`,
} as const;

/** The version the pointer names (0 when nothing was ever saved). */
export async function readPointer(kv: KVNamespace): Promise<number> {
  return pointerVersion(await kv.get(KEYS.pointer, "json"));
}

function pointerVersion(value: unknown): number {
  return isRecord(value) && Number.isSafeInteger(value.version) ? (value.version as number) : 0;
}

/**
 * What the isolate cache checks every few seconds: the pointer, the documents revision and the
 * response cache's purge markers, in one KV operation (a bulk get). Read without `cacheTtl` so
 * a change is seen as soon as KV has it at this location.
 */
export async function readRevision(kv: KVNamespace): Promise<{ version: number; revision: string; purges: PurgeMarker[] }> {
  const values = await kv.get([KEYS.pointer, KEYS.documentsRevision, KEYS.cachePurges], "json");
  const version = pointerVersion(values.get(KEYS.pointer));
  const documents = values.get(KEYS.documentsRevision);
  const purges = storedPurges(values.get(KEYS.cachePurges));
  return {
    version,
    revision: `${version}/${isRecord(documents) ? String(documents.revision) : "-"}/${purges.revision}`,
    purges: purges.markers,
  };
}

/** The purge markers as stored; none when absent or unreadable. */
export function storedPurges(value: unknown): StoredPurges {
  if (!isRecord(value) || !Array.isArray(value.markers) || typeof value.revision !== "string") return { revision: "-", markers: [] };
  const markers = value.markers.filter(
    (marker): marker is PurgeMarker =>
      isRecord(marker) &&
      typeof marker.path === "string" &&
      typeof marker.prefix === "boolean" &&
      Number.isFinite(marker.at) &&
      (marker.host === undefined || typeof marker.host === "string"),
  );
  return { revision: value.revision, markers };
}

/** The purge markers in force, for a purge to add to. */
export async function readPurges(kv: KVNamespace): Promise<StoredPurges> {
  return storedPurges(await kv.get(KEYS.cachePurges, "json"));
}

export async function readVersion(kv: KVNamespace, version: number): Promise<VersionRecord | undefined> {
  const record = await kv.get<VersionRecord>(KEYS.version(version), "json");
  return isRecord(record) && record.version === version && isRecord(record.document) ? record : undefined;
}

/** Every stored version, newest first (from the keys' metadata, without reading the documents). */
export async function listVersions(kv: KVNamespace): Promise<(VersionMeta & { version: number })[]> {
  const versions: (VersionMeta & { version: number })[] = [];
  for await (const key of listKeys<VersionMeta>(kv, KEYS.versionPrefix)) {
    const version = Number(key.name.slice(KEYS.versionPrefix.length));
    if (Number.isSafeInteger(version) && key.metadata) versions.push({ version, ...key.metadata });
  }
  return versions.sort((a, b) => b.version - a.version);
}

export async function listDocuments(kv: KVNamespace): Promise<(StoredDocumentMeta & { path: string })[]> {
  const documents: (StoredDocumentMeta & { path: string })[] = [];
  for await (const key of listKeys<StoredDocumentMeta>(kv, KEYS.documentPrefix)) {
    if (key.metadata) documents.push({ path: key.name.slice(KEYS.documentPrefix.length), ...key.metadata });
  }
  return documents;
}

async function* listKeys<Meta>(kv: KVNamespace, prefix: string): AsyncGenerator<KVNamespaceListKey<Meta>> {
  let cursor: string | undefined;
  do {
    const page = await kv.list<Meta>({ prefix, cursor });
    yield* page.keys;
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
}

export async function readDocument(kv: KVNamespace, path: string): Promise<{ document: unknown; meta: StoredDocumentMeta } | undefined> {
  const { value, metadata } = await kv.getWithMetadata<unknown, StoredDocumentMeta>(KEYS.document(path), "json");
  return value === null || !metadata ? undefined : { document: value, meta: metadata };
}

/**
 * A stored allow-list as a map; it is immutable under its hash, so a version naming one that
 * cannot be read is a store failure (the config is not compiled without it: fail closed).
 */
export async function readPersistedQueries(kv: KVNamespace, sha256: string): Promise<Map<string, string>> {
  const list = await kv.get<Record<string, string>>(KEYS.persistedQueries(sha256), "json");
  if (!list) throw new Error(`persisted query list ${sha256} is named by the version but not readable`);
  return new Map(Object.entries(list));
}

/**
 * KV accepts about one write per second to the same key (more may fail with 429), and the
 * pointer and the documents revision are the keys rewritten on every change; a second change
 * within that second is retried once, a little over a second later.
 */
export async function putMutable(kv: KVNamespace, key: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value);
  try {
    await kv.put(key, text);
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await kv.put(key, text);
  }
}
