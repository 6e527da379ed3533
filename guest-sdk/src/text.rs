//! Tokenisation and text similarity on UTF-8 bytes.
//!
//! Unicode-aware tokenisers and case folding depend on Unicode table versions
//! that differ between languages and releases, so scores would drift between
//! validators. This module uses bytes only: a token is a maximal run of bytes
//! that are neither ASCII whitespace nor ASCII punctuation, and two tokens are
//! equal when their bytes are equal after lowercasing `A`–`Z`. Every other
//! byte, including all of non-ASCII text, compares as it is. The exact byte
//! classes are in `ALGORITHMS.md` §3.
//!
//! [`token_f1`] and [`rouge_l`] are built for scoring hundreds of replies per
//! call inside WebAssembly with fuel metering: they never allocate per token.
//! Tokens are byte ranges of the input, and distinct tokens are counted (or
//! numbered) in one open-addressing table keyed by a hash of the lowercased
//! bytes. The table is only ever probed, never iterated, so neither its hash
//! nor its layout can change a result.
//!
//! ```
//! # use arbiter_sdk::text::{rouge_l, token_f1, tokenize};
//! let tokens = tokenize("Hello, WORLD!");
//! assert_eq!(tokens.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["Hello", "WORLD"]);
//! assert_eq!(token_f1("the cat sat", "The cat sat down"), 6.0 / 7.0);
//! assert_eq!(rouge_l("a b c", "c b a"), 1.0 / 3.0);
//! ```

use std::cmp::Ordering;

/// One token: a slice of the text it came from, in its original spelling.
/// Equality and ordering ignore ASCII case (they compare the lowercased
/// bytes), so `Token`s can be sorted or used as `BTreeMap` keys directly.
///
/// ```
/// # use arbiter_sdk::text::tokenize;
/// let tokens = tokenize("Rust rust RUSTY");
/// assert_eq!(tokens[0], tokens[1]);
/// assert!(tokens[1] < tokens[2]);
/// assert_eq!(tokens[2].as_str(), "RUSTY");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Token<'a> {
    text: &'a str,
}

impl<'a> Token<'a> {
    /// The token as it appears in the text (not lowercased).
    ///
    /// ```
    /// # use arbiter_sdk::text::tokenize;
    /// assert_eq!(tokenize("  Ünïcode-OK ")[0].as_str(), "Ünïcode");
    /// ```
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The bytes that equality and ordering compare.
    fn folded(&self) -> impl Iterator<Item = u8> + 'a {
        self.text.bytes().map(|b| b.to_ascii_lowercase())
    }
}

impl PartialEq for Token<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text || self.text.eq_ignore_ascii_case(other.text)
    }
}

impl Eq for Token<'_> {}

impl PartialOrd for Token<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Token<'_> {
    /// Lexicographic order of the lowercased bytes.
    fn cmp(&self, other: &Self) -> Ordering {
        self.folded().cmp(other.folded())
    }
}

/// Splits `text` into tokens, in order. Separators are the ASCII whitespace
/// bytes 0x09–0x0D and 0x20 (C's `isspace`, which unlike Rust's
/// `u8::is_ascii_whitespace` includes vertical tab 0x0B) and the ASCII
/// punctuation bytes 0x21–0x2F, 0x3A–0x40, 0x5B–0x60 and 0x7B–0x7E. Every
/// other byte, including control characters, DEL and all bytes ≥ 0x80, is
/// part of a token; since separators are ASCII, a token never splits a UTF-8
/// character. Allocates only the returned vector.
///
/// ```
/// # use arbiter_sdk::text::tokenize;
/// let words: Vec<&str> = tokenize("it's 3.14—pi").iter().map(|t| t.as_str()).collect();
/// assert_eq!(words, ["it", "s", "3", "14—pi"]);
/// assert!(tokenize(" ,;\t").is_empty());
/// ```
pub fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut all = Vec::with_capacity(count_tokens(text));
    all.extend(tokens(text).map(|(token, _)| token));
    all
}

