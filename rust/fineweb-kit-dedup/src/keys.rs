//! Exact and sentence-span dedup: keys per document, then one pass over all sorted keys.
//!
//! - Exact: one key per document, the 128-bit xxh3 of datatrove's `simplify_text` of the
//!   text (so case, punctuation, numbers and whitespace differences do not matter); empty
//!   normalised texts get no key.
//! - Sentences (C4): the text is split into sentences as datatrove/spaCy's sentencizer does;
//!   every window of `n` consecutive sentences gets the key of its simplified sentences
//!   joined by a space, with the window's first sentence index.
//!
//! Records `[key_hi, key_lo, document id, sentence index]` sorted per input file ([`RunSink`]),
//! then merged: in each group of equal keys the first record (smallest document id, then
//! sentence index) is the original, every other one a duplicate, collected per input file
//! (external sort) as `[document index, sentence index, original document id, group size]`;
//! the original itself is listed too, with [`ORIGINAL`] set in its group size, so the filter
//! of its file knows how many copies it has.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use super::format::{Kind, RecordWriter};
use super::merge::{merge_files, MergeSpec};
use super::runs::RunSink;
use super::sort::ExternalSorter;
use super::{doc_id, split_doc_id};
use fineweb_kit_base::{CoreError, CoreResult};
use fineweb_kit_text::{sentences, simplify_text, tokenize, Token};

/// Flag set in the group-size word of the record of a group's original (first) occurrence.
pub const ORIGINAL: u64 = 1 << 63;

/// The keys of one document with their sentence index.
pub type DocKeys = Vec<([u64; 2], u64)>;

/// What a key stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMode {
    Exact,
    /// Windows of this many sentences.
    Sentences(usize),
}

fn split128(h: u128) -> [u64; 2] {
    [(h >> 64) as u64, h as u64]
}

/// Byte ranges of the sentences of `text` (datatrove's `split_into_sentences`).
pub fn sentence_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut tokens: Vec<Token> = Vec::new();
    tokenize(text, &mut tokens);
    sentences::sentence_parts(text, &tokens)
}

/// The keys of one document: `(key, sentence index)`.
pub fn doc_keys(text: &str, mode: KeyMode) -> DocKeys {
    match mode {
        KeyMode::Exact => {
            let simple = simplify_text(text);
            if simple.is_empty() {
                return Vec::new();
            }
            vec![(split128(xxh3_128(simple.as_bytes())), 0)]
        }
        KeyMode::Sentences(n) => {
            let simple: Vec<String> = sentence_ranges(text)
                .into_iter()
                .map(|(a, b)| simplify_text(&text[a..b]))
                .collect();
            if simple.len() < n {
                return Vec::new();
            }
            simple
                .windows(n)
                .enumerate()
                .filter(|(_, w)| w.iter().any(|s| !s.is_empty()))
                .map(|(i, w)| (split128(xxh3_128(w.join(" ").as_bytes())), i as u64))
                .collect()
        }
    }
}

/// Counts of the key stage of one file.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyStats {
    pub documents: u64,
    pub keys: u64,
    pub without_key: u64,
    pub runs: u64,
}

/// Writes the keys of one input file.
pub struct KeySink {
    mode: KeyMode,
    runs: RunSink,
    pub stats: KeyStats,
}

impl KeySink {
    /// Starts input file `file_index` (named `part`) under `root`.
    pub fn new(
        mode: KeyMode,
        root: &Path,
        part: &str,
        file_index: u32,
        input: &str,
        fingerprint: u64,
        budget: usize,
    ) -> CoreResult<Self> {
        let runs = RunSink::new(root, part, file_index, input, fingerprint, 1, 4, budget)?;
        Ok(KeySink {
            mode,
            runs,
            stats: KeyStats::default(),
        })
    }

    /// Adds a batch of documents (keys computed in parallel).
    pub fn add<S: AsRef<str> + Sync>(&mut self, texts: &[S]) -> CoreResult<()> {
        let mode = self.mode;
        let keys: Vec<(u64, DocKeys)> = texts
            .par_iter()
            .map(|t| (xxh3_64(t.as_ref().as_bytes()), doc_keys(t.as_ref(), mode)))
            .collect();
        for (hash, ks) in keys {
            let doc = self.runs.next_doc(hash)?;
            self.stats.documents += 1;
            if ks.is_empty() {
                self.stats.without_key += 1;
            }
            let id = doc_id(self.runs.file_index(), doc);
            for (k, sent) in ks {
                self.runs.push(0, &[k[0], k[1], id, sent]);
                self.stats.keys += 1;
            }
            self.runs.maybe_spill()?;
        }
        Ok(())
    }

    /// Writes the rest and renames every file into place.
    pub fn commit(mut self) -> CoreResult<KeyStats> {
        self.stats.runs = self.runs.commit()?;
        Ok(self.stats)
    }

    /// Removes the temporary files.
    pub fn abort(self) {
        self.runs.abort();
    }
}

/// Counts of the find stage.
#[derive(Debug, Default, Clone, Copy)]
pub struct FindStats {
    pub keys: u64,
    pub duplicate_groups: u64,
    pub duplicates: u64,
    pub files: u64,
}

/// Path of the duplicates file of input file `file`.
pub fn dups_path(dir: &Path, file: u32) -> PathBuf {
    dir.join(format!("{file:06}.dups"))
}

