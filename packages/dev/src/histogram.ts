/**
 * Durations kept as counts of values rounded up to two significant digits
 * (812 ms is kept as 820, 3.67 ms as 3.7, 1234 ms as 1300): a percentile read
 * from them is the exact one, rounded up to the two digits it is shown with,
 * at most 10% above it. A histogram is a plain object from the rounded value
 * (its decimal text) to a count, so that one minute's can be stored as JSON
 * and many added together; two digits keep it to 90 buckets a decade
 * (bench/dev-store.ts measured three digits at 900 too slow to add up).
 */

export type Histogram = Record<string, number>;

/** `ms` rounded up to two significant digits, as the key of its bucket ('0' for 0 or less). */
export function bucketOf(ms: number): string {
  if (!(ms > 0)) return '0';
  const exponent = Math.floor(Math.log10(ms)) - 1;
  const scale = 10 ** exponent;
  // The small allowance keeps a value such as 0.3 (0.29999… in binary) in its own bucket.
  const mantissa = Math.ceil(ms / scale - 1e-9);
  return String(Number((mantissa * scale).toPrecision(2)));
}

/** Adds `ms` to `h`. */
export function addTo(h: Histogram, ms: number, count = 1): void {
  const key = bucketOf(ms);
  h[key] = (h[key] ?? 0) + count;
}

/** Adds every count of `from` to `into`. */
export function merge(into: Histogram, from: Histogram): void {
  for (const key of Object.keys(from)) into[key] = (into[key] ?? 0) + (from[key] as number);
}

/**
 * The percentiles of the values in `h` by nearest rank (the smallest value
 * with at least p% of the values at or below it), each undefined when `h` is
 * empty.
 */
export function percentiles(h: Histogram, ps: readonly number[]): (number | undefined)[] {
  const buckets = Object.keys(h)
    .map((key) => [Number(key), h[key] as number] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [, n] of buckets) total += n;
  return ps.map((p) => {
    if (total === 0) return undefined;
    const rank = Math.max(1, Math.ceil((p / 100) * total));
    let seen = 0;
    for (const [value, n] of buckets) {
      seen += n;
      if (seen >= rank) return value;
    }
    return buckets.at(-1)?.[0];
  });
}
