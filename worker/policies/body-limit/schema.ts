/** `middleware.body_limit`: the largest request body accepted. */
import { z } from "zod";
import { size } from "../../http/schema-kit/fields";

export const bodyLimitSchema = z
  .strictObject({ max_size: size })
  .describe("The largest request body: 413 for a larger Content-Length before anything is read, a chunked body cut at the limit.");

export type BodyLimitConfig = z.output<typeof bodyLimitSchema>;
