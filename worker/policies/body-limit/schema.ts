/** `middleware.body_limit`: the largest request body accepted. */
import { z } from "zod";
import { size } from "../../http/schema-kit/fields";

export const bodyLimitSchema = z.strictObject({ max_size: size });

export type BodyLimitConfig = z.output<typeof bodyLimitSchema>;
