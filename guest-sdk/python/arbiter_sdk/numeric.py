"""Numeric helpers (ALGORITHMS.md §2): the ones ``text-match`` needs.

Python floats are IEEE binary64 with round-to-nearest-even and Python never
fuses a multiply-add, so each operation written as in the spec rounds as in
Rust. The one trap is summation: from CPython 3.12, the built-in ``sum()``
of floats is *compensated* (Neumaier), so it can differ from Rust's
left-to-right ``+`` in the last bits. The helpers here add in an explicit
loop, and mechanism code that must match other languages should too.
"""

import math


def ema(prev, x, alpha):
    """``(alpha * x) + ((1.0 - alpha) * prev)``, in that order (§2.1)."""
    return (alpha * x) + ((1.0 - alpha) * prev)


def sum_in_order(values):
    """``((0.0 + v[0]) + v[1]) + ...``: Rust's left-to-right sum. Never use
    the built-in ``sum()`` for floats that must match another language."""
    total = 0.0
    for v in values:
        total = total + v
    return total


def normalize_l1(values):
    """Non-negative finite weights scaled to sum to 1; all zeros if the sum
    is 0 or overflows (§2.2). Same length as the input."""
    weights = [v if (math.isfinite(v) and v > 0.0) else 0.0 for v in values]
    total = sum_in_order(weights)
    if not (math.isfinite(total) and total > 0.0):
        return [0.0] * len(weights)
    return [w / total for w in weights]
