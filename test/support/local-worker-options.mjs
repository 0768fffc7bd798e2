// wrangler.toml's bindings and settings as Miniflare worker options, for the benchmarks that run
// the gateway in Miniflare: without the module rules (the callers list the upload's modules) and
// without Workers AI and Vectorize (the AI cache's semantic matching), which run only on Cloudflare.
export async function localWorkerOptions(configPath) {
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  const {
    modulesRules: _rules,
    ai: _ai,
    vectorize: _vectorize,
    ...workerOptions
  } = unstable_getMiniflareWorkerOptions(configPath).workerOptions;
  return workerOptions;
}
