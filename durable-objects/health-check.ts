/**
 * Active health checks (Loom `upstreams[].health_check`), run by the upstream's CircuitBreaker
 * object on its alarm: one round every `interval` checks every endpoint with `GET <endpoint><path>`
 * (loopback ones too), however many isolates serve the upstream. An endpoint is down after
 * `unhealthy_threshold` failed checks in a row and up again after `healthy_threshold` passed ones
 * in a row (Envoy's and Loom's rule); endpoints start up. Isolates learn which are down with the
 * circuit state they already refresh.
 *
 * A check is the operator's request, but to an origin that may misbehave, so it is bounded:
 * only a 2xx passes; a redirect is not followed (`redirect: "manual"`: it fails, and never sends
 * the check to another host); the body is never read (cancelled at once); no answer within
 * `timeout` fails.
 */

export interface HealthCheckTarget {
  /** The endpoint as configured (the name the proxy and the circuit use). */
  endpoint: string;
  /** `GET` this URL: the endpoint's origin and base path, then the check's path. */
  url: string;
  /**
   * A header carrying a Worker secret (an AI provider's `${VAR}` key): `prefix` + the value of
   * `variable`, read by the object from its own environment (the Worker's) at each check. The
   * secret never travels in the spec nor sits in the object's storage; unset, the check goes
   * without the header (and fails, as the provider's requests would).
   */
  credential?: { header: string; prefix: string; variable: string };
  /**
   * Fixed headers the endpoint needs on every request and that hold no secret (an AI
   * provider's `anthropic-version`, `OpenAI-Organization`): they travel in the spec.
   */
  headers?: [string, string][];
}

/** What an isolate tells the object, compiled once per config. */
export interface HealthCheckSpec {
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  targets: HealthCheckTarget[];
}

export interface EndpointHealth {
  down: boolean;
  /** Checks in a row with the same outcome, the latest included. */
  streak: number;
  /** Whether the streak is of passes. */
  passing: boolean;
}

export interface HealthState {
  spec: HealthCheckSpec;
  /** When an isolate last gave the spec: rounds stop once no isolate has asked for a while. */
  askedAt: number;
  /** When the next round is due. */
  nextAt: number;
  endpoints: Record<string, EndpointHealth>;
}

/**
 * Rounds go on this long after the last isolate asked: long enough that a quiet minute does not
 * stop them, short enough that a config nobody serves stops loading its origins.
 */
export const HEALTH_STALE_MS = 10 * 60_000;

function sameSpec(a: HealthCheckSpec, b: HealthCheckSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The state after an isolate gave `spec` at `now`. A new or changed spec keeps what is known of
 * the endpoints it still has; a spec given again after the rounds had stopped starts afresh
 * (what was known is too old), with a round at once.
 */
export function requested(state: HealthState | undefined, spec: HealthCheckSpec, now: number): HealthState {
  if (!state || now - state.askedAt >= HEALTH_STALE_MS) return { spec, askedAt: now, nextAt: now, endpoints: {} };
  if (sameSpec(state.spec, spec)) return { ...state, askedAt: now };
  const names = new Set(spec.targets.map(({ endpoint }) => endpoint));
  const endpoints = Object.fromEntries(Object.entries(state.endpoints).filter(([endpoint]) => names.has(endpoint)));
  return { spec, askedAt: now, nextAt: Math.min(state.nextAt, now + spec.intervalMs), endpoints };
}

export function isFresh(state: HealthState | undefined, now: number): state is HealthState {
  return state !== undefined && now - state.askedAt < HEALTH_STALE_MS;
}

/** Applies one check's outcome: down after unhealthy_threshold failures in a row, up after healthy_threshold passes. */
export function applyCheck(state: HealthState, endpoint: string, passed: boolean): void {
  const health = (state.endpoints[endpoint] ??= { down: false, streak: 0, passing: true });
  health.streak = health.passing === passed ? health.streak + 1 : 1;
  health.passing = passed;
  if (!passed && health.streak >= state.spec.unhealthyThreshold) health.down = true;
  if (passed && health.streak >= state.spec.healthyThreshold) health.down = false;
}

/** The endpoints down, in the spec's order. */
export function downEndpoints(state: HealthState | undefined): string[] {
  if (!state) return [];
  return state.spec.targets.filter(({ endpoint }) => state.endpoints[endpoint]?.down === true).map(({ endpoint }) => endpoint);
}

/** The headers of a check of `target`: its fixed ones, and its credential when it has one and the environment holds the secret. */
export function checkHeaders({ credential, headers: fixed }: HealthCheckTarget, env: Record<string, unknown>): Headers {
  const headers = new Headers(fixed);
  const value = credential && env[credential.variable];
  if (credential && typeof value === "string" && value !== "") headers.set(credential.header, credential.prefix + value);
  return headers;
}

/** One check: true for a 2xx within `timeoutMs`. */
export async function check(url: string, timeoutMs: number, fetcher: typeof fetch = fetch, headers = new Headers()): Promise<boolean> {
  try {
    const response = await fetcher(url, { method: "GET", headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    // The status is the verdict: the body is never read, so an origin cannot make the object hold a large one.
    void response.body?.cancel();
    return response.status >= 200 && response.status < 300;
  } catch {
    return false;
  }
}
