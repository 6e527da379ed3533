//! The embedded corpus of questions and reference answers.
//!
//! `corpus.tsv` holds one `question<TAB>reference` pair per line. It is the
//! same file the other languages' versions of this mechanism embed, so all of
//! them draw the same questions for the same seed.

/// The corpus text, as shipped.
pub const CORPUS_TSV: &str = include_str!("../corpus.tsv");

/// One question and its reference answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The question sent to miners.
    pub question: &'static str,
    /// The answer replies are scored against.
    pub reference: &'static str,
}

/// The entries, in file order. Lines without a tab are skipped.
pub fn entries() -> Vec<Entry> {
    CORPUS_TSV
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(question, reference)| Entry {
            question,
            reference,
        })
        .collect()
}

/// The reference answer to `question`, if it is in the corpus.
pub fn reference_for(entries: &[Entry], question: &[u8]) -> Option<&'static str> {
    entries
        .iter()
        .find(|e| e.question.as_bytes() == question)
        .map(|e| e.reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_a_pair_and_questions_are_unique() {
        let all = entries();
        assert_eq!(all.len(), CORPUS_TSV.lines().count());
        let mut questions: Vec<_> = all.iter().map(|e| e.question).collect();
        questions.sort_unstable();
        questions.dedup();
        assert_eq!(questions.len(), all.len());
        assert!(all.iter().all(|e| !e.reference.is_empty()));
    }
}
