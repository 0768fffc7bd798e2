import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { D1_FILES_HOST, searchD1Files } from "./test/support/d1-files";
import { fakeOrigin } from "./test/support/fake-origin";

// Runtime tests: run inside workerd with the real KV, D1 and Durable Object bindings of
// wrangler.toml (isolated storage per test file). End-to-end tests have their own config.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        // Workers AI and Vectorize (the AI cache's semantic matching) run only on Cloudflare: tests use a stand-in.
        remoteBindings: false,
        // The source, not wrangler.toml's built `main` (dist/, scripts/build.mjs): tests need no build.
        main: "./worker/index.ts",
        miniflare: {
          // ADMIN_TOKEN: 32 random bytes, base64url, as `npm run dev` makes them; the admin API
          // refuses a weaker one (worker/admin/secret-strength.ts).
          // AUDIT_WINDOW_MS 0: each request-path audit event is its own row unless a test aggregates.
          bindings: {
            ADMIN_TOKEN: "cT2LN2U61FDYDtrpNb4xr0CAOn9Urq8Xw1SwVz2SfqE",
            DEMO_API_KEY: "demo-key-123",
            AUDIT_HMAC_KEY: "test-audit-hmac-key-0123456789abcdef",
            AUDIT_WINDOW_MS: "0",
            TEST_MIGRATIONS: migrations,
          },
          // Every outbound fetch of the Worker and the tests, handled in Node: the fake origin, and
          // a search of the D1 files on disk for tests that prove a secret never reaches them.
          outboundService: (request: Request) =>
            new URL(request.url).hostname === D1_FILES_HOST ? searchD1Files(request) : fakeOrigin(request),
        },
      }),
    ],
    test: {
      include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "test/runtime/**/*.test.ts"],
      setupFiles: ["./test/runtime/apply-migrations.ts", "./test/runtime/load-lazy-modules.ts"],
    },
  };
});
