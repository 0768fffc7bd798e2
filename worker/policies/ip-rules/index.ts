/**
 * IP allow/deny rules on the client address Cloudflare's edge reports (`CF-Connecting-IP`, as
 * `c.var.clientIp`). X-Forwarded-For and similar headers are client-controlled and never read.
 *
 * The global rules (`middleware.ip_rules`) and the matched route's rules both apply, the global
 * ones first. In each: a deny match is 403 whatever the allow list says; a non-empty allow list
 * must match. An unknown or unparsable client address never matches an allow list, so it is
 * refused wherever one exists (fail closed); deny lists alone let it pass, having nothing to match.
 * Refusals are 403 `{ error: "ip_forbidden" }`.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { passThrough } from "../../http/chain";
import { httpError } from "../../http/errors";
import { contains, parseCidr, parseIp, type Cidr } from "../../http/schema-kit/cidr";
import type { IpRulesConfig } from "./schema";

export interface IpRulesOptions {
  /** `middleware.ip_rules`: checked on every request. */
  rules?: IpRulesConfig;
  /** The routes of the config; only `id` and `ip_rules` are read. */
  routes?: readonly { id: string; ip_rules?: IpRulesConfig }[];
}

interface RuleSet {
  allow: Cidr[];
  deny: Cidr[];
}

function compileRules(config: IpRulesConfig): RuleSet {
  const blocks = (list: string[]) =>
    list.map((text) => {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw new TypeError(`ip_rules: ${text} ${parsed.message}`);
      return parsed.cidr;
    });
  return { allow: blocks(config.allow), deny: blocks(config.deny) };
}

function admits(rules: RuleSet, address: bigint | undefined): boolean {
  if (address === undefined) return rules.allow.length === 0;
  if (rules.deny.some((cidr) => contains(cidr, address))) return false;
  return rules.allow.length === 0 || rules.allow.some((cidr) => contains(cidr, address));
}

export const ipRules = (options: IpRulesOptions): MiddlewareHandler<AppEnv> => {
  const global = options.rules ? compileRules(options.rules) : undefined;
  const byRoute = new Map<string, RuleSet>();
  for (const route of options.routes ?? []) if (route.ip_rules) byRoute.set(route.id, compileRules(route.ip_rules));
  if (!global && byRoute.size === 0) return passThrough;

  return async function ipRules(c, next) {
    const routeId = c.get("route")?.id;
    const layers = [global, routeId === undefined ? undefined : byRoute.get(routeId)];
    if (layers.some(Boolean)) {
      const address = parseIp(c.get("clientIp") ?? "");
      for (const rules of layers) {
        if (rules && !admits(rules, address)) throw httpError("ip_forbidden");
      }
    }
    return next();
  };
};
