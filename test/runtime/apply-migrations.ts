import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Every test file starts from a database with all migrations applied, as `wrangler d1
// migrations apply` leaves it.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
