"""The seeded random stream: xoshiro256** (ALGORITHMS.md §1).

Python integers never overflow, so every ``+``, ``*`` and ``<<`` on a
``u64`` is masked with ``_MASK`` here; that is the only difference from the
Rust SDK's ``rng.rs``, and it gives the same numbers.
"""

_MASK = 0xFFFF_FFFF_FFFF_FFFF


def _rotl(x, k):
    return ((x << k) & _MASK) | (x >> (64 - k))


def _splitmix64_words(count):
    z = 0
    out = []
    for _ in range(count):
        z = (z + 0x9E3779B97F4A7C15) & _MASK
        t = z
        t = ((t ^ (t >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        t = ((t ^ (t >> 27)) * 0x94D049BB133111EB) & _MASK
        out.append(t ^ (t >> 31))
    return out


class Rng:
    """xoshiro256**, seeded from a 32-byte seed (normally ``ctx.rng()``)."""

    __slots__ = ("_s",)

    def __init__(self, seed):
        seed = bytes(seed)
        if len(seed) != 32:
            raise ValueError("an Rng seed is 32 bytes")
        s = [int.from_bytes(seed[8 * i : 8 * i + 8], "little") for i in range(4)]
        if s == [0, 0, 0, 0]:
            s = _splitmix64_words(4)
        self._s = s

    def next_u64(self):
        """The next 64 random bits, as an int in ``[0, 2**64)`` (§1.2)."""
        s = self._s
        result = (_rotl((s[1] * 5) & _MASK, 7) * 9) & _MASK
        t = (s[1] << 17) & _MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def next_f64(self):
        """A float in ``[0, 1)``: the top 53 bits times 2**-53 (§1.3)."""
        return float(self.next_u64() >> 11) * (1.0 / 9007199254740992.0)

    def below(self, n):
        """A uniform int in ``[0, n)``, unbiased by rejection; 0 without
        drawing when ``n`` is 0 (§1.4)."""
        if not 0 <= n <= _MASK:
            raise ValueError("below(n) takes a u64")
        if n == 0:
            return 0
        threshold = ((1 << 64) - n) % n
        while True:
            x = self.next_u64()
            if x >= threshold:
                return x % n

    def range(self, lo, hi):
        """A uniform int in ``[lo, hi)``; ``lo`` without drawing if empty (§1.5)."""
        if hi <= lo:
            return lo
        return lo + self.below(hi - lo)

    def shuffle(self, items):
        """Shuffles the list ``items`` in place, Fisher-Yates from the end (§1.6)."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]

    def sample(self, n, k):
        """``min(k, n)`` distinct indices below ``n``, in draw order (§1.7)."""
        k = min(k, n)
        moved = {}
        picked = []
        for i in range(k):
            j = i + self.below(n - i)
            at_i = moved.pop(i, i)
            if j == i:
                at_j = at_i
            else:
                at_j = moved.get(j, j)
                moved[j] = at_i
            picked.append(at_j)
        return picked

    def choose(self, items):
        """``items[below(len)]``, or ``None`` without drawing when empty (§1.8)."""
        if not items:
            return None
        return items[self.below(len(items))]
