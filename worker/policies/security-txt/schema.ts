/** `security_txt`: the RFC 9116 file served at /.well-known/security.txt. */
import { z } from "zod";

const uri = z.string().regex(/^(https:\/\/|mailto:|tel:|dns:|openpgp4fpr:)\S+$/, "must be an https:, mailto: or tel: URI (RFC 9116 §2.5)");

/** RFC 9116 security.txt, served at /.well-known/security.txt. */
export const securityTxtSchema = z.strictObject({
  contact: z.union([uri, z.array(uri).min(1)]).describe("RFC 9116 §2.5.3, required."),
  expires: z.iso.datetime({ offset: true }).describe("RFC 9116 §2.5.5, required; an ISO 8601 date-time."),
  encryption: z.union([uri, z.array(uri)]).optional(),
  acknowledgments: z.union([uri, z.array(uri)]).optional(),
  preferred_languages: z.array(z.string().regex(/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/)).optional(),
  canonical: z.union([uri, z.array(uri)]).optional(),
  policy: z.union([uri, z.array(uri)]).optional(),
  hiring: z.union([uri, z.array(uri)]).optional(),
});

export type SecurityTxtConfig = z.output<typeof securityTxtSchema>;
