import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { securityTxtSchema } from "./schema";
import type { AppEnv } from "../../env";
import { errorHandler } from "../../http/error-handler";
import { log } from "../../observability/logger";
import { renderSecurityTxt, securityTxt } from "./index";

const full = securityTxtSchema.parse({
  contact: ["mailto:security@example.com", "https://example.com/security"],
  expires: "2027-01-31T12:00:00+01:00",
  encryption: "https://example.com/pgp-key.txt",
  acknowledgments: "https://example.com/hall-of-fame",
  preferred_languages: ["en", "de", "pt-BR"],
  canonical: "https://api.example.com/.well-known/security.txt",
  policy: "https://example.com/disclosure",
  hiring: "https://example.com/jobs",
});

function app(options: Parameters<typeof securityTxt>[0]) {
  const hono = new Hono<AppEnv>();
  hono.onError(errorHandler(log.error));
  hono.get("/.well-known/security.txt", securityTxt(options));
  return hono;
}

describe("renderSecurityTxt", () => {
  it("writes one field per line, each value on its own line, CRLF line ends (RFC 9116 §2.2, §4)", () => {
    expect(renderSecurityTxt(full)).toBe(
      [
        "Contact: mailto:security@example.com",
        "Contact: https://example.com/security",
        "Expires: 2027-01-31T11:00:00Z",
        "Encryption: https://example.com/pgp-key.txt",
        "Acknowledgments: https://example.com/hall-of-fame",
        "Preferred-Languages: en, de, pt-BR",
        "Canonical: https://api.example.com/.well-known/security.txt",
        "Policy: https://example.com/disclosure",
        "Hiring: https://example.com/jobs",
        "",
      ].join("\r\n"),
    );
  });

  it("writes only the required fields when nothing else is set", () => {
    const minimal = securityTxtSchema.parse({ contact: "mailto:security@example.com", expires: "2027-01-01T00:00:00.250Z" });
    expect(renderSecurityTxt(minimal)).toBe("Contact: mailto:security@example.com\r\nExpires: 2027-01-01T00:00:00.250Z\r\n");
  });
});

describe("securityTxt", () => {
  it("serves the file as text/plain; charset=utf-8 (RFC 9116 §3)", async () => {
    const response = await app(full).request("https://gw.test/.well-known/security.txt");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe(renderSecurityTxt(full));
  });

  it("answers HEAD without a body", async () => {
    const response = await app(full).request("https://gw.test/.well-known/security.txt", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("still serves a file whose Expires has passed", async () => {
    const expired = securityTxtSchema.parse({ contact: "mailto:security@example.com", expires: "2020-01-01T00:00:00Z" });
    const response = await app(expired).request("https://gw.test/.well-known/security.txt");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Expires: 2020-01-01T00:00:00Z\r\n");
  });

  it("is a JSON 404 when the config has no security_txt block", async () => {
    const response = await app(undefined).request("https://gw.test/.well-known/security.txt");
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toContain("application/json");
    expect(await response.json()).toMatchObject({ error: "not_found" });
  });
});
