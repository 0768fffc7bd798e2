// TEMPORARY SHIM while the policies are being written; the lead replaces it with the real
// compiler (see /work/staging/compile.ts). Same exported signatures.
import { configSchema, type Config } from "./schema";

export interface CompiledConfig {
  readonly version: number;
  readonly config: Config;
}

export function documentPaths(config: Config): string[] {
  const paths = new Set<string>();
  for (const route of config.routes) {
    for (const plugin of route.plugins) {
      if (typeof plugin.config.schema === "string") paths.add(plugin.config.schema);
    }
  }
  return [...paths];
}

export function compileConfig(version: number, config: Config, _documents: ReadonlyMap<string, unknown>): CompiledConfig {
  return Object.freeze({ version, config });
}

export function emptyCompiledConfig(): CompiledConfig {
  return compileConfig(0, configSchema.parse({}), new Map());
}
