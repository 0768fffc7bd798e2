import { it } from "vitest";
import { simulate } from "./simulate.test-helper";
const e = (n: number) => Array.from({ length: n }, () => 1 / n);
const cases: { spec: any; load: number; split: number[]; latency?: number }[] = [
  { spec: { rate: 100, burst: 200 }, load: 1000, split: [1], latency: 100 },
  { spec: { rate: 100, burst: 200 }, load: 1000, split: e(8), latency: 100 },
  { spec: { rate: 100, burst: 200 }, load: 1000, split: [0.8, ...e(7).map(x=>x*0.2)], latency: 150 },
  { spec: { rate: 100, burst: 200 }, load: 80, split: e(2), latency: 100 },
  { spec: { rate: 100, burst: 200 }, load: 200, split: [1] },
  { spec: { rate: 100, burst: 200 }, load: 200, split: e(8) },
  { spec: { rate: 50, burst: 100 }, load: 500, split: e(2) },
  { spec: { rate: 50, burst: 100 }, load: 500, split: e(4) },
  { spec: { rate: 1000, burst: 1000 }, load: 10000, split: e(8) },
  { spec: { rate: 5, burst: 20, windows: { minute: 120 } }, load: 50, split: e(2) },
  { spec: { rate: 100, burst: 200 }, load: 1000, split: [1] },
  { spec: { rate: 100, burst: 200 }, load: 1000, split: [0.125,0.125,0.125,0.125,0.125,0.125,0.125,0.125] },
  { spec: { rate: 100, burst: 200 }, load: 1000, split: [0.8, 0.2/7,0.2/7,0.2/7,0.2/7,0.2/7,0.2/7,0.2/7] },
  { spec: { rate: 10, burst: 10 }, load: 100, split: [1] },
  { spec: { rate: 10, burst: 10 }, load: 100, split: [0.125,0.125,0.125,0.125,0.125,0.125,0.125,0.125] },
  { spec: { rate: 100, burst: 200 }, load: 80, split: [1] },
  { spec: { rate: 100, burst: 200 }, load: 80, split: [0.125,0.125,0.125,0.125,0.125,0.125,0.125,0.125] },
  { spec: { rate: 100, burst: 100 }, load: 90, split: [0.5,0.5] },
];
it.each(cases.map((c, i) => [i, c] as const))("case %i", async (i, c) => {
  const seconds = 20;
  const r = await simulate({ name: `sim${i}`, spec: c.spec, load: c.load, seconds, split: c.split, latencyMs: c.latency });
  const limit = c.spec.burst + c.spec.rate * seconds;
  console.log(JSON.stringify({ i, lat: c.latency, spec: c.spec, load: c.load, n: c.split.length, requests: r.requests, admitted: r.admitted, limit, ratio: (r.admitted / Math.min(limit, r.requests)).toFixed(3), callsPerReq: (r.calls / r.requests).toFixed(4), maxInWindow: r.maxInWindow, bound: c.spec.burst + c.spec.rate, perIsolate: r.admittedPerIsolate }));
}, 60000);
