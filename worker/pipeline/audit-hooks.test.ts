import { describe, expect, it } from "vitest";
import type { Env } from "../env";
import type { QueuedAuditEvent } from "../audit/queue";
import { recordAdminAuthFailure } from "./audit-hooks";

/** A request's context for the recorder: no aggregation (AUDIT_WINDOW_MS 0), a queue that keeps what it is sent. */
function requestContext() {
  const sent: QueuedAuditEvent[] = [];
  const work: Promise<unknown>[] = [];
  const queue = { sendBatch: async (messages: { body: QueuedAuditEvent }[]) => void sent.push(...messages.map((message) => message.body)) };
  const env = { AUDIT_WINDOW_MS: "0", AUDIT_QUEUE: queue } as unknown as Env;
  return {
    c: { env, var: { requestId: "r-1" }, executionCtx: { waitUntil: (promise: Promise<unknown>) => void work.push(promise) } },
    sent,
    settled: () => Promise.all(work),
  };
}

describe("request-path audit keys", () => {
  it.each([
    ["a code", "invalid_credentials", "invalid_credentials"],
    ["a code with a claim", "claim_mismatch:aud", "claim_mismatch:aud"],
    ["free text", "nope <script>", "other"],
    ["a line break", "invalid_credentials\nforged: row", "other"],
    ["an overlong code", "x".repeat(41), "other"],
  ])("records %s as the reason %j", async (_, reason, recorded) => {
    const { c, sent, settled } = requestContext();
    recordAdminAuthFailure({ path: "admin", scheme: "basic", reason, ip: "2001:db8:0:1::7", userAgent: "u".repeat(1_000) }, c);
    await settled();
    expect(sent).toEqual([
      expect.objectContaining({
        event: "admin_auth_failure",
        target: "admin",
        ip: "2001:db8:0:1::/64",
        userAgent: "u".repeat(256),
        details: expect.objectContaining({ scheme: "basic", reason: recorded, count: 1 }),
      }),
    ]);
  });
});
