/** A seeded generator (an LCG): `random(n)` is a whole number below n, the same sequence on every run, so a failure reproduces. */
export function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
}
