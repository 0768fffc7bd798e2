import { describe, expect, it } from "vitest";
import { recognise, type RecognisedRequest } from "../shapes";
import { AiCache, cachedRequest, type AiCacheRequest, type AiCacheSettings } from ".";
import { cosineSimilarity } from "./semantic";
import { InMemoryIndex, StandInEmbedder } from "./semantic.test-helper";

const CHAT = "/v1/chat/completions";
let hosts = 0;
/** A host of its own per test: entries of one test are never another's. */
const freshHost = () => `ai-cache-${++hosts}-${crypto.randomUUID()}.test`;

function chat(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content },
    ],
    ...extra,
  };
}

function request(body: unknown, overrides: Partial<AiCacheRequest> = {}): AiCacheRequest {
  const path = overrides.path ?? CHAT;
  const recognised = recognise(path, body);
  if (recognised.api === "unknown") throw new Error(recognised.reason);
  return { tenant: "acme", provider: "openai", path, body, recognised, headers: new Headers(), ...overrides };
}

const answer = (text: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ choices: [{ message: { role: "assistant", content: text } }] }), {
    headers: { "content-type": "application/json", "openai-processing-ms": "321", "x-request-id": "req_1", ...headers },
  });

async function primed(cache: AiCache, host: string, req: AiCacheRequest, response = answer("Paris.")) {
  const lookup = await cache.lookup(host, req);
  expect(lookup.hit).toBeUndefined();
  await cache.store(host, lookup, response);
  return lookup;
}

const settings = (extra: Partial<AiCacheSettings> = {}): AiCacheSettings => ({ ttlSeconds: 300, varyByHeaders: [], ...extra });

describe("AI cache: exact match", () => {
  it("answers the same request from the stored answer, with X-Cache: HIT, Age and only the content type", async () => {
    let now = 1_000_000;
    const cache = new AiCache(settings(), { now: () => now });
    const host = freshHost();
    await primed(cache, host, request(chat("Capital of France?")));
    now += 42_000;
    const { hit } = await cache.lookup(host, request(chat("Capital of France?")));
    expect(hit?.status).toBe(200);
    expect(hit?.headers.get("x-cache")).toBe("HIT");
    expect(hit?.headers.get("age")).toBe("42");
    expect(hit?.headers.get("x-request-id")).toBeNull();
    expect(hit?.headers.get("openai-processing-ms")).toBeNull();
    expect(await hit?.json()).toEqual({ choices: [{ message: { role: "assistant", content: "Paris." } }] });
  });

  it("treats members in another order as the same request, and any other difference as another", async () => {
    const cache = new AiCache(settings({ varyByHeaders: ["X-Locale"] }));
    const host = freshHost();
    const base = chat("Capital of France?", { temperature: 0 });
    await primed(cache, host, request(base, { headers: new Headers({ "x-locale": "fr", "x-other": "1" }) }));
    const reordered = Object.fromEntries(Object.entries(base).reverse());
    const same = await cache.lookup(host, request(reordered, { headers: new Headers({ "X-Locale": "fr", "x-other": "2" }) }));
    expect(same.hit).toBeDefined();
    const others: AiCacheRequest[] = [
      request(chat("Capital of Spain?", { temperature: 0 }), { headers: new Headers({ "x-locale": "fr" }) }),
      request(chat("Capital of France?", { temperature: 1 }), { headers: new Headers({ "x-locale": "fr" }) }),
      request({ ...base, model: "gpt-4o" }, { headers: new Headers({ "x-locale": "fr" }) }),
      request(base, { headers: new Headers({ "x-locale": "de" }) }),
      request(base),
      request(base, { tenant: "other", headers: new Headers({ "x-locale": "fr" }) }),
      request(base, { tenant: undefined, headers: new Headers({ "x-locale": "fr" }) }),
      request(base, { provider: "azure", headers: new Headers({ "x-locale": "fr" }) }),
      request(base, { path: "/openai/v1/chat/completions", headers: new Headers({ "x-locale": "fr" }) }),
    ];
    for (const other of others) expect((await cache.lookup(host, other)).hit).toBeUndefined();
  });

  it.each([
    ["a status other than 200", answer("x"), 500],
    ["a body that is not JSON", new Response("hello", { headers: { "content-type": "text/plain" } }), 200],
    ["no-store", answer("x", { "cache-control": "no-store" }), 200],
    ["private", answer("x", { "cache-control": "max-age=60, private" }), 200],
    ["a cookie", answer("x", { "set-cookie": "a=b" }), 200],
    ["a declared length over 1 MiB", answer("x", { "content-length": String(1024 * 1024 + 1) }), 200],
  ])("never stores an answer with %s", async (_what, response, status) => {
    const cache = new AiCache(settings());
    const host = freshHost();
    const sent = status === 200 ? response : new Response(response.body, { status, headers: response.headers });
    await primed(cache, host, request(chat("q")), sent);
    expect((await cache.lookup(host, request(chat("q")))).hit).toBeUndefined();
  });

  it("never stores a streamed answer that turns out larger than 1 MiB", async () => {
    const cache = new AiCache(settings());
    const host = freshHost();
    const big = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(32));
        controller.close();
      },
    });
    await primed(cache, host, request(chat("q")), new Response(big, { headers: { "content-type": "application/json" } }));
    expect((await cache.lookup(host, request(chat("q")))).hit).toBeUndefined();
  });

  it("serves no stream from the cache", () => {
    const recognised = recognise(CHAT, chat("q", { stream: true })) as RecognisedRequest;
    expect(cachedRequest(recognised)).toBe(false);
    expect(cachedRequest(recognise(CHAT, chat("q")) as RecognisedRequest)).toBe(true);
  });
});

