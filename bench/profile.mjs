// `npm run bench -- --profile`: where the gateway's CPU goes. A V8 CPU profile of the worker's
// isolate, taken through workerd's inspector (Chrome DevTools Protocol) while the load runs,
// then self time per request by source module (the `// worker/...` markers esbuild leaves in each
// module of the upload) and by function. The profiler slows the isolate; read the shares, not the totals.
import { createServer } from "node:net";

/** A free loopback port for the inspector (there is a short window in which it could be taken). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One DevTools Protocol session over the inspector's WebSocket. */
async function connect(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector: cannot connect to ${url}`)), { once: true });
  });
  const pending = new Map();
  let lastId = 0;
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const settle = pending.get(message.id);
    if (!settle) return;
    pending.delete(message.id);
    if (message.error) settle.reject(new Error(`inspector: ${message.error.message}`));
    else settle.resolve(message.result);
  });
  return {
    call(method, params = {}) {
      const id = ++lastId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}

/** The source module each line of an uploaded module belongs to, from esbuild's `// path/to/module.ts` markers. */
function moduleIndex(uploadedSource) {
  const modules = [];
  let current = "(bundle)";
  for (const line of uploadedSource.split("\n")) {
    const marker = /^\/\/ ((?:node_modules|worker|durable-objects)\/\S+)$/.exec(line);
    if (marker) current = marker[1];
    modules.push(current);
  }
  return modules;
}

function top(map, requests, count) {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, msPerRequest: us / 1000 / requests }));
}

/**
 * Profiles the worker `workerName` of the workerd whose inspector listens on `inspectorPort`
 * while `runLoad()` runs; returns self time per request by module and by function.
 */
export async function profileWorker({ inspectorPort, workerName, uploadedSources, runLoad }) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl.endsWith(`/core:user:${workerName}`));
  if (!target) throw new Error(`inspector: no worker ${workerName} among ${targets.map((t) => t.webSocketDebuggerUrl).join(", ")}`);
  const session = await connect(target.webSocketDebuggerUrl);
  try {
    await session.call("Profiler.enable");
    await session.call("Profiler.setSamplingInterval", { interval: 200 });
    await session.call("Profiler.start");
    const load = await runLoad();
    const { profile } = await session.call("Profiler.stop");

    // Per uploaded module (index.js and the chunks scripts/build.mjs splits off), found by the end of a frame's URL.
    const indexes = [...uploadedSources].map(([name, source]) => ({ name, modules: moduleIndex(source) }));
    const sourceModule = (frame) => indexes.find(({ name }) => frame.url.endsWith(name))?.modules[frame.lineNumber] ?? frame.url;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    const parents = new Map();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const byModule = new Map();
    const byFunction = new Map();
    // Inclusive time: a sample counts once for every distinct function on its stack.
    const inclusive = new Map();
    let sampledUs = 0;
    profile.samples.forEach((nodeId, i) => {
      const frame = nodes.get(nodeId);
      const us = profile.timeDeltas[i] ?? 0;
      sampledUs += us;
      // Frames without a script are the runtime's own: (idle), (garbage collector), fetch, ...
      const module = frame.url ? sourceModule(frame) : `(${frame.functionName || "native"})`;
      const fn = frame.url ? `${frame.functionName || "(anonymous)"} ${module}` : module;
      byModule.set(module, (byModule.get(module) ?? 0) + us);
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      const onStack = new Set();
      for (let id = nodeId; id !== undefined; id = parents.get(id)) {
        const f = nodes.get(id);
        if (f.url) onStack.add(`${f.functionName || "(anonymous)"} ${sourceModule(f)}`);
      }
      for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    });
    return {
      requests: load.requests,
      sampledMsPerRequest: sampledUs / 1000 / load.requests,
      byModule: top(byModule, load.requests, 20),
      byFunction: top(byFunction, load.requests, 25),
      inclusive: top(inclusive, load.requests, 40),
    };
  } finally {
    session.close();
  }
}