/// Token-level F1 between a candidate and a reference, as in SQuAD. With
/// `len_c` and `len_r` the token counts and `common` the size of the multiset
/// intersection of the tokens (the sum over distinct tokens of the smaller
/// count), the score is, in this order: 1.0 if both have no tokens; 0.0 if
/// `common` is 0 (which includes exactly one side having none); otherwise
/// `p = common / len_c`, `r = common / len_r` and `((2.0 * p) * r) / (p + r)`,
/// with the counts converted to `f64` first.
///
/// ```
/// # use arbiter_sdk::text::token_f1;
/// // common = 3 ("the", "cat", "sat"); p = 3/3, r = 3/4.
/// assert_eq!(token_f1("the cat sat", "The cat sat down"), 6.0 / 7.0);
/// assert_eq!(token_f1("a a a", "a"), 0.5);
/// assert_eq!(token_f1("", ""), 1.0);
/// ```
pub fn token_f1(candidate: &str, reference: &str) -> f64 {
    token_overlap(candidate, reference).f1()
}

/// What [`token_f1`] is computed from: the token counts of both texts and
/// the size of the multiset intersection of their tokens. Mechanisms that
/// also need the lengths (say, for a length penalty) get them from the same
/// single pass over the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    /// Tokens the texts share, counted with multiplicity.
    pub common: usize,
    /// Tokens in the candidate.
    pub candidate_len: usize,
    /// Tokens in the reference.
    pub reference_len: usize,
}

impl Overlap {
    /// The token F1 of this overlap, exactly as [`token_f1`] defines it.
    pub fn f1(&self) -> f64 {
        f_measure(self.common, self.candidate_len, self.reference_len)
    }
}

/// The token overlap of `candidate` with `reference`, reading each text
/// once.
///
/// ```
/// # use arbiter_sdk::text::{token_overlap, Overlap};
/// let overlap = token_overlap("the cat sat", "The cat sat down");
/// assert_eq!(overlap, Overlap { common: 3, candidate_len: 3, reference_len: 4 });
/// assert_eq!(overlap.f1(), 6.0 / 7.0);
/// ```
pub fn token_overlap(candidate: &str, reference: &str) -> Overlap {
    let mut vocab = Vocab::with_room_for(count_tokens(reference));
    let mut filter = Prefilter::default();
    let mut reference_len = 0;
    for (token, hash) in tokens(reference) {
        reference_len += 1;
        filter.insert(token.text.as_bytes());
        vocab.entry(token, hash).count += 1;
    }
    // Most candidate tokens cannot be in a short reference: only those that
    // pass the prefilter are hashed and looked up.
    let mut candidate_len = 0;
    let mut common = 0;
    for (start, end) in spans(candidate.as_bytes()) {
        candidate_len += 1;
        let Some(text) = candidate.get(start..end) else {
            continue;
        };
        if !filter.may_contain(text.as_bytes()) {
            continue;
        }
        let token = Token { text };
        if let Some(entry) = vocab.find(token, hash_folded(text.as_bytes()))
            && entry.count > 0
        {
            entry.count -= 1;
            common += 1;
        }
    }
    Overlap {
        common,
        candidate_len,
        reference_len,
    }
}

/// ROUGE-L F-measure (β = 1) between a candidate and a reference: `common` is
/// the length of the longest common subsequence of their token sequences,
/// turned into a score exactly as [`token_f1`] turns its overlap. Time is
/// O(len_c · len_r) and memory O(min(len_c, len_r)): the text with fewer
/// tokens is indexed, the other is streamed through one DP row.
///
/// ```
/// # use arbiter_sdk::text::rouge_l;
/// // LCS of [a b c d] and [a c d e] is [a c d]: p = r = 3/4.
/// assert_eq!(rouge_l("a b c d", "a c d e"), 0.75);
/// assert_eq!(rouge_l("x", ""), 0.0);
/// ```
pub fn rouge_l(candidate: &str, reference: &str) -> f64 {
    let (candidate_len, reference_len) = (count_tokens(candidate), count_tokens(reference));
    // The LCS is symmetric, so the shorter text can take either role.
    let (short, long) = if candidate_len <= reference_len {
        (candidate, reference)
    } else {
        (reference, candidate)
    };
    let mut vocab = Vocab::with_room_for(candidate_len.min(reference_len));
    let mut short_ids = Vec::with_capacity(candidate_len.min(reference_len));
    short_ids.extend(tokens(short).map(|(token, hash)| vocab.entry(token, hash).id));
    // A token absent from the short text matches nothing.
    let long_ids = tokens(long)
        .map(|(token, hash)| vocab.find(token, hash).map_or(usize::MAX, |entry| entry.id));
    f_measure(lcs_len(&short_ids, long_ids), candidate_len, reference_len)
}

