// Numeric helpers (ALGORITHMS.md §2): the ones text-match needs.
//
// JS Numbers are IEEE binary64 with round-to-nearest-even, and JS never
// fuses a multiply-add, so each operation written as in the spec rounds as
// in Rust. Two rules keep it that way in mechanism code too: add floats in
// an explicit left-to-right loop (`sumInOrder`), and never call Math.exp,
// Math.log or Math.pow on values that must match another language (their
// last bits differ between engines).

/** `(alpha * x) + ((1.0 - alpha) * prev)`, in that order (§2.1). */
export function ema(prev, x, alpha) {
  return (alpha * x) + ((1.0 - alpha) * prev);
}

/** `((0.0 + v[0]) + v[1]) + ...`: Rust's left-to-right sum. */
export function sumInOrder(values) {
  let total = 0.0;
  for (const v of values) total = total + v;
  return total;
}

/**
 * Non-negative finite weights scaled to sum to 1; all zeros if the sum is 0
 * or overflows (§2.2). An array of the input's length.
 */
export function normalizeL1(values) {
  const weights = Array.from(values, (v) => (Number.isFinite(v) && v > 0.0 ? v : 0.0));
  const total = sumInOrder(weights);
  if (!(Number.isFinite(total) && total > 0.0)) return weights.map(() => 0.0);
  return weights.map((w) => w / total);
}
