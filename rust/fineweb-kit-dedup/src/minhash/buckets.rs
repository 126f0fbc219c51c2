//! Stage 2: duplicate pairs of one bucket by external merge of its sorted runs.
//!
//! Records with the same bucket hashes end up next to each other; each record equal to the
//! one before gives the pair (previous id, this id) (datatrove's rule), so a group of k equal
//! signatures gives a chain of k - 1 pairs, enough for union-find.

use std::path::{Path, PathBuf};

use crate::{merge_files, Kind, MergeSpec, RecordWriter};
use fineweb_kit_base::CoreResult;

/// Counts of one bucket.
#[derive(Debug, Default, Clone, Copy)]
pub struct PairStats {
    pub signatures: u64,
    pub pairs: u64,
    pub inputs: usize,
    pub extra_passes: usize,
    pub intermediate_runs: usize,
}

/// Merges `inputs` (runs of one bucket) and writes the pairs to `out`.
pub fn find_pairs(
    inputs: &[PathBuf],
    out: &Path,
    fingerprint: u64,
    hashes_per_bucket: usize,
    budget: usize,
    tmp_dir: &Path,
    meta: &str,
) -> CoreResult<PairStats> {
    let words = hashes_per_bucket + 1;
    let spec = MergeSpec {
        kind: Kind::Signatures,
        config: fingerprint,
        words,
        budget,
        tmp_dir,
    };
    let mut writer = RecordWriter::create(out, Kind::Pairs, fingerprint, 2, meta)?;
    let mut prev: Vec<u64> = Vec::with_capacity(words);
    let merged = merge_files(inputs, &spec, |rec| {
        if !prev.is_empty() && prev[..hashes_per_bucket] == rec[..hashes_per_bucket] {
            writer.write(&[prev[hashes_per_bucket], rec[hashes_per_bucket]])?;
        }
        prev.clear();
        prev.extend_from_slice(rec);
        Ok(())
    })?;
    let pairs = writer.finish()?;
    Ok(PairStats {
        signatures: merged.records,
        pairs,
        inputs: merged.inputs,
        extra_passes: merged.extra_passes,
        intermediate_runs: merged.intermediate_runs,
    })
}