describe("AI cache: digests", () => {
  /** SHA-256 hex, counting the digests made and what they hashed. */
  const countingDigest = () => {
    const hashed: string[] = [];
    const digest = async (text: string) => {
      hashed.push(text);
      const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
      return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    };
    return { hashed, digest };
  };

  it("digests a request once (the exact key) when semantic matching is off, on a miss and on a hit", async () => {
    const { hashed, digest } = countingDigest();
    const cache = new AiCache(settings(), { digest });
    const host = freshHost();
    await primed(cache, host, request(chat("Capital of France?")));
    expect(hashed).toHaveLength(1);
    expect(hashed[0]).toContain("Capital of France?");
    expect((await cache.lookup(host, request(chat("Capital of France?")))).hit).toBeDefined();
    expect(hashed).toHaveLength(2);
  });

  it("digests the scope too (texts blanked) on an exact miss with semantic matching on, and not on an exact hit or a long prompt", async () => {
    const { hashed, digest } = countingDigest();
    const cache = new AiCache(settings({ semantic: { embedder: new StandInEmbedder(), index: new InMemoryIndex(), threshold: 0.9 } }), {
      digest,
    });
    const host = freshHost();
    const lookup = await primed(cache, host, request(chat("Capital of France?")));
    expect(hashed).toHaveLength(2);
    expect(hashed[1]).not.toContain("Capital of France?");
    expect(lookup.semantic?.scope).toMatch(/^[0-9a-f]{64}$/);
    await cache.lookup(host, request(chat("Capital of France?")));
    expect(hashed).toHaveLength(3);
    await cache.lookup(host, request(chat("word ".repeat(400))));
    expect(hashed).toHaveLength(4);
  });
});

