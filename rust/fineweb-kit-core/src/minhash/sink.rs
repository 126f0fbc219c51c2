//! Stage 1 output: the bucket records of one input file, sorted, in bounded memory.
//!
//! Records (`hashes_per_bucket` hashes, then the document id) are buffered per bucket; when
//! the buffers reach the memory budget every bucket is sorted and written as one run file
//! `bucket_BBB/<part>.rNNNN.sig`. One text hash per document goes to `docs/<part>.docs`, so
//! the filter stage can check it re-reads exactly the documents that were signed. Everything
//! is written under temporary names (`.<name>.tmp`) and renamed by [`SignatureSink::commit`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::signature::signature;
use super::MinhashConfig;
use crate::dedup::{doc_id, Kind, RecordWriter};
use crate::error::{CoreError, CoreResult};
use crate::text::{simplify_text, words};

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

/// Buffers and writes one input file's signatures.
pub struct SignatureSink {
    cfg: Arc<MinhashConfig>,
    fingerprint: u64,
    root: PathBuf,
    part: String,
    file_index: u32,
    input: String,
    budget: usize,
    buffers: Vec<Vec<u64>>,
    buffered_bytes: usize,
    pending: Vec<(PathBuf, PathBuf)>,
    doc_hashes: Vec<u64>,
    pub stats: SinkStats,
}

fn final_run_path(root: &Path, bucket: usize, part: &str, run: u64) -> PathBuf {
    root.join(format!("bucket_{bucket:03}"))
        .join(format!("{part}.r{run:04}.sig"))
}

fn tmp_of(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string());
    path.with_file_name(format!(".{}.tmp", name.unwrap_or_default()))
}

/// Path of the document-hash file of part `part`.
pub fn docs_path(root: &Path, part: &str) -> PathBuf {
    root.join("docs").join(format!("{part}.docs"))
}

impl SignatureSink {
    /// Starts the signatures of input file number `file_index` (named `part`), removing any
    /// runs a previous, unfinished attempt at this file left behind.
    pub fn new(
        cfg: Arc<MinhashConfig>,
        root: &Path,
        part: &str,
        file_index: u32,
        input: &str,
        budget: usize,
    ) -> CoreResult<Self> {
        for b in 0..cfg.num_buckets {
            for run in 0.. {
                let p = final_run_path(root, b, part, run);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(e) => return Err(CoreError::io(p.display().to_string(), e)),
                }
            }
        }
        Ok(SignatureSink {
            fingerprint: cfg.fingerprint(),
            buffers: vec![Vec::new(); cfg.num_buckets],
            cfg,
            root: root.to_path_buf(),
            part: part.to_string(),
            file_index,
            input: input.to_string(),
            budget: budget.max(1 << 16),
            buffered_bytes: 0,
            pending: Vec::new(),
            doc_hashes: Vec::new(),
            stats: SinkStats::default(),
        })
    }

    /// Signs a batch of documents in parallel. Words: datatrove's `simplify_text`, then the
    /// spaCy-compatible word tokeniser of [`crate::text`] (what FineWeb's MinHash hashes).
    pub fn add<S: AsRef<str> + Sync>(&mut self, texts: &[S]) -> CoreResult<()> {
        let cfg_arc = Arc::clone(&self.cfg);
        let cfg = &*cfg_arc;
        let n = cfg.num_hashes();
        let results: Vec<(u64, usize, Option<Vec<u64>>)> = texts
            .par_iter()
            .map_init(Vec::new, |scratch, text| {
                let text = text.as_ref();
                let simple = simplify_text(text);
                let refs = words(&simple);
                let mut sig = vec![0u64; n];
                let ok = signature(&refs, cfg, scratch, &mut sig);
                (xxh3_64(text.as_bytes()), refs.len(), ok.then_some(sig))
            })
            .collect();
        let per = cfg.hashes_per_bucket;
        for ((hash, nwords, sig), text) in results.into_iter().zip(texts) {
            let text = text.as_ref();
            let doc = self.doc_hashes.len();
            let doc = u32::try_from(doc).map_err(|_| {
                CoreError::InvalidArgument(format!("{}: more than 2^32 documents", self.input))
            })?;
            self.doc_hashes.push(hash);
            self.stats.documents += 1;
            if text.len() > HUGE_DOC_BYTES {
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
            let id = doc_id(self.file_index, doc);
            for (b, chunk) in sig.chunks_exact(per).enumerate() {
                self.buffers[b].extend_from_slice(chunk);
                self.buffers[b].push(id);
            }
            self.buffered_bytes += (n + cfg.num_buckets) * 8;
            if self.buffered_bytes >= self.budget {
                self.spill()?;
            }
        }
        Ok(())
    }

    fn spill(&mut self) -> CoreResult<()> {
        let w = self.cfg.record_words();
        let run = self.stats.runs;
        for (b, buf) in self.buffers.iter_mut().enumerate() {
            if buf.is_empty() {
                continue;
            }
            let mut order: Vec<u32> = (0..(buf.len() / w) as u32).collect();
            order.sort_unstable_by(|&x, &y| {
                let (x, y) = (x as usize * w, y as usize * w);
                buf[x..x + w].cmp(&buf[y..y + w])
            });
            let final_path = final_run_path(&self.root, b, &self.part, run);
            let tmp = tmp_of(&final_path);
            let meta = format!(
                "{{\"bucket\":{b},\"file_index\":{},\"part\":{:?}}}",
                self.file_index, self.part
            );
            let mut out = RecordWriter::create(&tmp, Kind::Signatures, self.fingerprint, w, &meta)?;
            for &i in &order {
                let i = i as usize * w;
                out.write(&buf[i..i + w])?;
            }
            out.finish()?;
            self.pending.push((tmp, final_path));
            buf.clear();
        }
        self.buffered_bytes = 0;
        self.stats.runs += 1;
        Ok(())
    }

    /// Writes what is buffered and the document hashes, then renames every file into place.
    pub fn commit(mut self) -> CoreResult<SinkStats> {
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
        Ok(self.stats)
    }

    /// Removes the temporary files (the input file failed).
    pub fn abort(self) {
        for (tmp, _) in &self.pending {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
