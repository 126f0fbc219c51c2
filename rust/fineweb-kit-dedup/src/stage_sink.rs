//! The first-stage writer of every dedup method, as one trait: MinHash's
//! [`SignatureSink`] and exact / sentence dedup's
//! [`KeySink`] both take the documents of one input file in batches,
//! then either commit (every file renamed into place, counts returned) or abort (temporaries
//! removed). Callers that drive either one (the Python glue) are written once against this.

use fineweb_kit_base::CoreResult;

use crate::keys::KeySink;
use crate::minhash::sink::SignatureSink;

/// A dedup stage-1 writer for one input file.
pub trait StageSink: Send + Sync {
    /// Adds a batch of document texts (the next documents of the input file, in order).
    fn add_texts(&mut self, texts: &[String]) -> CoreResult<()>;
    /// Writes what is left, renames every file into place and returns named counts.
    fn commit_counts(self: Box<Self>) -> CoreResult<Vec<(&'static str, u64)>>;
    /// Removes the temporary files; nothing is committed.
    fn abort_files(self: Box<Self>);
}

impl StageSink for SignatureSink {
    fn add_texts(&mut self, texts: &[String]) -> CoreResult<()> {
        self.add(texts)
    }
    fn commit_counts(self: Box<Self>) -> CoreResult<Vec<(&'static str, u64)>> {
        let st = self.commit()?;
        Ok(vec![
            ("documents", st.documents),
            ("signed", st.signed),
            ("empty", st.empty),
            ("too_short", st.too_short),
            ("huge", st.huge),
            ("runs", st.runs),
        ])
    }
    fn abort_files(self: Box<Self>) {
        self.abort()
    }
}

impl StageSink for KeySink {
    fn add_texts(&mut self, texts: &[String]) -> CoreResult<()> {
        self.add(texts)
    }
    fn commit_counts(self: Box<Self>) -> CoreResult<Vec<(&'static str, u64)>> {
        let st = self.commit()?;
        Ok(vec![
            ("keys", st.keys),
            ("without_key", st.without_key),
            ("runs", st.runs),
        ])
    }
    fn abort_files(self: Box<Self>) {
        self.abort()
    }
}