/// Merges every key run, and writes per input file the duplicates found (see module doc).
pub fn find_duplicates(
    inputs: &[PathBuf],
    out_dir: &Path,
    fingerprint: u64,
    budget: usize,
    tmp_dir: &Path,
) -> CoreResult<FindStats> {
    std::fs::create_dir_all(tmp_dir)
        .map_err(|e| CoreError::io(tmp_dir.display().to_string(), e))?;
    let spec = MergeSpec {
        kind: Kind::Signatures,
        config: fingerprint,
        words: 4,
        budget: budget / 2,
        tmp_dir,
    };
    let mut stats = FindStats::default();
    let mut sorter = ExternalSorter::new(4, budget / 2, tmp_dir);
    let mut group: Vec<[u64; 2]> = Vec::new();
    let mut key = [0u64; 2];
    let mut flush = |group: &mut Vec<[u64; 2]>, stats: &mut FindStats| -> CoreResult<()> {
        if group.len() > 1 {
            stats.duplicate_groups += 1;
            let (first, size) = (group[0][0], group.len() as u64);
            sorter.push(&[group[0][0], group[0][1], first, size | ORIGINAL])?;
            for &[id, sent] in &group[1..] {
                sorter.push(&[id, sent, first, size])?;
                stats.duplicates += 1;
            }
        }
        group.clear();
        Ok(())
    };
    merge_files(inputs, &spec, |r| {
        stats.keys += 1;
        if group.is_empty() || r[..2] != key {
            flush(&mut group, &mut stats)?;
            key = [r[0], r[1]];
        }
        group.push([r[2], r[3]]);
        Ok(())
    })?;
    flush(&mut group, &mut stats)?;
    let mut current: Option<(u32, RecordWriter, PathBuf, PathBuf)> = None;
    let mut files = 0;
    let finish = |c: Option<(u32, RecordWriter, PathBuf, PathBuf)>| -> CoreResult<()> {
        if let Some((_, w, tmp, path)) = c {
            w.finish()?;
            std::fs::rename(&tmp, &path)
                .map_err(|e| CoreError::io(path.display().to_string(), e))?;
        }
        Ok(())
    };
    sorter.finish(|r| {
        let (file, doc) = split_doc_id(r[0]);
        if current.as_ref().map(|c| c.0) != Some(file) {
            finish(current.take())?;
            let path = dups_path(out_dir, file);
            let tmp = path.with_extension("dups.tmp");
            let meta = format!("{{\"file_index\":{file}}}");
            let w = RecordWriter::create(&tmp, Kind::Clusters, fingerprint, 4, &meta)?;
            current = Some((file, w, tmp, path));
            files += 1;
        }
        if let Some(c) = current.as_mut() {
            c.1.write(&[u64::from(doc), r[1], r[2], r[3]])?;
        }
        Ok(())
    })?;
    finish(current)?;
    stats.files = files;
    Ok(stats)
}

/// `text` without the sentences covered by duplicate windows starting at `starts` (each
/// covering `n` sentences); returns the new text and how many sentences were removed.
pub fn remove_sentences(text: &str, starts: &[u64], n: usize) -> (String, usize) {
    let ranges = sentence_ranges(text);
    let mut drop = vec![false; ranges.len()];
    for &s in starts {
        let s = s as usize;
        for d in drop.iter_mut().skip(s).take(n) {
            *d = true;
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut removed = 0;
    for ((a, b), d) in ranges.into_iter().zip(drop) {
        if d {
            removed += 1;
        } else {
            out.push_str(&text[a..b]);
        }
    }
    (out, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_keys_ignore_case_punctuation_and_numbers() {
        let a = doc_keys("Hello, World! 42 apples.", KeyMode::Exact);
        let b = doc_keys("hello world 7 apples", KeyMode::Exact);
        assert_eq!(a, b);
        assert!(doc_keys("  \n ", KeyMode::Exact).is_empty());
    }

    #[test]
    fn sentence_windows_and_removal() {
        let t = "One is here. Two is there. Three comes. Four goes. Five ends.";
        let keys = doc_keys(t, KeyMode::Sentences(3));
        assert_eq!(keys.len(), 3);
        let (out, removed) = remove_sentences(t, &[1], 3);
        assert_eq!(removed, 3);
        assert!(
            out.starts_with("One is here.") && out.contains("Five ends."),
            "{out}"
        );
        assert!(!out.contains("Three"));
    }

    #[test]
    fn finds_exact_duplicates_first_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("keys");
        for (f, texts) in [
            (0u32, vec!["Same text here.", "unique one"]),
            (1, vec!["same TEXT here", "x"]),
        ] {
            let mut s =
                KeySink::new(KeyMode::Exact, &root, &format!("p{f}"), f, "in", 9, 1 << 20).unwrap();
            s.add(&texts).unwrap();
            s.commit().unwrap();
        }
        let inputs: Vec<PathBuf> = std::fs::read_dir(root.join("bucket_000"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let out = dir.path().join("dups");
        let st = find_duplicates(&inputs, &out, 9, 1 << 20, &dir.path().join("tmp")).unwrap();
        assert_eq!((st.duplicate_groups, st.duplicates, st.files), (1, 1, 2));
        let read = |f: u32| {
            crate::RecordReader::open(&dups_path(&out, f), Kind::Clusters, 9, 4, 1024)
                .unwrap()
                .read_all()
                .unwrap()
        };
        assert_eq!(read(1), vec![0, 0, doc_id(0, 0), 2]);
        assert_eq!(read(0), vec![0, 0, doc_id(0, 0), 2 | ORIGINAL]);
    }
}
