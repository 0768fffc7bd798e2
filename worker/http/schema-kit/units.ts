/**
 * Size and duration strings as the Loom YAML writes them ("10MB", "8KB", "30s", "500ms").
 * Sizes are binary (1KB = 1024 bytes), as in the Loom gateway.
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** Bytes in a size string or number; `undefined` when it is not a size. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = SIZE_PATTERN.exec(value);
  if (!match) return undefined;
  const unit = SIZE_UNITS[(match[2] || "b").toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Go's time.ParseDuration units, as Loom's config writes durations ("1h30m", "100us", "100ns",
 * "1.5h"): ns, us (also µs with U+00B5 or U+03BC), ms, s, m, h; a fraction may omit either side
 * of the point (".5h", "1.h"). A sign is refused: no duration in the config can be negative.
 */
const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const AMOUNT = String.raw`(?:\d+\.?\d*|\.\d+)`;
const UNIT = "(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h)";
const DURATION_PART = new RegExp(`(${AMOUNT})(${UNIT})`, "g");
const DURATION_PATTERN = new RegExp(`^(?:${AMOUNT}${UNIT})+$`);

/**
 * Milliseconds in a Go duration string ("30s", "1m30s", "500ms", "100us"); `undefined` otherwise.
 * "0" alone is zero, as in Go. The edge's timers count whole milliseconds: a non-zero duration
 * under one millisecond counts as 1 ms rather than 0, which several keys read as "off".
 */
export function parseDuration(value: string): number | undefined {
  const text = value.trim();
  if (text === "0") return 0;
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * DURATION_UNITS[unit as string]!;
  }
  if (!Number.isFinite(total)) return undefined;
  return total > 0 && total < 1 ? 1 : Math.round(total);
}
