//! Streaming shard writer: tokens go to disk as they come; the header is written last.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use xxhash_rust::xxh3::Xxh3;

use super::format::{layout, Boundary, Dtype, Header, HEADER_LEN};
use fineweb_kit_base::{CoreError, CoreResult};

/// What a new shard records about its tokens.
#[derive(Clone, Debug)]
pub struct ShardSpec {
    pub vocab_size: u64,
    /// `None`: the narrowest width for `vocab_size`.
    pub dtype: Option<Dtype>,
    pub fingerprint: [u8; 32],
    pub boundary: Boundary,
    pub boundary_token: Option<u32>,
    pub with_mask: bool,
}

/// Writes one shard file. Call [`ShardWriter::finish`] to complete it; a writer dropped
/// without `finish` leaves an invalid file (its header is all zeros), never a wrong one.
pub struct ShardWriter {
    path: String,
    out: BufWriter<File>,
    dtype: Dtype,
    spec: ShardSpec,
    hasher: Xxh3,
    ends: Vec<u64>,
    mask: Option<Vec<u8>>,
    n_tokens: u64,
    buf: Vec<u8>,
}

impl ShardWriter {
    /// Creates (truncates) `path` and reserves the header.
    pub fn create(path: &Path, spec: ShardSpec) -> CoreResult<ShardWriter> {
        let name = path.display().to_string();
        let auto = Dtype::for_vocab(spec.vocab_size)?;
        let dtype = match spec.dtype {
            Some(d) if spec.vocab_size > d.max_vocab() => {
                return Err(CoreError::InvalidArgument(format!(
                    "a vocabulary of {} tokens does not fit dtype {} (at most {} ids); use {}",
                    spec.vocab_size,
                    d.name(),
                    d.max_vocab(),
                    auto.name()
                )))
            }
            Some(d) => d,
            None => auto,
        };
        match (spec.boundary, spec.boundary_token) {
            (Boundary::None, Some(_)) | (Boundary::Append | Boundary::Prepend, None) => {
                return Err(CoreError::InvalidArgument(format!(
                    "boundary {} needs {} boundary token",
                    spec.boundary.name(),
                    if spec.boundary == Boundary::None {
                        "no"
                    } else {
                        "a"
                    }
                )))
            }
            (_, Some(t)) if u64::from(t) >= spec.vocab_size => {
                return Err(CoreError::InvalidArgument(format!(
                    "boundary token {t} >= vocabulary size {}",
                    spec.vocab_size
                )))
            }
            _ => {}
        }
        let file = File::create(path).map_err(|e| CoreError::io(&name, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0u8; HEADER_LEN])
            .map_err(|e| CoreError::io(&name, e))?;
        Ok(ShardWriter {
            path: name,
            out,
            dtype,
            mask: spec.with_mask.then(Vec::new),
            spec,
            hasher: Xxh3::new(),
            ends: Vec::new(),
            n_tokens: 0,
            buf: Vec::new(),
        })
    }

    /// Tokens written so far.
    pub fn n_tokens(&self) -> u64 {
        self.n_tokens
    }

    /// Documents written so far.
    pub fn n_docs(&self) -> u64 {
        self.ends.len() as u64
    }

    /// The token width in use.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// Appends documents given as one flat id array and each document's exclusive end in it.
    /// With `add_boundary`, the boundary token is added to each document (after or before it,
    /// as the spec says; the mask gets 1 for it). `mask`, when the shard has one, is one byte
    /// per id of `flat`.
    pub fn append_docs(
        &mut self,
        flat: &[u32],
        ends: &[u64],
        mask: Option<&[u8]>,
        add_boundary: bool,
    ) -> CoreResult<()> {
        check_ends(flat.len() as u64, ends)?;
        match (&self.mask, mask) {
            (Some(_), Some(m)) if m.len() != flat.len() => {
                return Err(CoreError::InvalidArgument(format!(
                    "mask has {} entries for {} tokens",
                    m.len(),
                    flat.len()
                )))
            }
            (Some(_), None) => {
                return Err(CoreError::InvalidArgument(
                    "this shard has a loss mask: pass one".to_string(),
                ))
            }
            (None, Some(_)) => {
                return Err(CoreError::InvalidArgument(
                    "this shard was created without a loss mask".to_string(),
                ))
            }
            _ => {}
        }
        if let Some(pos) = flat
            .iter()
            .position(|&t| u64::from(t) >= self.spec.vocab_size)
        {
            let doc = ends.partition_point(|&e| e <= pos as u64);
            return Err(CoreError::InvalidArgument(format!(
                "token id {} (document {doc} of the batch, position {pos}) >= vocabulary size {}",
                flat[pos], self.spec.vocab_size
            )));
        }
        let boundary = if add_boundary {
            self.spec.boundary_token.map(|t| (t, self.spec.boundary))
        } else {
            None
        };
        let mut start = 0usize;
        for &end in ends {
            let end = end as usize;
            if let Some((t, Boundary::Prepend)) = boundary {
                self.push(&[t], Some(&[1]))?;
            }
            self.push(&flat[start..end], mask.map(|m| &m[start..end]))?;
            if let Some((t, Boundary::Append)) = boundary {
                self.push(&[t], Some(&[1]))?;
            }
            self.ends.push(self.n_tokens);
            start = end;
        }
        Ok(())
    }