/// The F-measure both similarities share, in this exact order: 1.0 if both
/// lengths are 0; 0.0 if `common` is 0 (which includes exactly one side being
/// empty); otherwise `p = common / candidate_len`,
/// `r = common / reference_len`, and `((2.0 * p) * r) / (p + r)`, with the
/// counts converted to `f64` first.
fn f_measure(common: usize, candidate_len: usize, reference_len: usize) -> f64 {
    if candidate_len == 0 && reference_len == 0 {
        return 1.0;
    }
    if common == 0 {
        return 0.0;
    }
    let common = common as f64;
    let p = common / candidate_len as f64;
    let r = common / reference_len as f64;
    2.0 * p * r / (p + r)
}

/// Length of the longest common subsequence of `short` and `long`, with one
/// DP row over `short`.
fn lcs_len(short: &[usize], long: impl Iterator<Item = usize>) -> usize {
    // row[j] = LCS of the long prefix so far and short[..=j].
    let mut row = vec![0usize; short.len()];
    for x in long {
        // `diag` is the previous row's value left of the cell, `left` this row's.
        let (mut diag, mut left) = (0, 0);
        for (cell, &y) in row.iter_mut().zip(short) {
            let up = *cell;
            *cell = if x == y { diag + 1 } else { up.max(left) };
            diag = up;
            left = *cell;
        }
    }
    row.last().copied().unwrap_or(0)
}

/// What the tokenizer needs to know about each byte, in one lookup: the byte
/// folded (`A`–`Z` lowercased, every other byte unchanged), or [`SEPARATOR`]
/// for ASCII whitespace (C's `isspace`) and ASCII punctuation (C's `ispunct`).
const FOLDED: [u16; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < table.len() {
        table[byte] = match byte {
            0x09..=0x0d | 0x20..=0x2f | 0x3a..=0x40 | 0x5b..=0x60 | 0x7b..=0x7e => SEPARATOR,
            0x41..=0x5a => byte as u16 + 0x20,
            _ => byte as u16,
        };
        byte += 1;
    }
    table
};

/// The [`FOLDED`] value of a separator byte; no byte folds to it.
const SEPARATOR: u16 = 0x100;

/// How many tokens `text` has: the token starts, counted without branches
/// (several times faster than running the tokenizer).
fn count_tokens(text: &str) -> usize {
    let mut count = 0;
    let mut after_separator = true;
    for &byte in text.as_bytes() {
        let separator = FOLDED[usize::from(byte)] == SEPARATOR;
        count += usize::from(after_separator & !separator);
        after_separator = separator;
    }
    count
}

/// The tokens of `text` with their hashes (FNV-1a over the folded bytes, see
/// [`FNV_OFFSET_BASIS`]), lazily: no allocation.
fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, pos: 0 }
}

/// The iterator behind [`tokenize`]. It hashes each token while finding its
/// end, so the similarities read every byte once.
struct Tokens<'a> {
    text: &'a str,
    /// Where the next search for a token starts.
    pos: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (Token<'a>, u64);

    fn next(&mut self) -> Option<(Token<'a>, u64)> {
        let bytes = self.text.as_bytes();
        let mut start = self.pos;
        while bytes
            .get(start)
            .is_some_and(|&byte| FOLDED[usize::from(byte)] == SEPARATOR)
        {
            start += 1;
        }
        let mut end = start;
        let mut hash = FNV_OFFSET_BASIS;
        while let Some(&byte) = bytes.get(end) {
            let folded = FOLDED[usize::from(byte)];
            if folded == SEPARATOR {
                break;
            }
            hash = fold_hash_step(hash, folded);
            end += 1;
        }
        self.pos = end;
        if start == end {
            return None;
        }
        // Both ends sit next to an ASCII separator or at an end of the text,
        // so they are character boundaries.
        self.text.get(start..end).map(|text| (Token { text }, hash))
    }
}

/// The byte ranges of the tokens of `bytes`, without hashing them.
fn spans(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let is_separator = |i: usize| bytes.get(i).map(|&b| FOLDED[usize::from(b)] == SEPARATOR);
        while is_separator(pos) == Some(true) {
            pos += 1;
        }
        let start = pos;
        while is_separator(pos) == Some(false) {
            pos += 1;
        }
        (start < pos).then_some((start, pos))
    })
}

