//! FineWeb's MinHash near-duplicate detection, as four stages over files.
//!
//! 1. [`signature`]: per document, hash every word n-gram (shingle), apply `buckets x
//!    hashes_per_bucket` universal-hash permutations and keep each minimum; [`sink`] writes,
//!    per input file and bucket, the records sorted (spilling sorted runs when over budget).
//! 2. [`buckets`]: per bucket, external merge of all its runs; equal bucket signatures next
//!    to each other give duplicate pairs.
//! 3. [`cluster`]: union-find over all pairs; each cluster keeps its smallest document id
//!    (first input file, first document), all others are removed.
//! 4. The Python `MinhashFilter` step drops the removed documents while re-reading the input.
//!
//! Hashing follows datatrove (`pipeline/dedup/minhash.py`): shingle = words joined by one
//! space, hashed with SHA-1 (first 8 bytes, little-endian; first 4 for 32-bit precision) or
//! xxHash; permutation `h -> ((h * a + b) mod 2^64) mod (2^61 - 1)` (numpy's uint64
//! arithmetic wraps), `a`, `b` drawn by the caller (Python draws them exactly like datatrove,
//! from `numpy.random.RandomState(seed)`), so with the same words our signatures are
//! bit-identical to datatrove's.

pub mod buckets;
pub mod cluster;
pub mod signature;
pub mod sink;

use fineweb_kit_base::{CoreError, CoreResult};
use xxhash_rust::xxh3::Xxh3;

/// How shingles are hashed before the permutations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashFn {
    Sha1,
    Xxhash,
}

impl HashFn {
    /// Parses `"sha1"` or `"xxhash"`.
    pub fn parse(name: &str) -> CoreResult<Self> {
        match name {
            "sha1" => Ok(HashFn::Sha1),
            "xxhash" => Ok(HashFn::Xxhash),
            _ => Err(CoreError::InvalidArgument(format!(
                "hash function {name:?}: expected \"sha1\" or \"xxhash\""
            ))),
        }
    }
}

/// Everything that determines a signature. Its [`MinhashConfig::fingerprint`] is written into
/// every intermediate file; files of another configuration are refused.
#[derive(Clone, Debug)]
pub struct MinhashConfig {
    pub n_grams: usize,
    pub num_buckets: usize,
    pub hashes_per_bucket: usize,
    pub hash_fn: HashFn,
    /// 32 or 64.
    pub precision: u32,
    pub seed: u64,
    /// Permutation multipliers, one per hash (`num_buckets * hashes_per_bucket`).
    pub a: Vec<u64>,
    /// Permutation offsets, one per hash.
    pub b: Vec<u64>,
}

impl MinhashConfig {
    /// Validates the parameters.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        n_grams: usize,
        num_buckets: usize,
        hashes_per_bucket: usize,
        hash_fn: HashFn,
        precision: u32,
        seed: u64,
        a: Vec<u64>,
        b: Vec<u64>,
    ) -> CoreResult<Self> {
        let bad = |m: String| Err(CoreError::InvalidArgument(m));
        if n_grams == 0 || num_buckets == 0 || hashes_per_bucket == 0 {
            return bad("n_grams, num_buckets and hashes_per_bucket must be >= 1".into());
        }
        if precision != 32 && precision != 64 {
            return bad(format!("precision {precision}: expected 32 or 64"));
        }
        let n = num_buckets * hashes_per_bucket;
        if a.len() != n || b.len() != n {
            return bad(format!(
                "need {n} permutation parameters a and b, got {} and {}",
                a.len(),
                b.len()
            ));
        }
        Ok(MinhashConfig {
            n_grams,
            num_buckets,
            hashes_per_bucket,
            hash_fn,
            precision,
            seed,
            a,
            b,
        })
    }

    /// Total hashes per document.
    pub fn num_hashes(&self) -> usize {
        self.num_buckets * self.hashes_per_bucket
    }

    /// u64 words per bucket record: the bucket's hashes and the document id.
    pub fn record_words(&self) -> usize {
        self.hashes_per_bucket + 1
    }

    /// Hash of every parameter (format version included via the file header).
    pub fn fingerprint(&self) -> u64 {
        let mut h = Xxh3::new();
        for v in [
            self.n_grams as u64,
            self.num_buckets as u64,
            self.hashes_per_bucket as u64,
            self.hash_fn as u64,
            u64::from(self.precision),
            self.seed,
        ] {
            h.update(&v.to_le_bytes());
        }
        for v in self.a.iter().chain(&self.b) {
            h.update(&v.to_le_bytes());
        }
        h.digest()
    }
}
