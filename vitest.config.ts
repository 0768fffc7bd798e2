import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { fakeOrigin } from "./test/support/fake-origin";

// Runtime tests: run inside workerd with the real KV, D1 and Durable Object bindings of
// wrangler.toml (isolated storage per test file). End-to-end tests have their own config.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { ADMIN_TOKEN: "test-admin-token", DEMO_API_KEY: "demo-key-123", TEST_MIGRATIONS: migrations },
          outboundService: fakeOrigin,
        },
      }),
    ],
    test: {
      include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "test/runtime/**/*.test.ts"],
      setupFiles: ["./test/runtime/apply-migrations.ts"],
    },
  };
});
