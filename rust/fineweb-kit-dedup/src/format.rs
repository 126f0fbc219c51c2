//! The binary record files that the dedup stages hand to each other.
//!
//! Every intermediate file (signatures, duplicate pairs, clusters, document hashes) has the
//! same frame, so one reader checks them all before any work is done on them:
//!
//! ```text
//! header   magic  b"FWKDEDUP"              8 bytes
//!          version u32 (= 1)               4
//!          kind u32 (see `Kind`)           4
//!          config fingerprint u64          8   the producing configuration; a mismatch is refused
//!          record size u32 (bytes)         4
//!          meta length u32                 4
//!          meta (UTF-8 JSON)               meta length bytes: where the records came from
//! records  count x record size bytes       little-endian u64 words
//! footer   magic  b"FWKDEND\0"             8
//!          record count u64                8
//!          checksum u64                    8   xxh3-64 of all record bytes
//! ```
//!
//! The footer is written last, so a file cut short (full disk, killed writer) has no valid
//! footer and is refused at open; the length must equal header + count x size + footer; the
//! checksum is verified when the last record has been read (callers write their outputs to
//! temporary names and commit only after that, so a corrupt input never yields a result).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use fineweb_kit_base::{CoreError, CoreResult};

const MAGIC: &[u8; 8] = b"FWKDEDUP";
const END_MAGIC: &[u8; 8] = b"FWKDEND\0";
/// Format version written into every header.
pub const VERSION: u32 = 1;
const FIXED_HEADER: u64 = 32;
const FOOTER: u64 = 24;

/// What a record file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// Sorted MinHash bucket records: `hashes_per_bucket` hash words, then the document id.
    Signatures = 1,
    /// Duplicate pairs found in one bucket: two document ids.
    Pairs = 2,
    /// Cluster membership of duplicated documents of one input file.
    Clusters = 3,
    /// One text hash per document of one input file, in reading order.
    Docs = 4,
    /// Hashes of exact-dedup or sentence-dedup keys, with document ids.
    Keys = 5,
}

impl Kind {
    fn from_u32(v: u32) -> Option<Kind> {
        Some(match v {
            1 => Kind::Signatures,
            2 => Kind::Pairs,
            3 => Kind::Clusters,
            4 => Kind::Docs,
            5 => Kind::Keys,
            _ => return None,
        })
    }
}

fn io_err(path: &Path, e: std::io::Error) -> CoreError {
    CoreError::io(path.display().to_string(), e)
}

fn format_err(path: &Path, msg: impl std::fmt::Display) -> CoreError {
    CoreError::Format(format!("{}: {msg}", path.display()))
}

/// Writes one record file; call [`RecordWriter::finish`] to write the footer.
pub struct RecordWriter {
    path: PathBuf,
    out: BufWriter<File>,
    record_size: usize,
    count: u64,
    hasher: Xxh3,
    bytes: Vec<u8>,
}

impl RecordWriter {
    /// Creates (truncates) `path` and writes the header.
    pub fn create(
        path: &Path,
        kind: Kind,
        config: u64,
        record_words: usize,
        meta: &str,
    ) -> CoreResult<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
        }
        let file = File::create(path).map_err(|e| io_err(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let record_size = record_words * 8;
        let mut header = Vec::with_capacity(FIXED_HEADER as usize + meta.len());
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&(kind as u32).to_le_bytes());
        header.extend_from_slice(&config.to_le_bytes());
        header.extend_from_slice(&(record_size as u32).to_le_bytes());
        header.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        header.extend_from_slice(meta.as_bytes());
        out.write_all(&header).map_err(|e| io_err(path, e))?;
        Ok(RecordWriter {
            path: path.to_path_buf(),
            out,
            record_size,
            count: 0,
            hasher: Xxh3::new(),
            bytes: Vec::with_capacity(record_size),
        })
    }

    /// Appends one record of `record_words` words.
    pub fn write(&mut self, record: &[u64]) -> CoreResult<()> {
        debug_assert_eq!(record.len() * 8, self.record_size);
        self.bytes.clear();
        for w in record {
            self.bytes.extend_from_slice(&w.to_le_bytes());
        }
        self.hasher.update(&self.bytes);
        self.out
            .write_all(&self.bytes)
            .map_err(|e| io_err(&self.path, e))?;
        self.count += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes the footer and flushes; any write error (full disk) is returned here.
    pub fn finish(mut self) -> CoreResult<u64> {
        let mut footer = Vec::with_capacity(FOOTER as usize);
        footer.extend_from_slice(END_MAGIC);
        footer.extend_from_slice(&self.count.to_le_bytes());
        footer.extend_from_slice(&self.hasher.digest().to_le_bytes());
        self.out
            .write_all(&footer)
            .map_err(|e| io_err(&self.path, e))?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| io_err(&self.path, e.into_error()))?;
        file.sync_data().map_err(|e| io_err(&self.path, e))?;
        Ok(self.count)
    }
}

