/** `security_txt`: the RFC 9116 file served at /.well-known/security.txt. */
import { z } from "zod";

const uri = z.string().regex(/^(https:\/\/|mailto:|tel:|dns:|openpgp4fpr:)\S+$/, "must be an https:, mailto: or tel: URI (RFC 9116 §2.5)");

/** A field RFC 9116 lets appear more than once: one URI or a list. */
const uris = z.union([uri, z.array(uri)]);

/** RFC 9116 security.txt, served at /.well-known/security.txt. */
export const securityTxtSchema = z
  .strictObject({
    contact: z.union([uri, z.array(uri).min(1)]).describe("RFC 9116 §2.5.3, required."),
    expires: z.iso.datetime({ offset: true }).describe("RFC 9116 §2.5.5, required; an ISO 8601 date-time."),
    encryption: uris.optional().describe("RFC 9116 §2.5.4: where your encryption key is."),
    acknowledgments: uris.optional().describe("RFC 9116 §2.5.1: a page thanking reporters."),
    preferred_languages: z
      .array(z.string().regex(/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/))
      .optional()
      .describe("RFC 9116 §2.5.8: language tags (RFC 5646) of reports you read."),
    canonical: uris.optional().describe("RFC 9116 §2.5.2: the URIs where this file is served."),
    policy: uris.optional().describe("RFC 9116 §2.5.7: your disclosure policy."),
    hiring: uris.optional().describe("RFC 9116 §2.5.6: security jobs."),
  })
  .describe("RFC 9116 security.txt, served at /.well-known/security.txt. An edge addition, not in Loom.");

export type SecurityTxtConfig = z.output<typeof securityTxtSchema>;
