//! Reading shards from Rust: header checks, full verification, and document copying (the
//! engine of `shards merge`). Python maps the sections with `np.memmap` instead.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use xxhash_rust::xxh3::Xxh3;

use super::format::{Dtype, Header, HEADER_LEN};
use super::writer::{ShardSpec, ShardWriter};
use fineweb_kit_base::{CoreError, CoreResult};

/// Reads and checks the header of `path`, including that the file is exactly as long as the
/// header says (a truncated or over-long file is refused).
pub fn read_header(path: &Path) -> CoreResult<Header> {
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(|e| CoreError::io(&name, e))?;
    let len = file.metadata().map_err(|e| CoreError::io(&name, e))?.len();
    if len < HEADER_LEN as u64 {
        return Err(CoreError::Format(format!(
            "{name}: {len} bytes, shorter than the {HEADER_LEN}-byte shard header (truncated?)"
        )));
    }
    let mut buf = [0u8; HEADER_LEN];
    file.read_exact(&mut buf)
        .map_err(|e| CoreError::io(&name, e))?;
    let h = Header::decode(&buf, &name)?;
    if len != h.file_len {
        return Err(CoreError::Format(format!(
            "{name}: file is {len} bytes, the header says {} ({} tokens, {} documents): {}",
            h.file_len,
            h.n_tokens,
            h.n_docs,
            if len < h.file_len {
                "truncated"
            } else {
                "trailing garbage"
            }
        )));
    }
    Ok(h)
}

fn hash_range(file: &mut File, name: &str, offset: u64, len: u64) -> CoreResult<u64> {
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| CoreError::io(name, e))?;
    let mut r = BufReader::with_capacity(1 << 20, file.take(len));
    let mut h = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).map_err(|e| CoreError::io(name, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.digest())
}

/// Checks everything: header, file length, the three section checksums and the document
/// index (non-decreasing, ending at the token count). Reads the whole file once.
pub fn verify(path: &Path) -> CoreResult<Header> {
    let h = read_header(path)?;
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(|e| CoreError::io(&name, e))?;
    let sections = [
        (
            "token array",
            h.tokens_offset,
            h.n_tokens * h.dtype.width(),
            h.tokens_xxh3,
        ),
        ("document index", h.index_offset, 8 * h.n_docs, h.index_xxh3),
        (
            "loss mask",
            h.mask_offset,
            if h.has_mask { h.n_tokens } else { 0 },
            h.mask_xxh3,
        ),
    ];
    for (what, offset, len, expected) in sections {
        if len == 0 && expected == 0 {
            continue;
        }
        let got = hash_range(&mut file, &name, offset, len)?;
        if got != expected {
            return Err(CoreError::Format(format!(
                "{name}: checksum of the {what} (offset {offset}, {len} bytes) is {got:#018x}, \
                 the header says {expected:#018x}: the file is damaged"
            )));
        }
    }
    let reader = ShardReader::from_header(path, h.clone())?;
    let mut prev = 0;
    for (i, &e) in reader.ends.iter().enumerate() {
        if e < prev || e > h.n_tokens {
            return Err(CoreError::Format(format!(
                "{name}: document end {e} of document {i} is out of order or past {} tokens",
                h.n_tokens
            )));
        }
        prev = e;
    }
    if prev != h.n_tokens {
        return Err(CoreError::Format(format!(
            "{name}: the document index ends at {prev}, not at the {} tokens",
            h.n_tokens
        )));
    }
    Ok(h)
}

/// An open shard with its document index in memory; reads documents on demand.
pub struct ShardReader {
    name: String,
    file: File,
    pub header: Header,
    ends: Vec<u64>,
}

impl ShardReader {
    /// Opens and checks `path` (header and length, not the section checksums).
    pub fn open(path: &Path) -> CoreResult<ShardReader> {
        let h = read_header(path)?;
        ShardReader::from_header(path, h)
    }

