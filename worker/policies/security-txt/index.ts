/**
 * `/.well-known/security.txt` (RFC 9116) from the config's `security_txt` block, rendered once
 * per config version.
 *
 * Format: one `Field: value` per line, a field repeated for each of its values (§2.4), except
 * `Expires` and `Preferred-Languages`, which appear once (§2.5.5, §2.5.8). Lines end in CRLF:
 * §2.2 allows CRLF or a bare LF, but the ABNF of §4 only CRLF (erratum 7743), so CRLF satisfies
 * every parser. An `Expires` in the past is still served: an outdated file beats none, and
 * telling the operator is the config warnings' job.
 */
import type { Handler } from "hono";
import type { SecurityTxtConfig } from "./schema";
import type { AppEnv } from "../../env";
import { httpError } from "../../http/errors";

export type SecurityTxtOptions = SecurityTxtConfig;

const EOL = "\r\n";

/** RFC 9116 §2.5.5: RFC 3339 date-time; UTC, without the zero milliseconds Date adds. */
function rfc3339(dateTime: string): string {
  return new Date(dateTime).toISOString().replace(".000Z", "Z");
}

export function renderSecurityTxt(options: SecurityTxtOptions): string {
  const lines: string[] = [];
  const field = (name: string, values: string | string[] | undefined) => {
    for (const value of values === undefined ? [] : [values].flat()) lines.push(`${name}: ${value}`);
  };
  field("Contact", options.contact);
  field("Expires", rfc3339(options.expires));
  field("Encryption", options.encryption);
  field("Acknowledgments", options.acknowledgments);
  if (options.preferred_languages?.length) field("Preferred-Languages", options.preferred_languages.join(", "));
  field("Canonical", options.canonical);
  field("Policy", options.policy);
  field("Hiring", options.hiring);
  return lines.join(EOL) + EOL;
}

/** Handler for GET /.well-known/security.txt; 404 when the config has no `security_txt` block. */
export const securityTxt = (options: SecurityTxtOptions | undefined): Handler<AppEnv> => {
  const text = options && renderSecurityTxt(options);
  return async function securityTxt() {
    if (text === undefined) throw httpError("not_found", "this gateway publishes no security.txt");
    // RFC 9116 §3: text/plain with charset utf-8.
    return new Response(text, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
  };
};
