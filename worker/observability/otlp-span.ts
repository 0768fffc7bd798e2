/**
 * One server span as an OTLP/HTTP JSON export request (ExportTraceServiceRequest,
 * https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): trace and span ids as hex
 * (OTLP's exception to the protobuf JSON mapping), 64-bit integers as decimal strings, enums as
 * numbers.
 */
import type { SpanContext } from "./trace-context";

/** SPAN_KIND_SERVER: the gateway answers the client's request. */
const SPAN_KIND_SERVER = 2;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

export type SpanAttributes = Record<string, string | number | undefined>;

export interface FinishedSpan {
  readonly context: SpanContext;
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly status: number;
  readonly attributes: SpanAttributes;
}

type AnyValue = { stringValue: string } | { intValue: string };

function attributeList(attributes: SpanAttributes): { key: string; value: AnyValue }[] {
  const list: { key: string; value: AnyValue }[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    list.push({ key, value: typeof value === "number" ? { intValue: String(value) } : { stringValue: value } });
  }
  return list;
}

const nanos = (ms: number): string => (ms === 0 ? "0" : `${Math.trunc(ms)}000000`);

/** The export request carrying `span`, from the service `serviceName`. */
export function otlpTraceRequest(serviceName: string, span: FinishedSpan): unknown {
  const { traceId, spanId, parentSpanId } = span.context;
  return {
    resourceSpans: [
      {
        resource: { attributes: attributeList({ "service.name": serviceName }) },
        scopeSpans: [
          {
            scope: { name: "loom-edge" },
            spans: [
              {
                traceId,
                spanId,
                ...(parentSpanId ? { parentSpanId } : {}),
                name: span.name,
                kind: SPAN_KIND_SERVER,
                startTimeUnixNano: nanos(span.startMs),
                endTimeUnixNano: nanos(span.endMs),
                attributes: attributeList(span.attributes),
                // HTTP server spans: only a 5xx is an error of the server (OTel HTTP semantic conventions).
                status: { code: span.status >= 500 ? STATUS_ERROR : STATUS_UNSET },
              },
            ],
          },
        ],
      },
    ],
  };
}