/// Reads one record file, refusing it at open if its frame, kind, configuration or record
/// size is wrong, and at the end if its checksum is.
pub struct RecordReader {
    path: PathBuf,
    input: BufReader<File>,
    record_size: usize,
    count: u64,
    read: u64,
    checksum: u64,
    hasher: Xxh3,
    bytes: Vec<u8>,
    /// The header's JSON metadata.
    pub meta: String,
}

impl RecordReader {
    /// Opens and validates `path`; `buffer` is the read buffer size in bytes.
    pub fn open(
        path: &Path,
        kind: Kind,
        config: u64,
        record_words: usize,
        buffer: usize,
    ) -> CoreResult<Self> {
        let mut file = File::open(path).map_err(|e| io_err(path, e))?;
        let len = file.metadata().map_err(|e| io_err(path, e))?.len();
        if len < FIXED_HEADER + FOOTER {
            return Err(format_err(
                path,
                format!("truncated: {len} bytes, shorter than header and footer"),
            ));
        }
        let mut fixed = [0u8; FIXED_HEADER as usize];
        file.read_exact(&mut fixed).map_err(|e| io_err(path, e))?;
        if &fixed[0..8] != MAGIC {
            return Err(format_err(path, "not a fineweb-kit dedup file (bad magic)"));
        }
        let word =
            |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let version = word(8);
        if version != VERSION {
            return Err(format_err(
                path,
                format!("format version {version}, this build reads version {VERSION}"),
            ));
        }
        let file_kind = word(12);
        if Kind::from_u32(file_kind) != Some(kind) {
            return Err(format_err(
                path,
                format!("holds record kind {file_kind}, expected {kind:?}"),
            ));
        }
        let mut cfg = [0u8; 8];
        cfg.copy_from_slice(&fixed[16..24]);
        let file_config = u64::from_le_bytes(cfg);
        if file_config != config {
            return Err(format_err(
                path,
                format!(
                    "written by another configuration (fingerprint {file_config:016x}, this run \
                     is {config:016x}: other n-gram size, hash count, hash function or seed); \
                     delete the intermediate folder or use the configuration that wrote it"
                ),
            ));
        }
        let record_size = word(24) as usize;
        if record_size != record_words * 8 {
            return Err(format_err(
                path,
                format!(
                    "record size {record_size} bytes, expected {}",
                    record_words * 8
                ),
            ));
        }
        let meta_len = word(28) as u64;
        if FIXED_HEADER + meta_len + FOOTER > len {
            return Err(format_err(path, "truncated inside the header"));
        }
        let mut meta = vec![0u8; meta_len as usize];
        file.read_exact(&mut meta).map_err(|e| io_err(path, e))?;
        let meta = String::from_utf8(meta)
            .map_err(|_| format_err(path, "header metadata is not UTF-8"))?;
        file.seek(SeekFrom::Start(len - FOOTER))
            .map_err(|e| io_err(path, e))?;
        let mut footer = [0u8; FOOTER as usize];
        file.read_exact(&mut footer).map_err(|e| io_err(path, e))?;
        if &footer[0..8] != END_MAGIC {
            return Err(format_err(
                path,
                format!("truncated or incomplete: no end marker ({len} bytes); the writer was interrupted or the disk was full, rerun the stage that wrote it"),
            ));
        }
        let mut w = [0u8; 8];
        w.copy_from_slice(&footer[8..16]);
        let count = u64::from_le_bytes(w);
        w.copy_from_slice(&footer[16..24]);
        let checksum = u64::from_le_bytes(w);
        let body = len - FIXED_HEADER - meta_len - FOOTER;
        if count.checked_mul(record_size as u64) != Some(body) {
            return Err(format_err(
                path,
                format!("length mismatch: {body} record bytes for {count} records of {record_size} bytes"),
            ));
        }
        file.seek(SeekFrom::Start(FIXED_HEADER + meta_len))
            .map_err(|e| io_err(path, e))?;
        Ok(RecordReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(buffer.max(record_size), file),
            record_size,
            count,
            read: 0,
            checksum,
            hasher: Xxh3::new(),
            bytes: vec![0u8; record_size],
            meta,
        })
    }

    /// Number of records the footer announces.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Records read so far.
    pub fn position(&self) -> u64 {
        self.read
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the next record into `out`; `Ok(false)` after the last one, once the checksum
    /// has been verified.
    pub fn next_into(&mut self, out: &mut [u64]) -> CoreResult<bool> {
        if self.read == self.count {
            if self.hasher.digest() != self.checksum {
                return Err(format_err(
                    &self.path,
                    "checksum mismatch: the file is corrupt; rerun the stage that wrote it",
                ));
            }
            return Ok(false);
        }
        self.input
            .read_exact(&mut self.bytes)
            .map_err(|e| io_err(&self.path, e))?;
        self.hasher.update(&self.bytes);
        for (o, chunk) in out.iter_mut().zip(self.bytes.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            *o = u64::from_le_bytes(w);
        }
        self.read += 1;
        Ok(true)
    }

    /// Reads every record (flat, `record_words` words each), verifying the checksum.
    pub fn read_all(mut self) -> CoreResult<Vec<u64>> {
        let words = self.record_size / 8;
        let mut all = vec![0u64; words * self.count as usize];
        let mut i = 0;
        let mut rec = vec![0u64; words];
        while self.next_into(&mut rec)? {
            all[i..i + words].copy_from_slice(&rec);
            i += words;
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_sample(path: &Path, n: u64) {
        let mut w = RecordWriter::create(path, Kind::Pairs, 7, 2, "{\"x\":1}").unwrap();
        for i in 0..n {
            w.write(&[i, i * 3]).unwrap();
        }
        assert_eq!(w.finish().unwrap(), n);
    }

    #[test]
    fn roundtrip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_sample(&p, 100);
        let r = RecordReader::open(&p, Kind::Pairs, 7, 2, 64).unwrap();
        assert_eq!(r.meta, "{\"x\":1}");
        let all = r.read_all().unwrap();
        assert_eq!(all.len(), 200);
        assert_eq!(all[198], 99);
        assert_eq!(all[199], 297);
    }

    #[test]
    fn refuses_other_config_kind_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_sample(&p, 3);
        let e = RecordReader::open(&p, Kind::Pairs, 8, 2, 64).err().unwrap();
        assert!(e.to_string().contains("another configuration"), "{e}");
        let e = RecordReader::open(&p, Kind::Signatures, 7, 2, 64)
            .err()
            .unwrap();
        assert!(e.to_string().contains("kind"), "{e}");
        let e = RecordReader::open(&p, Kind::Pairs, 7, 3, 64).err().unwrap();
        assert!(e.to_string().contains("record size"), "{e}");
    }

    #[test]
    fn detects_truncation_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_sample(&p, 50);
        let bytes = std::fs::read(&p).unwrap();
        for cut in [10usize, 40, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            assert!(
                RecordReader::open(&p, Kind::Pairs, 7, 2, 64).is_err(),
                "cut {cut}"
            );
        }
        let mut bad = bytes.clone();
        bad[60] ^= 1;
        std::fs::write(&p, &bad).unwrap();
        let r = RecordReader::open(&p, Kind::Pairs, 7, 2, 64).unwrap();
        let e = r.read_all().err().unwrap();
        assert!(e.to_string().contains("checksum"), "{e}");
    }
}