    fn from_header(path: &Path, header: Header) -> CoreResult<ShardReader> {
        let name = path.display().to_string();
        let mut file = File::open(path).map_err(|e| CoreError::io(&name, e))?;
        let mut raw = vec![0u8; (8 * header.n_docs) as usize];
        file.seek(SeekFrom::Start(header.index_offset))
            .and_then(|_| file.read_exact(&mut raw))
            .map_err(|e| CoreError::io(&name, e))?;
        let ends = raw
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect();
        Ok(ShardReader {
            name,
            file,
            header,
            ends,
        })
    }

    /// Number of documents.
    pub fn n_docs(&self) -> u64 {
        self.header.n_docs
    }

    /// Token range `[start, end)` of document `i`.
    pub fn doc_range(&self, i: u64) -> CoreResult<(u64, u64)> {
        let end = *self.ends.get(i as usize).ok_or_else(|| {
            CoreError::InvalidArgument(format!(
                "{}: document {i} out of range ({} documents)",
                self.name, self.header.n_docs
            ))
        })?;
        let start = if i == 0 { 0 } else { self.ends[i as usize - 1] };
        if start > end || end > self.header.n_tokens {
            return Err(CoreError::Format(format!(
                "{}: document {i} has range [{start}, {end}) outside {} tokens",
                self.name, self.header.n_tokens
            )));
        }
        Ok((start, end))
    }

    /// The token ids (and mask bytes, if the shard has a mask) of document `i`.
    pub fn read_doc(&mut self, i: u64) -> CoreResult<(Vec<u32>, Option<Vec<u8>>)> {
        let (start, end) = self.doc_range(i)?;
        let w = self.header.dtype.width();
        let mut raw = vec![0u8; ((end - start) * w) as usize];
        let io = |e| CoreError::io(&self.name, e);
        self.file
            .seek(SeekFrom::Start(self.header.tokens_offset + start * w))
            .map_err(io)?;
        self.file.read_exact(&mut raw).map_err(io)?;
        let ids = match self.header.dtype {
            Dtype::U16 => raw
                .chunks_exact(2)
                .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            Dtype::U32 => raw
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        };
        let mask = if self.header.has_mask {
            let mut m = vec![0u8; (end - start) as usize];
            self.file
                .seek(SeekFrom::Start(self.header.mask_offset + start))
                .map_err(io)?;
            self.file.read_exact(&mut m).map_err(io)?;
            Some(m)
        } else {
            None
        };
        Ok((ids, mask))
    }
}