/// The hash [`tokens`] gives a token, for a token found without it.
fn hash_folded(token: &[u8]) -> u64 {
    token.iter().fold(FNV_OFFSET_BASIS, |hash, &byte| {
        fold_hash_step(hash, FOLDED[usize::from(byte)])
    })
}

/// A quick test that rules most tokens out of a small vocabulary: the
/// folded first bytes and the lengths (lengths of 63 and more share one
/// bit) of the tokens inserted. A token that fails it is not in the
/// vocabulary; one that passes still has to be looked up.
#[derive(Default)]
struct Prefilter {
    first_bytes: [u64; 4],
    lengths: u64,
}

impl Prefilter {
    fn bits(token: &[u8]) -> (usize, u64, u64) {
        let first = token
            .first()
            .map_or(0, |&b| FOLDED[usize::from(b)] as usize & 0xff);
        (first / 64, 1 << (first % 64), 1 << token.len().min(63))
    }

    fn insert(&mut self, token: &[u8]) {
        let (word, first_bit, length_bit) = Self::bits(token);
        self.first_bytes[word] |= first_bit;
        self.lengths |= length_bit;
    }

    fn may_contain(&self, token: &[u8]) -> bool {
        let (word, first_bit, length_bit) = Self::bits(token);
        self.first_bytes[word] & first_bit != 0 && self.lengths & length_bit != 0
    }
}

/// What the table keeps per distinct token.
struct Entry<'a> {
    token: Token<'a>,
    hash: u64,
    /// Numbered in order of first insertion.
    id: usize,
    /// Occurrences inserted (and not yet consumed by the caller).
    count: usize,
}

/// An open-addressing (linear probing) table of distinct tokens. It is sized
/// for at most half load, so probing always reaches an empty slot.
struct Vocab<'a> {
    slots: Vec<Option<Entry<'a>>>,
    len: usize,
}

