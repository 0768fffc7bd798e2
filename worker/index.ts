/**
 * Loom Edge entry point: the fetch handler is the Hono app; the Durable Object classes are
 * re-exported here because wrangler binds them by class name from the main module.
 */
import { createApp } from "./app";

export default createApp();
export { CircuitBreaker } from "../durable-objects/circuit-breaker";
export { RateLimiter } from "../durable-objects/rate-limiter";
