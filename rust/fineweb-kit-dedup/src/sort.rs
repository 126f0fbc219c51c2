//! External sort: push records in any order, read them back sorted, in bounded memory.
//!
//! Records are buffered up to the budget, then sorted and written as a run; `finish` merges
//! the runs with [`super::merge::merge_files`] (or sorts in memory if nothing was spilled).

use std::path::{Path, PathBuf};

use super::format::{Kind, RecordWriter};
use super::merge::{merge_files, MergeSpec};
use super::runs::sorted_order;
use fineweb_kit_base::CoreResult;

/// An external sorter of fixed-width u64 records.
pub struct ExternalSorter {
    words: usize,
    budget: usize,
    tmp_dir: PathBuf,
    buf: Vec<u64>,
    runs: Vec<PathBuf>,
}

impl ExternalSorter {
    /// Records of `words` words; runs go to `tmp_dir`.
    pub fn new(words: usize, budget: usize, tmp_dir: &Path) -> Self {
        ExternalSorter {
            words,
            budget: budget.max(1 << 16),
            tmp_dir: tmp_dir.to_path_buf(),
            buf: Vec::new(),
            runs: Vec::new(),
        }
    }

    /// Adds one record.
    pub fn push(&mut self, record: &[u64]) -> CoreResult<()> {
        self.buf.extend_from_slice(record);
        if self.buf.len() * 8 >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> CoreResult<()> {
        let path = self
            .tmp_dir
            .join(format!("sort_{:06}.run", self.runs.len()));
        let mut w = RecordWriter::create(&path, Kind::Keys, 0, self.words, "{}")?;
        for i in sorted_order(&self.buf, self.words) {
            let i = i as usize * self.words;
            w.write(&self.buf[i..i + self.words])?;
        }
        w.finish()?;
        self.runs.push(path);
        self.buf.clear();
        Ok(())
    }

    /// Calls `emit` with every record in sorted order; removes the runs.
    pub fn finish(mut self, mut emit: impl FnMut(&[u64]) -> CoreResult<()>) -> CoreResult<()> {
        if self.runs.is_empty() {
            let w = self.words;
            for i in sorted_order(&self.buf, w) {
                let i = i as usize * w;
                emit(&self.buf[i..i + w])?;
            }
            return Ok(());
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let spec = MergeSpec {
            kind: Kind::Keys,
            config: 0,
            words: self.words,
            budget: self.budget,
            tmp_dir: &self.tmp_dir,
        };
        let result = merge_files(&self.runs, &spec, emit);
        for p in &self.runs {
            let _ = std::fs::remove_file(p);
        }
        result.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_like_std(recs in prop::collection::vec((0u64..50, 0u64..50), 0..3000)) {
            let dir = tempfile::tempdir().unwrap();
            let mut s = ExternalSorter::new(2, 1 << 16, dir.path());
            for &(a, b) in &recs { s.push(&[a, b]).unwrap(); }
            let mut out = Vec::new();
            s.finish(|r| { out.push((r[0], r[1])); Ok(()) }).unwrap();
            let mut want = recs.clone();
            want.sort();
            prop_assert_eq!(out, want);
        }
    }
}
