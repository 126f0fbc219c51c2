//! Sorted runs of one input file's records, written in bounded memory (the first stage of
//! every dedup method).
//!
//! Records (fixed number of u64 words, compared as tuples) are buffered per bucket; when the
//! buffers reach the budget each bucket is sorted and written as one run file
//! `bucket_BBB/<part>.rNNNN.sig`. One text hash per document goes to `docs/<part>.docs`, so a
//! later filter stage can check it re-reads exactly the documents that were seen. Everything
//! is written under temporary names (`.<name>.tmp`) and renamed by [`RunSink::commit`].

use std::path::{Path, PathBuf};

use super::format::{Kind, RecordWriter};
use fineweb_kit_base::{CoreError, CoreResult};

/// Path of run `run` of `part` in bucket `bucket`.
pub fn run_path(root: &Path, bucket: usize, part: &str, run: u64) -> PathBuf {
    root.join(format!("bucket_{bucket:03}"))
        .join(format!("{part}.r{run:04}.sig"))
}

/// Path of the document-hash file of part `part`.
pub fn docs_path(root: &Path, part: &str) -> PathBuf {
    root.join("docs").join(format!("{part}.docs"))
}

fn tmp_of(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string());
    path.with_file_name(format!(".{}.tmp", name.unwrap_or_default()))
}

/// Sort order of the records in `buf` (`words` u64 each).
pub fn sorted_order(buf: &[u64], words: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..(buf.len() / words) as u32).collect();
    order.sort_unstable_by(|&x, &y| {
        let (x, y) = (x as usize * words, y as usize * words);
        buf[x..x + words].cmp(&buf[y..y + words])
    });
    order
}

/// Buffers and writes the sorted runs of one input file.
pub struct RunSink {
    root: PathBuf,
    part: String,
    file_index: u32,
    input: String,
    fingerprint: u64,
    words: usize,
    budget: usize,
    buffers: Vec<Vec<u64>>,
    buffered_bytes: usize,
    pending: Vec<(PathBuf, PathBuf)>,
    doc_hashes: Vec<u64>,
    runs: u64,
}

impl RunSink {
    /// Starts input file number `file_index` (named `part`), removing the runs a previous,
    /// unfinished attempt at this file left behind.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        root: &Path,
        part: &str,
        file_index: u32,
        input: &str,
        fingerprint: u64,
        buckets: usize,
        words: usize,
        budget: usize,
    ) -> CoreResult<Self> {
        for b in 0..buckets {
            for run in 0.. {
                let p = run_path(root, b, part, run);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(e) => return Err(CoreError::io(p.display().to_string(), e)),
                }
            }
        }
        Ok(RunSink {
            root: root.to_path_buf(),
            part: part.to_string(),
            file_index,
            input: input.to_string(),
            fingerprint,
            words,
            budget: budget.max(1 << 16),
            buffers: vec![Vec::new(); buckets],
            buffered_bytes: 0,
            pending: Vec::new(),
            doc_hashes: Vec::new(),
            runs: 0,
        })
    }

    /// Registers the next document (its text hash); returns its index in the file.
    pub fn next_doc(&mut self, text_hash: u64) -> CoreResult<u32> {
        let doc = u32::try_from(self.doc_hashes.len()).map_err(|_| {
            CoreError::InvalidArgument(format!("{}: more than 2^32 documents", self.input))
        })?;
        self.doc_hashes.push(text_hash);
        Ok(doc)
    }

    /// The file index of this sink's input.
    pub fn file_index(&self) -> u32 {
        self.file_index
    }

    /// Buffers one record for `bucket`.
    pub fn push(&mut self, bucket: usize, record: &[u64]) {
        debug_assert_eq!(record.len(), self.words);
        self.buffers[bucket].extend_from_slice(record);
        self.buffered_bytes += self.words * 8;
    }

    /// Writes sorted runs if the buffers reached the budget.
    pub fn maybe_spill(&mut self) -> CoreResult<()> {
        if self.buffered_bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Number of runs written so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    fn spill(&mut self) -> CoreResult<()> {
        let w = self.words;
        for (b, buf) in self.buffers.iter_mut().enumerate() {
            if buf.is_empty() {
                continue;
            }
            let final_path = run_path(&self.root, b, &self.part, self.runs);
            let tmp = tmp_of(&final_path);
            let meta = format!(
                "{{\"bucket\":{b},\"file_index\":{},\"part\":{:?}}}",
                self.file_index, self.part
            );
            let mut out = RecordWriter::create(&tmp, Kind::Signatures, self.fingerprint, w, &meta)?;
            for i in sorted_order(buf, w) {
                let i = i as usize * w;
                out.write(&buf[i..i + w])?;
            }
            out.finish()?;
            self.pending.push((tmp, final_path));
            buf.clear();
        }
        self.buffered_bytes = 0;
        self.runs += 1;
        Ok(())
    }

    /// Writes what is buffered and the document hashes, then renames every file into place.
    pub fn commit(mut self) -> CoreResult<u64> {
        if self.buffered_bytes > 0 {
            self.spill()?;
        }
        let final_docs = docs_path(&self.root, &self.part);
        let tmp = tmp_of(&final_docs);
        let meta = format!(
            "{{\"input\":{:?},\"file_index\":{},\"part\":{:?},\"documents\":{}}}",
            self.input,
            self.file_index,
            self.part,
            self.doc_hashes.len()
        );
        let mut out = RecordWriter::create(&tmp, Kind::Docs, self.fingerprint, 1, &meta)?;
        for &h in &self.doc_hashes {
            out.write(&[h])?;
        }
        out.finish()?;
        self.pending.push((tmp, final_docs));
        for (tmp, fin) in &self.pending {
            std::fs::rename(tmp, fin).map_err(|e| CoreError::io(fin.display().to_string(), e))?;
        }
        Ok(self.runs)
    }

    /// Removes the temporary files (the input file failed).
    pub fn abort(self) {
        for (tmp, _) in &self.pending {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
