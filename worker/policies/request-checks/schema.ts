/** `middleware.request_validation`: the checks of a request's method, target and headers. */
import { z } from "zod";
import { httpMethod, size } from "../../http/schema-kit/fields";

export const requestValidationSchema = z
  .strictObject({
    max_header_size: size.optional().describe("Total size of request header names and values (431 above it)."),
    max_uri_length: z.number().int().positive().optional().describe("Longest request target, path and query (414 above it)."),
    allowed_methods: z.array(httpMethod).min(1).optional().describe("Methods accepted at all (405 otherwise)."),
    allow_semicolons: z
      .boolean()
      .default(false)
      .describe(
        "Accept `;` path parameters (`/a;jsessionid=1/b`). Off: such paths are 400 `bad_path`, since servlet containers drop the parameters and could serve another route's resource. On: routes are matched without them and the upstream receives them as sent.",
      ),
    underscores_in_headers: z
      .boolean()
      .default(false)
      .describe(
        "Forward request header names that contain `_`. Default false: they are dropped before the upstream (nginx's default), because CGI, WSGI and Rack read `X_Consumer_Id` as `X-Consumer-Id`. When true, a name that spells a header the gateway sets, strips or checks once `_` is read as `-` (identity, credential, forwarding and override headers) is still dropped.",
      ),
  })
  .describe("Checks of every request's method, target and headers, before routing.");

export type RequestValidationOptions = z.output<typeof requestValidationSchema>;