describe("AI cache: semantic match", () => {
  const semanticCache = (threshold = 0.9) => {
    const embedder = new StandInEmbedder();
    const index = new InMemoryIndex();
    return { embedder, index, cache: new AiCache(settings({ semantic: { embedder, index, threshold } })) };
  };

  it("answers a similar prompt from the nearest entry above the threshold, and a different one not", async () => {
    const { cache } = semanticCache();
    const host = freshHost();
    await primed(cache, host, request(chat("What is the capital city of France?")));
    const similar = await cache.lookup(host, request(chat("what is the capital city of France, please")));
    expect(similar.hit?.headers.get("x-cache")).toBe("HIT");
    expect(await similar.hit?.json()).toMatchObject({ choices: [{ message: { content: "Paris." } }] });
    expect((await cache.lookup(host, request(chat("How do I bake sourdough bread at home?")))).hit).toBeUndefined();
  });

  it("compares the stand-in's vectors as Vectorize's cosine metric does", async () => {
    const embedder = new StandInEmbedder();
    const [a, b, c] = await Promise.all(
      ["What is the capital city of France?", "what is the capital city of France, please", "How do I bake sourdough bread?"].map((text) =>
        embedder.embed(text),
      ),
    );
    expect(cosineSimilarity(a!, b!)).toBeGreaterThan(0.9);
    expect(cosineSimilarity(a!, c!)).toBeLessThan(0.5);
    expect(cosineSimilarity(a!, a!)).toBeCloseTo(1, 10);
    expect(cosineSimilarity(a!, new Array(a!.length).fill(0))).toBe(0);
  });

  it("matches only within the scope: same tenant, provider, model and options", async () => {
    const { cache } = semanticCache();
    const host = freshHost();
    await primed(cache, host, request(chat("What is the capital city of France?")));
    const text = "what is the capital city of France, please";
    for (const other of [
      request(chat(text), { tenant: "other" }),
      request(chat(text), { tenant: undefined }),
      request(chat(text), { provider: "azure" }),
      request({ ...chat(text), model: "gpt-4o" }),
      request(chat(text, { temperature: 1.5 })),
      request({ model: "gpt-4o-mini", messages: [{ role: "user", content: text }] }),
    ]) {
      expect((await cache.lookup(host, other)).hit).toBeUndefined();
    }
  });

  it("respects the threshold", async () => {
    const { cache } = semanticCache(0.999);
    const host = freshHost();
    await primed(cache, host, request(chat("What is the capital city of France?")));
    expect((await cache.lookup(host, request(chat("what is the capital city of France, please")))).hit).toBeUndefined();
  });

  it("matches long prompts exactly only, without embedding them", async () => {
    const { cache, embedder } = semanticCache();
    const host = freshHost();
    const long = "word ".repeat(400);
    await primed(cache, host, request(chat(long)));
    expect(embedder.calls).toEqual([]);
    expect((await cache.lookup(host, request(chat(long)))).hit).toBeDefined();
    expect((await cache.lookup(host, request(chat(`${long}x`)))).hit).toBeUndefined();
    expect(embedder.calls).toEqual([]);
  });

  it("is a miss, never an error, when the embedding service or the index fails; the exact entry is still stored", async () => {
    const { cache, embedder, index } = semanticCache();
    const host = freshHost();
    embedder.failing = true;
    await primed(cache, host, request(chat("What is the capital city of France?")));
    expect((await cache.lookup(host, request(chat("What is the capital city of France?")))).hit).toBeDefined();
    embedder.failing = false;
    index.failing = true;
    const lookup = await cache.lookup(host, request(chat("Another question entirely?")));
    expect(lookup.hit).toBeUndefined();
    await cache.store(host, lookup, answer("stored"));
    expect((await cache.lookup(host, request(chat("Another question entirely?")))).hit).toBeDefined();
  });

  it("ignores an index entry whose answer has left the cache", async () => {
    const { cache, index } = semanticCache();
    const host = freshHost();
    const lookup = await cache.lookup(host, request(chat("What is the capital city of France?")));
    await index.upsert(lookup.keys.exact, lookup.semantic!.vector, lookup.semantic!.scope);
    expect((await cache.lookup(host, request(chat("what is the capital city of France, please")))).hit).toBeUndefined();
  });
});
