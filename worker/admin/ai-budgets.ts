/**
 * `GET` / `DELETE /admin/ai/budgets/:name`: one AI token budget, provider request budget or
 * daily quota (a RateLimiter object, durable-objects/budget-store.ts), shown refilled to now, and
 * reset by an operator: audited first as `state_reset` / `ai_budget_reset`, like the rate-limit
 * counters (protections.ts). A reset forgives what was spent and the open reservations: requests
 * in flight settle against nothing.
 */
import type { z } from "zod";
import type { BudgetView } from "../../durable-objects/rate-limiter";
import { httpError } from "../http/errors";
import type { aiBudgetStateSchema } from "./ai-usage-schema";
import type { AdminContext, AdminEndpoint, EndpointResponse } from "./context";
import { notFound } from "./http";
import { auditReset, fromObject, objectUnavailable } from "./protections";

type AiBudgetState = z.output<typeof aiBudgetStateSchema>;
type Kind = AiBudgetState["kind"];

/** The names worker/policies/ai-gateway/budgets/names.ts gives. */
const BUDGET_NAME = /^ai-(?:(tokens)\|(?:consumer|key)=.+|(provider)\|.+|(quota)\|(?:consumer|tenant)=[^|]+\|\d{4}-\d{2}-\d{2})$/s;
const MAX_BUDGET_NAME = 1024;

/** What each kind's meters count, in the order the object keeps them. */
const METERS: Record<Kind, AiBudgetState["meters"][number]["meter"][]> = {
  tokens: ["tokens"],
  provider: ["requests"],
  quota: ["tokens", "cost"],
};

function budgetName(c: AdminContext): { name: string; kind: Kind } {
  const name = c.req.param("name")!;
  const match = name.length > MAX_BUDGET_NAME ? null : BUDGET_NAME.exec(name);
  if (!match) throw httpError("invalid_ai_budget");
  return { name, kind: (match[1] ?? match[2] ?? match[3]) as Kind };
}

function budgetState(name: string, kind: Kind, view: BudgetView): AiBudgetState {
  const meters = METERS[kind].map((meter, index) => {
    const { limit, windowMs } = view.meters[index]!;
    const limited = Number.isFinite(limit);
    // Whole tokens and requests, rounded up (a part of one is spent); cost is kept in millionths.
    const unit = meter === "cost" ? 1_000_000 : 1;
    const spent = Math.ceil(view.spent[index]!) / unit;
    return {
      meter,
      limit: limited ? limit / unit : null,
      window_ms: windowMs ?? null,
      spent,
      remaining: limited ? Math.max(0, limit - Math.ceil(view.spent[index]!)) / unit : null,
    };
  });
  return { name, kind, meters, open_reservations: view.open };
}

async function readBudget(c: AdminContext) {
  const { name, kind } = budgetName(c);
  const stub = c.env.RATE_LIMITER.getByName(name);
  const view = await fromObject("rate_limit", () => stub.budgetState());
  if (!view) throw notFound(`AI budget "${name}"`);
  return { name, stub, state: budgetState(name, kind, view) };
}

async function resetBudget(c: AdminContext) {
  const { name, stub, state } = await readBudget(c);
  await auditReset(c, "ai_budget_reset", `ai/budgets/${name}`, { budget: name, meters: state.meters });
  await fromObject("rate_limit", () => stub.reset());
  return c.json({ name, reset: true as const, previous: state });
}

const BUDGET_PATH = "/ai/budgets/:name{.+}";

const NAME_DOC =
  "`name` is the object's name, percent-encoded: `ai-tokens|consumer=<id>` or `ai-tokens|key=<rate_limit key>` (max_tokens_per_minute), `ai-provider|<provider>` (its rate_limit), `ai-quota|consumer=<id>|<YYYY-MM-DD>` or `ai-quota|tenant=<tenant>|<YYYY-MM-DD>` (a UTC day's quota); ids percent-encoded inside the name too.";

/** Both endpoints answer 400 for another name, 404 for a budget the object does not hold. */
const answers = (ok: EndpointResponse, missing: string, unavailable: EndpointResponse): AdminEndpoint["responses"] => ({
  200: ok,
  400: { description: "Not a budget name.", schema: "Error" },
  404: { description: `No such budget: ${missing}.`, schema: "Error" },
  503: unavailable,
});

export const aiBudgetEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: BUDGET_PATH,
    summary: "One AI token budget, provider request budget or daily quota",
    description: `${NAME_DOC} Shows each meter refilled to now; takes nothing.`,
    responses: answers(
      { description: "The budget.", schema: "AiBudgetState" },
      "nothing reserved under this name, or forgotten once it meant nothing",
      objectUnavailable,
    ),
    handler: async (c) => c.json((await readBudget(c)).state),
  },
  {
    method: "DELETE",
    path: BUDGET_PATH,
    summary: "Reset an AI budget or quota",
    description: `${NAME_DOC} Forgets what was spent and the open reservations (requests in flight are then charged nothing). Audited first as state_reset/ai_budget_reset (the meters before the reset).`,
    responses: answers({ description: "Reset; `previous` is the budget before.", schema: "AiBudgetReset" }, "nothing to reset", {
      description: "The Durable Object or the audit log (D1) cannot be reached; nothing changed.",
      schema: "Error",
    }),
    handler: resetBudget,
  },
];
