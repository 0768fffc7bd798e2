/**
 * PII masking of what the model wrote (`ai_gateway.security.pii_responses`), on the answer the
 * provider gave: a JSON completion is read whole (it is one JSON document) and masked; an event
 * stream goes through the masking stream chunk by chunk (checks/response-stream.ts holds back
 * only the end of each text). Other answers (errors, other types) pass as they came.
 *
 * The masked body's length is not the provider's: Content-Length goes, and so does
 * Content-Encoding (the runtime has decoded the provider's body for the gateway to read it).
 */
import { mediaType } from "../../http/body";
import type { AiCheckEvent, ResponseMasker } from "./checks";
import type { ProviderApi } from "./shapes";

function withBody(response: Response, body: BodyInit): Response {
  const masked = new Response(body, response);
  masked.headers.delete("content-length");
  masked.headers.delete("content-encoding");
  return masked;
}

export async function maskedResponse(
  response: Response,
  masker: ResponseMasker,
  api: ProviderApi,
  onEvents: (events: AiCheckEvent[]) => void,
): Promise<Response> {
  if (response.status !== 200 || !response.body) return response;
  const type = mediaType(response.headers);
  if (type === "text/event-stream") return withBody(response, response.body.pipeThrough(masker.maskStream(api, onEvents)));
  if (type !== "application/json") return response;
  const { body, events } = masker.maskJson(api, await response.text());
  onEvents(events);
  return withBody(response, body);
}
