//! The shard header: layout constants, encoding and validation (see the module doc of
//! [`crate`] for the byte layout).

use fineweb_kit_base::{CoreError, CoreResult};
use xxhash_rust::xxh3::xxh3_64;

/// First 8 bytes of every shard.
pub const MAGIC: [u8; 8] = *b"FWKSHRD\0";
/// The format version this code writes and reads.
pub const VERSION: u32 = 1;
/// Size of the fixed header; the token array starts here.
pub const HEADER_LEN: usize = 256;
/// Sections start at multiples of this.
pub const ALIGN: u64 = 64;
const NO_TOKEN: u32 = u32::MAX;
const HEADER_SUM_AT: usize = 248;

/// Width of a stored token id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    U16,
    U32,
}

impl Dtype {
    /// Bytes per token.
    pub fn width(self) -> u64 {
        match self {
            Dtype::U16 => 2,
            Dtype::U32 => 4,
        }
    }

    /// The narrowest width that holds every id of a vocabulary of `vocab_size` tokens.
    pub fn for_vocab(vocab_size: u64) -> CoreResult<Dtype> {
        match vocab_size {
            0 => Err(CoreError::InvalidArgument(
                "vocabulary size must be > 0".to_string(),
            )),
            1..=65_536 => Ok(Dtype::U16),
            65_537..=4_294_967_296 => Ok(Dtype::U32),
            _ => Err(CoreError::InvalidArgument(format!(
                "vocabulary size {vocab_size} does not fit in 32-bit token ids"
            ))),
        }
    }

    /// Parses "u16" / "u32".
    pub fn parse(name: &str) -> CoreResult<Dtype> {
        match name {
            "u16" | "uint16" => Ok(Dtype::U16),
            "u32" | "uint32" => Ok(Dtype::U32),
            _ => Err(CoreError::InvalidArgument(format!(
                "dtype must be 'u16' or 'u32', got {name:?}"
            ))),
        }
    }

    /// "u16" / "u32".
    pub fn name(self) -> &'static str {
        match self {
            Dtype::U16 => "u16",
            Dtype::U32 => "u32",
        }
    }

    /// Largest vocabulary this width can hold.
    pub fn max_vocab(self) -> u64 {
        1u64 << (8 * self.width())
    }
}

/// Where the boundary token goes relative to each document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundary {
    /// No boundary token.
    None,
    /// After each document (GPT-2's `<|endoftext|>`).
    Append,
    /// Before each document (a BOS token, as in llm.c's and modded-nanogpt's shards).
    Prepend,
}

impl Boundary {
    fn code(self) -> u32 {
        match self {
            Boundary::None => 0,
            Boundary::Append => 1,
            Boundary::Prepend => 2,
        }
    }

    fn from_code(code: u32) -> Option<Boundary> {
        match code {
            0 => Some(Boundary::None),
            1 => Some(Boundary::Append),
            2 => Some(Boundary::Prepend),
            _ => None,
        }
    }

    /// Parses "none" / "append" / "prepend".
    pub fn parse(name: &str) -> CoreResult<Boundary> {
        match name {
            "none" => Ok(Boundary::None),
            "append" => Ok(Boundary::Append),
            "prepend" => Ok(Boundary::Prepend),
            _ => Err(CoreError::InvalidArgument(format!(
                "boundary must be 'append', 'prepend' or 'none', got {name:?}"
            ))),
        }
    }

    /// "none" / "append" / "prepend".
    pub fn name(self) -> &'static str {
        match self {
            Boundary::None => "none",
            Boundary::Append => "append",
            Boundary::Prepend => "prepend",
        }
    }
}

/// Everything the header records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub dtype: Dtype,
    pub boundary: Boundary,
    /// The boundary token id, `None` when `boundary` is [`Boundary::None`].
    pub boundary_token: Option<u32>,
    pub vocab_size: u64,
    pub n_tokens: u64,
    pub n_docs: u64,
    pub fingerprint: [u8; 32],
    pub has_mask: bool,
    pub tokens_offset: u64,
    pub index_offset: u64,
    pub mask_offset: u64,
    pub file_len: u64,
    pub tokens_xxh3: u64,
    pub index_xxh3: u64,
    pub mask_xxh3: u64,
}