impl<'a> Vocab<'a> {
    /// A table for up to `tokens` distinct tokens. (A text in memory has at
    /// most `isize::MAX / 2 + 1` tokens, so the power of two always exists.)
    fn with_room_for(tokens: usize) -> Self {
        let capacity = tokens
            .saturating_mul(2)
            .max(1)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX);
        let mut slots = Vec::new();
        slots.resize_with(capacity, || None);
        Self { slots, len: 0 }
    }

    /// The entry for `token`, inserted with count 0 if it is new.
    fn entry(&mut self, token: Token<'a>, hash: u64) -> &mut Entry<'a> {
        let slot = self.probe(token, hash);
        let id = self.len;
        let entry = self.slots[slot].get_or_insert(Entry {
            token,
            hash,
            id,
            count: 0,
        });
        if entry.id == id {
            self.len += 1;
        }
        entry
    }

    /// The entry for `token`, if it was inserted.
    fn find(&mut self, token: Token<'_>, hash: u64) -> Option<&mut Entry<'a>> {
        let slot = self.probe(token, hash);
        self.slots[slot].as_mut()
    }

    /// The slot holding `token`, or the empty slot where it belongs.
    fn probe(&self, token: Token<'_>, hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = (hash ^ (hash >> 32)) as usize & mask;
        while let Some(entry) = &self.slots[slot] {
            if entry.hash == hash && entry.token == token {
                break;
            }
            slot = (slot + 1) & mask;
        }
        slot
    }
}

/// The hash of a token is FNV-1a (64-bit) over its folded bytes: start from
/// this, then apply [`fold_hash_step`] per byte. Only the table's speed
/// depends on the hash, never a result.
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// One FNV-1a step.
fn fold_hash_step(hash: u64, folded: u16) -> u64 {
    (hash ^ u64::from(folded)).wrapping_mul(0x0100_0000_01b3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use std::collections::BTreeMap;

    fn words(text: &str) -> Vec<&str> {
        tokenize(text).iter().map(|t| t.as_str()).collect()
    }

    #[test]
    fn tokenizer_separators() {
        assert!(words("").is_empty());
        assert!(words(" \t\n\x0b\x0c\r!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").is_empty());
        assert_eq!(words("a\x0bb"), ["a", "b"], "vertical tab separates");
        assert_eq!(
            words("snake_case kebab-case"),
            ["snake", "case", "kebab", "case"]
        );
        assert_eq!(
            words("x\x00y\x7fz\x1f"),
            ["x\x00y\x7fz\x1f"],
            "controls and DEL are token bytes"
        );
        assert_eq!(words("v1.2.3"), ["v1", "2", "3"]);
        assert_eq!(words("  lead and trail  "), ["lead", "and", "trail"]);
    }

    #[test]
    fn token_count_matches_the_tokenizer() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "a,b",
            ",,a,,b,,",
            "é!é",
            "x\u{b}y z",
        ] {
            assert_eq!(count_tokens(text), tokenize(text).len(), "{text:?}");
        }
    }

    #[test]
    fn tokenizer_keeps_non_ascii_bytes() {
        assert_eq!(words("naïve café"), ["naïve", "café"]);
        assert_eq!(
            words("日本語、テキスト。"),
            ["日本語、テキスト。"],
            "CJK punctuation is not ASCII"
        );
        assert_eq!(
            words("a\u{a0}b"),
            ["a\u{a0}b"],
            "no-break space is not ASCII whitespace"
        );
        assert_eq!(words("🙂!🙃"), ["🙂", "🙃"]);
    }

    #[test]
    fn token_equality_folds_ascii_only() {
        let t = tokenize("HeLLo hello ÉCOLE école École");
        assert_eq!(t[0], t[1]);
        assert_ne!(t[2], t[3], "É and é are different bytes");
        assert_eq!(t[3].cmp(&t[3]), Ordering::Equal);
        assert_eq!(t[2], t[4], "only the ASCII letters differ in case");
        let mut sorted = tokenize("b B a A ab");
        sorted.sort();
        assert_eq!(
            sorted.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            ["a", "A", "ab", "b", "B"]
        );
        // Folded bytes compare: "Z" becomes 0x7a, below é's first byte 0xc3.
        assert!(tokenize("é")[0] > tokenize("Z")[0]);
    }

    #[test]
    fn f1_golden_and_order_of_operations() {
        assert_eq!(token_f1("the cat sat", "The cat sat down"), 6.0 / 7.0);
        // common = 2 of 3 and 5: p = 2/3, r = 2/5, f1 = (2·p·r)/(p + r) = 0.5.
        assert_eq!(token_f1("a b x", "a b c d e"), 0.5);
        let p: f64 = 2.0 / 3.0;
        let r: f64 = 2.0 / 7.0;
        assert_eq!(
            token_f1("a b x", "a b c d e f g").to_bits(),
            (2.0 * p * r / (p + r)).to_bits()
        );
        assert_eq!(
            token_f1("a b x", "a b c d e f g").to_bits(),
            0x3fd9_9999_9999_999a
        );
    }

    #[test]
    fn golden_sentence_pair() {
        // ALGORITHMS.md §3.5.
        let (c, r) = ("The cat sat on the mat.", "the Cat is on the MAT, sat!");
        assert_eq!(token_f1(c, r).to_bits(), 0x3fed_89d8_9d89_d89d, "12/13");
        assert_eq!(rouge_l(c, r).to_bits(), 0x3fe8_9d89_d89d_89d8, "10/13");
    }

    #[test]
    fn huge_inputs() {
        let one_token = "x".repeat(1 << 20);
        assert_eq!(tokenize(&one_token).len(), 1);
        assert_eq!(token_f1(&one_token, &one_token.to_uppercase()), 1.0);
        assert_eq!(rouge_l(&one_token, &one_token), 1.0);
        let separators = " .".repeat(1 << 19);
        assert!(tokenize(&separators).is_empty());
        assert_eq!(token_f1(&separators, ""), 1.0);
        assert_eq!(rouge_l(&separators, &one_token), 0.0);
    }

    #[test]
    fn f1_multiset_counts() {
        assert_eq!(token_f1("a a a", "a"), 0.5);
        assert_eq!(token_f1("a", "a a a"), 0.5);
        assert_eq!(token_f1("a a b b", "b a b a"), 1.0);
        assert_eq!(token_f1("A a", "a A"), 1.0);
        assert_eq!(token_f1("cat", "dog"), 0.0);
    }

    #[test]
    fn f1_edges() {
        assert_eq!(token_f1("", ""), 1.0);
        assert_eq!(token_f1("...", " !? "), 1.0, "no tokens on either side");
        assert_eq!(token_f1("word", ""), 0.0);
        assert_eq!(token_f1("", "word"), 0.0);
    }

    #[test]
    fn rouge_golden_and_edges() {
        assert_eq!(rouge_l("a b c d", "a c d e"), 0.75);
        assert_eq!(rouge_l("a b c", "c b a"), 1.0 / 3.0);
        assert_eq!(rouge_l("", ""), 1.0);
        assert_eq!(rouge_l("x", ""), 0.0);
        assert_eq!(rouge_l("", "x"), 0.0);
        assert_eq!(rouge_l("x y", "z"), 0.0);
        assert_eq!(rouge_l("The Cat", "the cat"), 1.0);
        // The LCS is "the gunman": p = r = 2/4.
        assert_eq!(
            rouge_l("police killed the gunman", "the gunman police kill"),
            0.5
        );
        assert_eq!(rouge_l("a a a", "a"), 0.5);
    }

    /// The quadratic-memory textbook LCS, for comparison.
    fn textbook_lcs(a: &[Token<'_>], b: &[Token<'_>]) -> usize {
        let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                table[i][j] = if a[i - 1] == b[j - 1] {
                    table[i - 1][j - 1] + 1
                } else {
                    table[i - 1][j].max(table[i][j - 1])
                };
            }
        }
        table[a.len()][b.len()]
    }

    /// Multiset intersection size with a `BTreeMap`, for comparison.
    fn map_common(a: &[Token<'_>], b: &[Token<'_>]) -> usize {
        let mut counts = BTreeMap::new();
        for t in b {
            *counts.entry(*t).or_insert(0usize) += 1;
        }
        let mut common = 0;
        for t in a {
            if let Some(count) = counts.get_mut(t)
                && *count > 0
            {
                *count -= 1;
                common += 1;
            }
        }
        common
    }

    fn random_text(rng: &mut Rng, max_words: u64) -> String {
        const PIECES: [&str; 12] = [
            "a", "B", "b", "cat", "CAT", "é", "É", "x1", "-", ", ", " ", "🙂",
        ];
        let n = rng.below(max_words);
        (0..n)
            .map(|_| *rng.choose(&PIECES).unwrap_or(&" "))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn similarities_agree_with_simple_references() {
        let mut rng = Rng::from_seed(&[42; 32]);
        for _ in 0..500 {
            let c = random_text(&mut rng, 30);
            let r = random_text(&mut rng, 30);
            let (ct, rt) = (tokenize(&c), tokenize(&r));
            assert_eq!(
                token_f1(&c, &r),
                f_measure(map_common(&ct, &rt), ct.len(), rt.len()),
                "{c:?} / {r:?}"
            );
            assert_eq!(
                rouge_l(&c, &r),
                f_measure(textbook_lcs(&ct, &rt), ct.len(), rt.len()),
                "{c:?} / {r:?}"
            );
            assert_eq!(token_f1(&c, &r), token_f1(&r, &c), "F1 is symmetric");
            assert_eq!(rouge_l(&c, &r), rouge_l(&r, &c), "ROUGE-L F is symmetric");
        }
    }

    #[test]
    fn many_distinct_tokens_probe_past_each_other() {
        let reference: String = (0..5_000).map(|i| format!("w{i} ")).collect();
        let candidate: String = (0..5_000).rev().map(|i| format!("W{i} ")).collect();
        assert_eq!(token_f1(&candidate, &reference), 1.0);
        assert_eq!(rouge_l(&candidate, &candidate), 1.0);
        // Reversed distinct tokens share a subsequence of length 1, and
        // (2·p·r)/(p + r) with p = r = 1/5000 rounds to 0.00019999999999999998.
        assert_eq!(
            rouge_l(&candidate, &reference),
            0.000_199_999_999_999_999_98
        );
        let one_word = "same ".repeat(20_000);
        assert_eq!(token_f1(&one_word, "same"), f_measure(1, 20_000, 1));
    }

    #[test]
    fn f_measure_is_exactly_the_documented_expression() {
        for (common, c, r) in [(1, 3, 7), (5, 6, 9), (7, 7, 7), (1, 1_000_000, 1)] {
            let (p, q) = (common as f64 / c as f64, common as f64 / r as f64);
            assert_eq!(
                f_measure(common, c, r).to_bits(),
                ((2.0 * p) * q / (p + q)).to_bits()
            );
        }
    }
}