    fn push(&mut self, ids: &[u32], mask: Option<&[u8]>) -> CoreResult<()> {
        self.buf.clear();
        match self.dtype {
            // Ids were checked against vocab_size <= 65536 for U16, so `as u16` is exact.
            Dtype::U16 => ids
                .iter()
                .for_each(|&t| self.buf.extend_from_slice(&(t as u16).to_le_bytes())),
            Dtype::U32 => ids
                .iter()
                .for_each(|&t| self.buf.extend_from_slice(&t.to_le_bytes())),
        }
        self.hasher.update(&self.buf);
        self.out
            .write_all(&self.buf)
            .map_err(|e| CoreError::io(&self.path, e))?;
        if let (Some(m), Some(src)) = (self.mask.as_mut(), mask) {
            m.extend(src.iter().map(|&b| u8::from(b != 0)));
        }
        self.n_tokens += ids.len() as u64;
        Ok(())
    }

    /// Writes the index, the mask and the header, syncs, and returns the header.
    pub fn finish(mut self) -> CoreResult<Header> {
        let n_docs = self.ends.len() as u64;
        let (index_offset, mask_offset, file_len) =
            layout(self.dtype, self.n_tokens, n_docs, self.mask.is_some());
        let io = |e| CoreError::io(&self.path, e);
        let tokens_end = HEADER_LEN as u64 + self.n_tokens * self.dtype.width();
        pad(&mut self.out, index_offset - tokens_end).map_err(io)?;
        let index: Vec<u8> = self.ends.iter().flat_map(|e| e.to_le_bytes()).collect();
        self.out.write_all(&index).map_err(io)?;
        let mut mask_xxh3 = 0;
        if let Some(m) = &self.mask {
            pad(
                &mut self.out,
                mask_offset - index_offset - index.len() as u64,
            )
            .map_err(io)?;
            self.out.write_all(m).map_err(io)?;
            mask_xxh3 = xxhash_rust::xxh3::xxh3_64(m);
        }
        let header = Header {
            dtype: self.dtype,
            boundary: self.spec.boundary,
            boundary_token: self.spec.boundary_token,
            vocab_size: self.spec.vocab_size,
            n_tokens: self.n_tokens,
            n_docs,
            fingerprint: self.spec.fingerprint,
            has_mask: self.mask.is_some(),
            tokens_offset: HEADER_LEN as u64,
            index_offset,
            mask_offset,
            file_len,
            tokens_xxh3: self.hasher.digest(),
            index_xxh3: xxhash_rust::xxh3::xxh3_64(&index),
            mask_xxh3,
        };
        self.out.seek(SeekFrom::Start(0)).map_err(io)?;
        self.out.write_all(&header.encode()).map_err(io)?;
        let file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(|e| CoreError::io(&self.path, e))?;
        Ok(header)
    }
}

fn pad(out: &mut impl Write, n: u64) -> std::io::Result<()> {
    out.write_all(&vec![0u8; n as usize])
}

/// `ends` must be non-decreasing and end at `n` (or be empty with `n == 0`).
fn check_ends(n: u64, ends: &[u64]) -> CoreResult<()> {
    let mut prev = 0;
    for (i, &e) in ends.iter().enumerate() {
        if e < prev || e > n {
            return Err(CoreError::InvalidArgument(format!(
                "document end {e} at index {i} is out of order or past the {n} tokens given"
            )));
        }
        prev = e;
    }
    if prev != n {
        return Err(CoreError::InvalidArgument(format!(
            "document ends cover {prev} of the {n} tokens given"
        )));
    }
    Ok(())
}
