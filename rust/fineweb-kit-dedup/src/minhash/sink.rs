//! Stage 1 output: the bucket records of one input file, sorted, in bounded memory.
//!
//! Each signed document gives one record per bucket (`hashes_per_bucket` hashes, then the
//! document id), written as sorted runs by [`crate::RunSink`] (layout and commit rules
//! there).

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::signature::signature;
use super::MinhashConfig;
use crate::{doc_id, RunSink};
use fineweb_kit_base::CoreResult;
use fineweb_kit_text::{simplify_text, words};

/// Documents longer than this (bytes) are counted as huge; they are signed like any other.
pub const HUGE_DOC_BYTES: usize = 1 << 20;

/// Counts of what one input file's documents gave.
#[derive(Debug, Default, Clone, Copy)]
pub struct SinkStats {
    pub documents: u64,
    pub signed: u64,
    /// Empty or whitespace-only (no word at all): no signature, never a duplicate.
    pub empty: u64,
    /// Fewer words than the n-gram size: no signature, never a duplicate (as datatrove).
    pub too_short: u64,
    pub huge: u64,
    pub runs: u64,
}

/// Signs and writes one input file's documents.
pub struct SignatureSink {
    cfg: Arc<MinhashConfig>,
    runs: RunSink,
    pub stats: SinkStats,
}

/// Re-exported for callers that locate the document-hash file.
pub use crate::runs::docs_path;

impl SignatureSink {
    /// Starts the signatures of input file number `file_index` (named `part`).
    pub fn new(
        cfg: Arc<MinhashConfig>,
        root: &Path,
        part: &str,
        file_index: u32,
        input: &str,
        budget: usize,
    ) -> CoreResult<Self> {
        let runs = RunSink::new(
            root,
            part,
            file_index,
            input,
            cfg.fingerprint(),
            cfg.num_buckets,
            cfg.record_words(),
            budget,
        )?;
        Ok(SignatureSink {
            cfg,
            runs,
            stats: SinkStats::default(),
        })
    }

    /// Signs a batch of documents in parallel. Words: datatrove's `simplify_text`, then the
    /// spaCy-compatible word tokeniser of [`fineweb_kit_text`] (what FineWeb's MinHash hashes).
    pub fn add<S: AsRef<str> + Sync>(&mut self, texts: &[S]) -> CoreResult<()> {
        let cfg = Arc::clone(&self.cfg);
        let n = cfg.num_hashes();
        let results: Vec<(u64, usize, Option<Vec<u64>>)> = texts
            .par_iter()
            .map_init(Vec::new, |scratch, text| {
                let text = text.as_ref();
                let simple = simplify_text(text);
                let refs = words(&simple);
                let mut sig = vec![0u64; n];
                let ok = signature(&refs, &cfg, scratch, &mut sig);
                (xxh3_64(text.as_bytes()), refs.len(), ok.then_some(sig))
            })
            .collect();
        let per = cfg.hashes_per_bucket;
        let mut record = vec![0u64; per + 1];
        for ((hash, nwords, sig), text) in results.into_iter().zip(texts) {
            let doc = self.runs.next_doc(hash)?;
            self.stats.documents += 1;
            if text.as_ref().len() > HUGE_DOC_BYTES {
                self.stats.huge += 1;
            }
            let Some(sig) = sig else {
                if nwords == 0 {
                    self.stats.empty += 1;
                } else {
                    self.stats.too_short += 1;
                }
                continue;
            };
            self.stats.signed += 1;
            record[per] = doc_id(self.runs.file_index(), doc);
            for (b, chunk) in sig.chunks_exact(per).enumerate() {
                record[..per].copy_from_slice(chunk);
                self.runs.push(b, &record);
            }
            self.runs.maybe_spill()?;
        }
        Ok(())
    }

    /// Writes the rest and renames every file into place.
    pub fn commit(mut self) -> CoreResult<SinkStats> {
        self.stats.runs = self.runs.commit()?;
        Ok(self.stats)
    }

    /// Removes the temporary files (the input file failed).
    pub fn abort(self) {
        self.runs.abort();
    }
}
