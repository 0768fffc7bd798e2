/** The `request-validator` route plugin: a JSON Schema the request body must satisfy. */
import { z } from "zod";
import { DEFAULT_MAX_BODY_SIZE } from "../../http/schema-kit/defaults";
import { httpMethod, size } from "../../http/schema-kit/fields";

export const requestValidatorPlugin = z.strictObject({
  name: z.literal("request-validator"),
  config: z.strictObject({
    schema: z
      .union([
        z.string().regex(/^\/[^\s]*$/, "must be a document path such as /etc/loom/schemas/api.json"),
        z.record(z.string(), z.unknown()),
      ])
      .describe("A JSON Schema: a document path uploaded with PUT /admin/documents/<path>, or the schema inline."),
    methods: z.array(httpMethod).default(["POST", "PUT", "PATCH"]).describe("Methods whose body is validated."),
    max_body_size: size
      .refine((bytes) => bytes >= 1 && bytes <= 32 * 1024 * 1024, "must be between 1B and 32MB")
      .default(DEFAULT_MAX_BODY_SIZE)
      .describe(
        "Largest body validated: it is held in memory and parsed whole, so a larger one is refused with 413, whatever middleware.body_limit allows. Default 1MB, 1B-32MB.",
      ),
  }),
});

export type RequestValidatorConfig = z.output<typeof requestValidatorPlugin>["config"];
