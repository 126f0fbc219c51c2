//! MinHash signatures of word sequences.
//!
//! Speed choices: one reusable join buffer per call; shingle hashes are sorted and
//! de-duplicated before the permutations (the minimum over a multiset equals the minimum over
//! its set, and repetitive pages have many repeated shingles); the permutation loop is a
//! straight loop over `a`, `b` and the running minima, which the compiler vectorises apart
//! from the constant modulo.

use sha1::{Digest, Sha1};
use xxhash_rust::{xxh32::xxh32, xxh64::xxh64};

use super::{HashFn, MinhashConfig};

const MERSENNE: u64 = (1 << 61) - 1;

/// Hash of one shingle text, as datatrove's `sha1_hash64` / `sha1_hash32` / `xxhash64/32`.
pub fn shingle_hash(bytes: &[u8], hash_fn: HashFn, precision: u32) -> u64 {
    match (hash_fn, precision) {
        (HashFn::Sha1, 64) => {
            let d = Sha1::digest(bytes);
            let mut w = [0u8; 8];
            w.copy_from_slice(&d[..8]);
            u64::from_le_bytes(w)
        }
        (HashFn::Sha1, _) => {
            let d = Sha1::digest(bytes);
            u64::from(u32::from_le_bytes([d[0], d[1], d[2], d[3]]))
        }
        (HashFn::Xxhash, 64) => xxh64(bytes, 0),
        (HashFn::Xxhash, _) => u64::from(xxh32(bytes, 0)),
    }
}

/// The distinct shingle hashes of `words` (n-grams joined by one space), sorted.
/// Fewer words than `n` give no shingle (datatrove's `ngrams` yields nothing then).
pub fn shingles(words: &[&str], cfg: &MinhashConfig, out: &mut Vec<u64>) {
    out.clear();
    let n = cfg.n_grams;
    if words.len() < n {
        return;
    }
    let mut buf = String::new();
    for window in words.windows(n) {
        buf.clear();
        for (i, w) in window.iter().enumerate() {
            if i > 0 {
                buf.push(' ');
            }
            buf.push_str(w);
        }
        out.push(shingle_hash(buf.as_bytes(), cfg.hash_fn, cfg.precision));
    }
    out.sort_unstable();
    out.dedup();
}

/// Fills `sig` (`num_hashes` values) with the minima of the permuted shingle hashes.
/// Returns false (and leaves `sig` untouched) when there is no shingle.
pub fn signature_of_shingles(shingles: &[u64], cfg: &MinhashConfig, sig: &mut [u64]) -> bool {
    if shingles.is_empty() {
        return false;
    }
    sig.fill(u64::MAX);
    let mask = if cfg.precision == 32 {
        u64::from(u32::MAX)
    } else {
        u64::MAX
    };
    for &s in shingles {
        for ((m, &a), &b) in sig.iter_mut().zip(&cfg.a).zip(&cfg.b) {
            let v = (s.wrapping_mul(a).wrapping_add(b) % MERSENNE) & mask;
            if v < *m {
                *m = v;
            }
        }
    }
    true
}

/// Signature of a word sequence; false when it has fewer words than the n-gram size.
pub fn signature(
    words: &[&str],
    cfg: &MinhashConfig,
    scratch: &mut Vec<u64>,
    sig: &mut [u64],
) -> bool {
    shingles(words, cfg, scratch);
    signature_of_shingles(scratch, cfg, sig)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    pub(crate) fn config(buckets: usize, per: usize) -> MinhashConfig {
        // deterministic test parameters (Python draws the real ones like datatrove)
        let n = buckets * per;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % MERSENNE
        };
        let a: Vec<u64> = (0..n).map(|_| next().max(1)).collect();
        let b: Vec<u64> = (0..n).map(|_| next()).collect();
        MinhashConfig::new(5, buckets, per, HashFn::Sha1, 64, 1, a, b).unwrap()
    }

    #[test]
    fn sha1_matches_datatrove_definition() {
        // python: struct.unpack("<Q", hashlib.sha1(b"a b c d e").digest()[:8])[0]
        let d = Sha1::digest(b"a b c d e");
        let want = u64::from_le_bytes(d[..8].try_into().unwrap());
        assert_eq!(shingle_hash(b"a b c d e", HashFn::Sha1, 64), want);
    }

    #[test]
    fn short_documents_have_no_signature() {
        let cfg = config(2, 2);
        let mut scratch = Vec::new();
        let mut sig = vec![0u64; 4];
        assert!(!signature(
            &["a", "b", "c", "d"],
            &cfg,
            &mut scratch,
            &mut sig
        ));
        assert!(signature(
            &["a", "b", "c", "d", "e"],
            &cfg,
            &mut scratch,
            &mut sig
        ));
    }

    proptest! {
        // oracle: a naive set-based MinHash (no dedup, no sorting) gives the same signature,
        // and equal shingle sets give equal signatures
        #[test]
        fn equals_naive_set_minhash(words in prop::collection::vec("[a-e]{1,2}", 0..40)) {
            let cfg = config(3, 4);
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            let mut scratch = Vec::new();
            let mut sig = vec![0u64; 12];
            let has = signature(&refs, &cfg, &mut scratch, &mut sig);
            let set: HashSet<String> = refs.windows(5).map(|w| w.join(" ")).collect();
            prop_assert_eq!(has, !set.is_empty());
            if has {
                for (i, &got) in sig.iter().enumerate() {
                    let naive = set.iter().map(|s| {
                        let h = shingle_hash(s.as_bytes(), HashFn::Sha1, 64);
                        ((h as u128 * cfg.a[i] as u128 + cfg.b[i] as u128) % (1u128 << 64)) as u64 % MERSENNE
                    }).min().unwrap();
                    prop_assert_eq!(got, naive);
                }
            }
        }
    }

    #[test]
    fn collision_rate_estimates_jaccard() {
        // two sets with Jaccard 0.5: 300 shared shingles, 150 + 150 own
        let cfg = config(64, 4);
        let shared: Vec<u64> = (0..300).map(|i| i * 7919 + 1).collect();
        let mut x: Vec<u64> = shared.clone();
        x.extend((0..150).map(|i| 1_000_000 + i));
        let mut y = shared;
        y.extend((0..150).map(|i| 2_000_000 + i));
        x.sort_unstable();
        y.sort_unstable();
        let (mut sx, mut sy) = (vec![0; 256], vec![0; 256]);
        signature_of_shingles(&x, &cfg, &mut sx);
        signature_of_shingles(&y, &cfg, &mut sy);
        let equal = sx.iter().zip(&sy).filter(|(a, b)| a == b).count() as f64 / 256.0;
        assert!((equal - 0.5).abs() < 0.1, "{equal}");
    }
}
