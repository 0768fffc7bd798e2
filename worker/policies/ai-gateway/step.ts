/**
 * The AI gateway's step as the pipeline builds it: nothing without a route that has `ai`; else
 * the gateway (index.ts) from a chunk of its own, imported when the config is compiled and
 * awaited by the first AI request. An isolate that serves no AI route never evaluates the checks'
 * rules and phrase lists, and a request to another route does not wait for them (README, "What a
 * cold isolate loads").
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import type { AiGatewayOptions } from "./index";

export function aiGatewayStep(options: AiGatewayOptions): MiddlewareHandler<AppEnv> | undefined {
  const aiRoutes = new Set(options.routes.flatMap((route) => (route.ai === undefined ? [] : [route.id])));
  if (aiRoutes.size === 0) return undefined;
  const gateway = import("./index").then(({ aiGateway }) => aiGateway(options)!);
  gateway.catch(() => {});
  return async function aiGatewayStep(c, next) {
    if (!aiRoutes.has(c.get("route")!.id)) return next();
    return (await gateway)(c, next);
  };
}
