"""Text similarity on UTF-8 bytes (ALGORITHMS.md §3): the tokeniser, token
overlap and token F1.

Everything works on bytes, with no Unicode tables: ``str`` arguments are
encoded to UTF-8 first. Separators are ASCII whitespace (including vertical
tab) and the 32 ASCII punctuation bytes; tokens compare after folding
``A``-``Z`` to ``a``-``z`` only. Python's own ``str.split()``/``lower()``
would use Unicode tables and give different tokens: do not use them.
"""

_SEPARATORS = bytes(range(0x09, 0x0E)) + b" " + bytes(
    b for b in range(0x21, 0x7F) if not (0x30 <= b <= 0x39 or 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)
)

# One pass of bytes.translate folds A-Z and turns every separator into a
# space; splitting on the space then gives the folded tokens.
_TABLE = bytes(
    0x20 if b in _SEPARATORS else (b + 0x20 if 0x41 <= b <= 0x5A else b) for b in range(256)
)


def _as_bytes(text):
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


def tokens(text):
    """The folded tokens of ``text`` (``str`` or bytes), as a list of bytes."""
    return [t for t in _as_bytes(text).translate(_TABLE).split(b" ") if t]


def f_measure(common, candidate_len, reference_len):
    """§3.2: 1 if both are empty, 0 without overlap, else
    ``((2 * p) * r) / (p + r)``."""
    if candidate_len == 0 and reference_len == 0:
        return 1.0
    if common == 0:
        return 0.0
    c = float(common)
    p = c / float(candidate_len)
    r = c / float(reference_len)
    return ((2.0 * p) * r) / (p + r)


class Overlap:
    """Multiset token overlap of a candidate with a reference (§3.3)."""

    __slots__ = ("common", "candidate_len", "reference_len")

    def __init__(self, common, candidate_len, reference_len):
        self.common = common
        self.candidate_len = candidate_len
        self.reference_len = reference_len

    def f1(self):
        """The token F1 of this overlap."""
        return f_measure(self.common, self.candidate_len, self.reference_len)

    def __eq__(self, other):
        return isinstance(other, Overlap) and (
            (self.common, self.candidate_len, self.reference_len)
            == (other.common, other.candidate_len, other.reference_len)
        )

    def __repr__(self):
        return "Overlap(common=%d, candidate_len=%d, reference_len=%d)" % (
            self.common,
            self.candidate_len,
            self.reference_len,
        )


def token_overlap(candidate, reference):
    """The multiset intersection size and both token counts."""
    counts = {}
    reference_len = 0
    for t in tokens(reference):
        reference_len += 1
        counts[t] = counts.get(t, 0) + 1
    candidate_len = 0
    common = 0
    for t in tokens(candidate):
        candidate_len += 1
        left = counts.get(t, 0)
        if left:
            counts[t] = left - 1
            common += 1
    return Overlap(common, candidate_len, reference_len)


def token_f1(candidate, reference):
    """Token F1 of ``candidate`` against ``reference``."""
    return token_overlap(candidate, reference).f1()
