// The benchmark's origin: a keep-alive HTTP server on 127.0.0.1 with a small fixed JSON answer.
// Runs in its own process so its CPU is neither the load generator's nor workerd's.
import { createServer } from "node:http";

const body = Buffer.from(JSON.stringify({ id: 42, name: "widget", price: 9.5, tags: ["a", "b"] }));

const server = createServer((req, res) => {
  // POST bodies are read to the end, as a real origin would, before answering.
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(0, "127.0.0.1", () => process.send?.({ port: server.address().port }));
process.on("disconnect", () => process.exit(0));
