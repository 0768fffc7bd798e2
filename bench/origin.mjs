// The benchmark's origin: a keep-alive HTTP server on 127.0.0.1 with a small fixed JSON answer.
// Runs in its own process so its CPU is neither the load generator's nor workerd's.
// When the harness sends `{ jwks, tls: { key, cert } }` it also serves that JSON Web Key Set
// over HTTPS (the gateway accepts only https `jwks_uri`s) and answers with that port.
import { createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";

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

process.on("message", ({ jwks, tls }) => {
  const document = Buffer.from(JSON.stringify(jwks));
  const jwksServer = createTlsServer(tls, (req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/jwk-set+json", "content-length": document.length });
    res.end(document);
  });
  jwksServer.listen(0, "127.0.0.1", () => process.send?.({ jwksPort: jwksServer.address().port }));
});
process.on("disconnect", () => process.exit(0));