/// Rounds `n` up to a multiple of [`ALIGN`].
pub fn align(n: u64) -> u64 {
    n.div_ceil(ALIGN) * ALIGN
}

/// Section offsets and file length for a shard of this shape:
/// `(index_offset, mask_offset, file_len)`.
pub fn layout(dtype: Dtype, n_tokens: u64, n_docs: u64, has_mask: bool) -> (u64, u64, u64) {
    let index_offset = align(HEADER_LEN as u64 + n_tokens * dtype.width());
    let index_end = index_offset + 8 * n_docs;
    if has_mask {
        let mask_offset = align(index_end);
        (index_offset, mask_offset, mask_offset + n_tokens)
    } else {
        (index_offset, 0, index_end)
    }
}

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_u32(buf: &[u8; HEADER_LEN], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(b)
}

fn get_u64(buf: &[u8; HEADER_LEN], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

impl Header {
    /// The 256 header bytes, checksum included.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        put_u32(&mut b, 8, VERSION);
        put_u32(&mut b, 12, self.dtype.width() as u32);
        put_u32(&mut b, 16, u32::from(self.has_mask));
        put_u32(&mut b, 20, self.boundary.code());
        put_u32(&mut b, 24, self.boundary_token.unwrap_or(NO_TOKEN));
        put_u64(&mut b, 32, self.vocab_size);
        put_u64(&mut b, 40, self.n_tokens);
        put_u64(&mut b, 48, self.n_docs);
        b[56..88].copy_from_slice(&self.fingerprint);
        put_u64(&mut b, 88, self.tokens_offset);
        put_u64(&mut b, 96, self.index_offset);
        put_u64(&mut b, 104, self.mask_offset);
        put_u64(&mut b, 112, self.file_len);
        put_u64(&mut b, 120, self.tokens_xxh3);
        put_u64(&mut b, 128, self.index_xxh3);
        put_u64(&mut b, 136, self.mask_xxh3);
        let sum = xxh3_64(&b[..HEADER_SUM_AT]);
        put_u64(&mut b, HEADER_SUM_AT, sum);
        b
    }

    /// Parses and checks a header read from `path` (named in every error). Checks magic,
    /// version, header checksum and that the section layout matches the counts; the file's
    /// actual length is checked by the reader.
    pub fn decode(b: &[u8; HEADER_LEN], path: &str) -> CoreResult<Header> {
        let bad = |msg: String| CoreError::Format(format!("{path}: {msg}"));
        if b[0..8] != MAGIC {
            return Err(bad(format!(
                "not a fineweb-kit token shard (magic {:?}, expected {:?})",
                String::from_utf8_lossy(&b[0..8]),
                String::from_utf8_lossy(&MAGIC)
            )));
        }
        let version = get_u32(b, 8);
        if version != VERSION {
            return Err(bad(format!(
                "shard format version {version}, this fineweb-kit reads version {VERSION} \
                 (re-create the shard or use a matching fineweb-kit)"
            )));
        }
        let stored = get_u64(b, HEADER_SUM_AT);
        let actual = xxh3_64(&b[..HEADER_SUM_AT]);
        if stored != actual {
            return Err(bad(format!(
                "header checksum mismatch at offset {HEADER_SUM_AT} (stored {stored:#018x}, \
                 computed {actual:#018x}): the header is damaged"
            )));
        }
        let dtype = match get_u32(b, 12) {
            2 => Dtype::U16,
            4 => Dtype::U32,
            w => {
                return Err(bad(format!(
                    "token width {w} at offset 12 (expected 2 or 4)"
                )))
            }
        };
        let flags = get_u32(b, 16);
        if flags & !1 != 0 {
            return Err(bad(format!("unknown flags {flags:#x} at offset 16")));
        }
        let boundary = Boundary::from_code(get_u32(b, 20))
            .ok_or_else(|| bad(format!("boundary mode {} at offset 20", get_u32(b, 20))))?;
        let token = get_u32(b, 24);
        let boundary_token = (boundary != Boundary::None).then_some(token);
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(&b[56..88]);
        let h = Header {
            dtype,
            boundary,
            boundary_token,
            vocab_size: get_u64(b, 32),
            n_tokens: get_u64(b, 40),
            n_docs: get_u64(b, 48),
            fingerprint,
            has_mask: flags & 1 == 1,
            tokens_offset: get_u64(b, 88),
            index_offset: get_u64(b, 96),
            mask_offset: get_u64(b, 104),
            file_len: get_u64(b, 112),
            tokens_xxh3: get_u64(b, 120),
            index_xxh3: get_u64(b, 128),
            mask_xxh3: get_u64(b, 136),
        };
        h.check_layout().map_err(bad)?;
        Ok(h)
    }

    fn check_layout(&self) -> Result<(), String> {
        if self.vocab_size == 0 || self.vocab_size > self.dtype.max_vocab() {
            return Err(format!(
                "vocabulary size {} does not fit token width {}",
                self.vocab_size,
                self.dtype.width()
            ));
        }
        if let Some(t) = self.boundary_token {
            if u64::from(t) >= self.vocab_size {
                return Err(format!(
                    "boundary token {t} >= vocabulary size {}",
                    self.vocab_size
                ));
            }
        }
        let limit = 1u64 << 56;
        if self.n_tokens > limit || self.n_docs > limit {
            return Err(format!(
                "implausible counts: {} tokens, {} documents",
                self.n_tokens, self.n_docs
            ));
        }
        let (index_offset, mask_offset, file_len) =
            layout(self.dtype, self.n_tokens, self.n_docs, self.has_mask);
        let expected = (HEADER_LEN as u64, index_offset, mask_offset, file_len);
        let actual = (
            self.tokens_offset,
            self.index_offset,
            self.mask_offset,
            self.file_len,
        );
        if expected != actual {
            return Err(format!(
                "section offsets {actual:?} do not match the counts (expected {expected:?})"
            ));
        }
        Ok(())
    }

    /// The fingerprint as lowercase hex.
    pub fn fingerprint_hex(&self) -> String {
        self.fingerprint
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(n_tokens: u64, n_docs: u64, has_mask: bool) -> Header {
        let (index_offset, mask_offset, file_len) = layout(Dtype::U16, n_tokens, n_docs, has_mask);
        Header {
            dtype: Dtype::U16,
            boundary: Boundary::Append,
            boundary_token: Some(7),
            vocab_size: 100,
            n_tokens,
            n_docs,
            fingerprint: [3u8; 32],
            has_mask,
            tokens_offset: HEADER_LEN as u64,
            index_offset,
            mask_offset,
            file_len,
            tokens_xxh3: 1,
            index_xxh3: 2,
            mask_xxh3: 3,
        }
    }

    proptest! {
        #[test]
        fn header_round_trips(n_tokens in 0u64..1_000_000, n_docs in 0u64..10_000, m: bool) {
            let h = sample(n_tokens, n_docs, m);
            prop_assert_eq!(Header::decode(&h.encode(), "x").unwrap(), h);
        }

        #[test]
        fn any_flipped_header_bit_is_refused(byte in 0usize..HEADER_LEN, bit in 0u8..8) {
            let mut b = sample(1000, 10, true).encode();
            b[byte] ^= 1 << bit;
            prop_assert!(Header::decode(&b, "x").is_err());
        }
    }

    #[test]
    fn dtype_follows_vocab() {
        assert_eq!(Dtype::for_vocab(50_257).unwrap(), Dtype::U16);
        assert_eq!(Dtype::for_vocab(65_536).unwrap(), Dtype::U16);
        assert_eq!(Dtype::for_vocab(65_537).unwrap(), Dtype::U32);
        assert!(Dtype::for_vocab(0).is_err());
    }

    #[test]
    fn wrong_version_names_both_versions() {
        let mut b = sample(10, 1, false).encode();
        b[8] = 9;
        let err = Header::decode(&b, "s.fks").unwrap_err().to_string();
        assert!(err.contains("s.fks") && err.contains("version 9"), "{err}");
    }
}
