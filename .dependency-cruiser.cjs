/**
 * The layer rule (README, "Architecture"): imports only go downward, runtime and type imports
 * alike. `npm run lint:layers` checks it; CI runs it before the tests.
 *
 *   app → admin → pipeline → config → {gateway, policies} → {consumers, vault} → limits
 *       → audit → observability → http → env.ts → durable-objects
 *
 * Folders of one rank do not import each other, no policy imports another, a policy's schema.ts
 * imports only zod and the schema kit, and durable-objects/ imports nothing from worker/.
 */
const LAYERS = [
  ["app", "^worker/(index|app)\\.ts$"],
  ["admin", "^worker/admin/"],
  ["pipeline", "^worker/pipeline/"],
  ["config", "^worker/config/"],
  ["gateway", "^worker/gateway/", "features"],
  ["policies", "^worker/policies/", "features"],
  ["consumers", "^worker/consumers/", "stores"],
  ["vault", "^worker/vault/", "stores"],
  ["limits", "^worker/limits/"],
  ["audit", "^worker/audit/"],
  ["observability", "^worker/observability/"],
  ["http", "^worker/http/"],
  ["env", "^worker/env\\.ts$"],
  ["durable-objects", "^durable-objects/"],
];

const rank = (layer) => {
  const ranks = [...new Set(LAYERS.map(([name, , group]) => group ?? name))];
  return ranks.indexOf(layer[2] ?? layer[0]);
};

/** For each layer: no import of a layer above it, nor of another folder of its own rank. */
const upward = LAYERS.flatMap((layer) => {
  const above = LAYERS.filter((other) => other !== layer && rank(other) <= rank(layer)).map(([, path]) => path);
  if (above.length === 0) return [];
  return {
    name: `layers:${layer[0]}`,
    comment: `${layer[0]} may import only layers below it (README, "Architecture")`,
    severity: "error",
    from: { path: layer[1], pathNot: "\\.test\\.ts$|\\.test-helper\\.ts$" },
    to: { path: above },
  };
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: "policies:independent",
      comment: "no policy imports another; what several share lives below them (limits/, http/)",
      severity: "error",
      from: { path: "^worker/policies/([^/]+)/", pathNot: "\\.test\\.ts$|\\.test-helper\\.ts$" },
      to: { path: "^worker/policies/", pathNot: ["^worker/policies/$1/"] },
    },
    {
      name: "policies:schema-only-zod-and-kit",
      comment: "a policy's schema.ts imports only zod and the schema kit, so config/schema.ts can compose it",
      severity: "error",
      from: { path: "^worker/policies/[^/]+/schema\\.ts$" },
      to: { pathNot: ["^worker/http/schema-kit/", "^node_modules/zod/", "^zod$"] },
    },
    {
      name: "durable-objects:standalone",
      comment: "durable-objects/ imports nothing from worker/",
      severity: "error",
      from: { path: "^durable-objects/", pathNot: "\\.test\\.ts$|\\.test-helper\\.ts$" },
      to: { path: "^worker/" },
    },
    {
      name: "no-circular",
      comment: "no import cycles, type-only ones included",
      severity: "error",
      from: { path: "^(worker|durable-objects)/", pathNot: "\\.test\\.ts$|\\.test-helper\\.ts$" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$|\\.test-helper\\.ts$" },
    tsConfig: { fileName: "tsconfig.json" },
    // swc reads TypeScript 7 sources (dependency-cruiser's tsc reader needs TypeScript ≤ 6 or
    // ≥ 7.1) and reports `import type` like any other import, so type imports obey the rule too.
    parser: "swc",
  },
};
