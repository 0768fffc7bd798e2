// Load generator process: runs one autocannon round per message from the harness and answers
// with the numbers the harness needs (latencies of 2xx answers in ms, for pooled percentiles). Kept out of the harness process so that the harness (which
// also drains workerd's stdout) and the load generator do not share one event loop.
import autocannon from "autocannon";

/**
 * autocannon's requests for a round: one fixed request, or with `round.turnMarker`, the body
 * with the marker replaced by each request's own number (a new chat turn each time).
 */
function requestsOf(round) {
  if (!round.turnMarker) return undefined;
  let turn = 0;
  return [{ setupRequest: (request) => ({ ...request, body: round.body.replaceAll(round.turnMarker, String(++turn)) }) }];
}

function runRound(round) {
  // autocannon's own histogram keeps whole milliseconds; its per-response times are
  // fractional, so the percentiles are taken from those.
  const latencies = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: round.url,
        connections: round.connections,
        duration: round.duration,
        method: round.method,
        headers: round.headers,
        body: round.body,
        requests: requestsOf(round),
      },
      (error, result) => (error ? reject(error) : resolve({ result, latencies })),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

process.on("message", async (round) => {
  const cpuBefore = process.cpuUsage();
  const { result, latencies } = await runRound(round);
  const cpu = process.cpuUsage(cpuBefore);
  process.send({
    requests: result.requests.total,
    seconds: result.duration,
    latencies: Float64Array.from(latencies),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuMs: (cpu.user + cpu.system) / 1000,
  });
});
process.on("disconnect", () => process.exit(0));