/// Writes the documents `picks` (pairs of input index, document index), in that order, from
/// `inputs` into a new shard at `out`. All inputs must share tokenizer fingerprint,
/// vocabulary, boundary convention and mask presence; documents are copied as stored
/// (boundary tokens included).
pub fn copy_docs(inputs: &[&Path], picks: &[(u32, u64)], out: &Path) -> CoreResult<Header> {
    let mut readers = inputs
        .iter()
        .map(|p| ShardReader::open(p))
        .collect::<CoreResult<Vec<_>>>()?;
    let first = readers
        .first()
        .ok_or_else(|| CoreError::InvalidArgument("no input shards".to_string()))?
        .header
        .clone();
    for r in &readers[1..] {
        let h = &r.header;
        if h.fingerprint != first.fingerprint
            || h.vocab_size != first.vocab_size
            || h.boundary != first.boundary
            || h.boundary_token != first.boundary_token
            || h.has_mask != first.has_mask
        {
            return Err(CoreError::Format(format!(
                "{}: tokenizer {} / vocab {} / boundary {:?} / mask {} differ from {}'s \
                 ({} / {} / {:?} / {}): shards of different tokenizers cannot be merged",
                r.name,
                &h.fingerprint_hex()[..12],
                h.vocab_size,
                h.boundary_token,
                h.has_mask,
                readers[0].name,
                &first.fingerprint_hex()[..12],
                first.vocab_size,
                first.boundary_token,
                first.has_mask
            )));
        }
    }
    let spec = ShardSpec {
        vocab_size: first.vocab_size,
        dtype: Some(first.dtype),
        fingerprint: first.fingerprint,
        boundary: first.boundary,
        boundary_token: first.boundary_token,
        with_mask: first.has_mask,
    };
    let mut w = ShardWriter::create(out, spec)?;
    for &(src, doc) in picks {
        let r = readers
            .get_mut(src as usize)
            .ok_or_else(|| CoreError::InvalidArgument(format!("input index {src} out of range")))?;
        let (ids, mask) = r.read_doc(doc)?;
        w.append_docs(&ids, &[ids.len() as u64], mask.as_deref(), false)?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Boundary;
    use proptest::prelude::*;

    fn spec(vocab: u64, mask: bool) -> ShardSpec {
        ShardSpec {
            vocab_size: vocab,
            dtype: None,
            fingerprint: [9u8; 32],
            boundary: Boundary::Append,
            boundary_token: Some((vocab - 1) as u32),
            with_mask: mask,
        }
    }

    fn write(path: &Path, docs: &[Vec<u32>], vocab: u64, mask: bool) -> Header {
        let mut w = ShardWriter::create(path, spec(vocab, mask)).unwrap();
        for d in docs {
            let m: Vec<u8> = d.iter().map(|t| (t % 2) as u8).collect();
            w.append_docs(d, &[d.len() as u64], mask.then_some(&m[..]), true)
                .unwrap();
        }
        w.finish().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn documents_round_trip(
            docs in proptest::collection::vec(proptest::collection::vec(0u32..70_000, 0..40), 0..20),
            mask: bool,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.fks");
            let h = write(&path, &docs, 70_001, mask);
            prop_assert_eq!(h.dtype, Dtype::U32);
            prop_assert_eq!(verify(&path).unwrap(), h);
            let mut r = ShardReader::open(&path).unwrap();
            for (i, d) in docs.iter().enumerate() {
                let (ids, m) = r.read_doc(i as u64).unwrap();
                prop_assert_eq!(&ids[..d.len()], &d[..]);
                prop_assert_eq!(ids[d.len()], 70_000);
                prop_assert_eq!(m.is_some(), mask);
            }
        }
    }

    #[test]
    fn truncation_and_damage_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.fks");
        write(&path, &[vec![1, 2, 3], vec![4, 5]], 100, false);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let err = read_header(&path).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let mut damaged = bytes.clone();
        damaged[HEADER_LEN + 1] ^= 0xff;
        std::fs::write(&path, &damaged).unwrap();
        assert!(read_header(&path).is_ok());
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("token array"), "{err}");
    }

    #[test]
    fn u16_refuses_large_vocab_and_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.fks");
        let mut s = spec(100_000, false);
        s.dtype = Some(Dtype::U16);
        assert!(ShardWriter::create(&path, s).is_err());
        let mut w = ShardWriter::create(&path, spec(100, false)).unwrap();
        let err = w.append_docs(&[1, 100], &[2], None, true).unwrap_err();
        assert!(err.to_string().contains("token id 100"), "{err}");
    }

    #[test]
    fn copy_keeps_picked_documents() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.fks");
        let b = dir.path().join("b.fks");
        write(&a, &[vec![1], vec![2, 2]], 50, true);
        write(&b, &[vec![3, 3, 3]], 50, true);
        let out = dir.path().join("o.fks");
        let h = copy_docs(&[&a, &b], &[(1, 0), (0, 1)], &out).unwrap();
        assert_eq!((h.n_docs, h.n_tokens), (2, 7));
        let mut r = ShardReader::open(&out).unwrap();
        assert_eq!(r.read_doc(0).unwrap().0, vec![3, 3, 3, 49]);
        assert_eq!(
            r.read_doc(1).unwrap(),
            (vec![2, 2, 49], Some(vec![0, 0, 1]))
        );
    }
}
