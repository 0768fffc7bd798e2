import { DEFAULT_THRESHOLD, scoreInjection } from "./index";

/**
 * A labelled set's rate at the default threshold, printed per category (the share of attacks
 * flagged, or of ordinary texts flagged), with the misses or false positives when `show` (the
 * tuning halves only: a held-out half stays unread).
 */
export function measure(label: string, groups: Record<string, string[]>, attacks: boolean, show: boolean): number {
  let hits = 0;
  let total = 0;
  for (const [category, texts] of Object.entries(groups)) {
    const found = texts.filter((text) => scoreInjection(text).score >= DEFAULT_THRESHOLD);
    hits += found.length;
    total += texts.length;
    console.log(`${label} ${category}: ${found.length}/${texts.length}`);
    if (!show) continue;
    const wrong = attacks ? texts.filter((text) => !found.includes(text)) : found;
    for (const text of wrong)
      console.log(`  ${attacks ? "missed" : "false positive"} (${scoreInjection(text).score}): ${JSON.stringify(text).slice(0, 160)}`);
  }
  console.log(`${label} overall: ${hits}/${total} = ${(hits / total).toFixed(3)}`);
  return hits / total;
}
