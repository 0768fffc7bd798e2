/**
 * A readable page of the OpenAPI document, rendered on the server: no script and no external
 * CDN (neither is reachable offline, and the admin's CSP need not allow them).
 */
import type { OpenApiDocument, OpenApiOperation } from "./openapi";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escape = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);

const schemaName = (reference: string): string => reference.slice(reference.lastIndexOf("/") + 1);
const schemaLink = (reference: string): string => `<a href="#schema-${escape(schemaName(reference))}">${escape(schemaName(reference))}</a>`;

function renderOperation(method: string, path: string, op: OpenApiOperation): string {
  const parameters = (op.parameters ?? [])
    .map(
      (p) =>
        `<li><code>${escape(String(p.name))}</code> (${escape(String(p.in))})${p.description ? ` — ${escape(String(p.description))}` : ""}</li>`,
    )
    .join("");
  const body = op.requestBody
    ? `<p>Body: ${Object.entries(op.requestBody.content)
        .map(([type]) => `<code>${escape(type)}</code>`)
        .join(", ")} — ${schemaLink(Object.values(op.requestBody.content)[0]!.schema.$ref)}</p>`
    : "";
  const responses = Object.entries(op.responses)
    .map(([status, response]) => {
      const media = response.content ? Object.values(response.content)[0] : undefined;
      return `<tr><td>${escape(status)}</td><td>${escape(response.description)}</td><td>${media ? schemaLink(media.schema.$ref) : ""}</td></tr>`;
    })
    .join("");
  return `<section id="${escape(op.operationId)}">
<h3><span class="method">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary)}</p>${op.description ? `<p>${escape(op.description)}</p>` : ""}
${parameters ? `<ul>${parameters}</ul>` : ""}${body}
<table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>${responses}</tbody></table>
</section>`;
}

export function renderDocsPage(api: OpenApiDocument): string {
  const server = api.servers[0]?.url ?? "";
  const operations = Object.entries(api.paths)
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => renderOperation(method, `${server}${path}`, op)))
    .join("\n");
  const schemas = Object.entries(api.components.schemas)
    .map(
      ([name, schema]) =>
        `<details id="schema-${escape(name)}"><summary>${escape(name)}</summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(api.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>${escape(api.info.title)}</h1>
<p>${escape(api.info.description)}</p>
<p>Authenticate with <code>Authorization: Bearer &lt;ADMIN_TOKEN&gt;</code> or the basic credentials of <code>admin.auth</code>.
Machine-readable: <a href="${escape(server)}/openapi.json">openapi.json</a> (OpenAPI ${escape(api.openapi)}).</p>
<h2>Endpoints</h2>
${operations}
<h2>Schemas</h2>
${schemas}
</body></html>`;
}
