//! The token -> rank lookup, laid out for the cache.
//!
//! Encoding is dominated by rank lookups (whole pieces, then pairs while merging). A general
//! `HashMap<Vec<u8>, Rank>` costs two or three cache misses per lookup (control bytes,
//! bucket, heap-allocated key). Here tokens of up to 8 bytes (the vast majority of lookups)
//! live inline in one open-addressing array of 16-byte slots (key packed in a `u64`, length,
//! rank), tokens of 9 to 16 bytes in a second one of 24-byte slots (two overlapping `u64`s):
//! one cache line per lookup, no pointer to follow, and the hot (frequent) tokens stay
//! cached. Longer tokens (a few percent of a vocabulary) go to an ordinary map.

use rustc_hash::FxHashMap;

/// A token id. For mergeable tokens it is also the merge priority (lower merges first).
pub type Rank = u32;

/// A key packed into machine words: `u64` for 1..=8 bytes, `(u64, u64)` for 9..=16.
trait Key: Copy + Default + Eq {
    fn mix(self) -> u64;
}

impl Key for u64 {
    #[inline(always)]
    fn mix(self) -> u64 {
        self
    }
}

impl Key for (u64, u64) {
    #[inline(always)]
    fn mix(self) -> u64 {
        self.0 ^ self.1.rotate_left(29).wrapping_mul(0xA24B_AED4_963E_E407)
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot<K> {
    key: K,
    rank: Rank,
    /// 0 = empty slot.
    len: u32,
}

/// Open addressing (linear probing, load <= 1/2) with a one-bit-per-hash filter in front:
/// the filter (~8 bits per token) stays in L2, so most lookups of non-tokens (frequent
/// while merging) never touch `slots`.
#[derive(Clone, Debug)]
struct Inline<K> {
    slots: Vec<Slot<K>>,
    shift: u32,
    filter: Vec<u64>,
    filter_shift: u32,
    len: usize,
}

impl<K: Key> Inline<K> {
    fn with_capacity(n: usize) -> Self {
        let bits = (n.max(16) * 2).next_power_of_two().trailing_zeros();
        let mut t = Self {
            slots: vec![Slot::default(); 1 << bits],
            shift: 64 - bits,
            filter: Vec::new(),
            filter_shift: 0,
            len: 0,
        };
        t.rebuild_filter(n);
        t
    }

    #[inline(always)]
    fn hash(key: K, len: usize) -> u64 {
        (key.mix() ^ ((len as u64) << 59)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn rebuild_filter(&mut self, n: usize) {
        let want = (n.max(self.len).max(1 << 10) * 8).next_power_of_two();
        self.filter = vec![0; want / 64];
        self.filter_shift = 64 - want.trailing_zeros();
        for i in 0..self.slots.len() {
            let s = self.slots[i];
            if s.len != 0 {
                self.mark(Self::hash(s.key, s.len as usize));
            }
        }
    }

    #[inline(always)]
    fn mark(&mut self, h: u64) {
        let bit = (h >> self.filter_shift) as usize;
        self.filter[bit >> 6] |= 1 << (bit & 63);
    }

    #[inline(always)]
    fn maybe(&self, h: u64) -> bool {
        let bit = (h >> self.filter_shift) as usize;
        self.filter[bit >> 6] & (1 << (bit & 63)) != 0
    }

    /// The slot index of `key` or of the empty slot where it would go.
    #[inline(always)]
    fn find(&self, key: K, len: usize, h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let s = &self.slots[i];
            if s.len == 0 || (s.key == key && s.len as usize == len) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline(always)]
    fn get(&self, key: K, len: usize) -> Option<Rank> {
        let h = Self::hash(key, len);
        if !self.maybe(h) {
            return None;
        }
        let s = &self.slots[self.find(key, len, h)];
        (s.len != 0).then_some(s.rank)
    }

    fn insert(&mut self, key: K, len: usize, rank: Rank) -> Option<Rank> {
        if self.len * 10 >= self.slots.len() * 7 {
            self.grow();
        }
        let h = Self::hash(key, len);
        let i = self.find(key, len, h);
        if self.slots[i].len != 0 {
            return Some(self.slots[i].rank);
        }
        self.slots[i] = Slot {
            key,
            rank,
            len: len as u32,
        };
        self.len += 1;
        if self.len * 8 > self.filter.len() * 64 {
            self.rebuild_filter(self.len);
        } else {
            self.mark(h);
        }
        None
    }

    fn set(&mut self, key: K, len: usize, rank: Rank) {
        let i = self.find(key, len, Self::hash(key, len));
        if self.slots[i].len != 0 {
            self.slots[i].rank = rank;
        }
    }

    fn grow(&mut self) {
        let bits = (self.slots.len() * 2).trailing_zeros();
        self.resize(bits);
    }

    /// The smallest table that keeps the load at most 0.7 (less memory, more hits in the
    /// caches; a probe that misses is nearly always stopped by the filter first).
    fn fit(&mut self) {
        let want = ((self.len.max(8) * 10).div_ceil(7)).next_power_of_two();
        if want < self.slots.len() {
            self.resize(want.trailing_zeros());
        }
    }

    fn resize(&mut self, bits: u32) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![Slot::default(); 1 << bits];
        self.shift = 64 - bits;
        for s in old.into_iter().filter(|s| s.len != 0) {
            let i = self.find(s.key, s.len as usize, Self::hash(s.key, s.len as usize));
            self.slots[i] = s;
        }
    }
}

/// Token bytes -> rank.
#[derive(Clone, Debug)]
pub struct TokenTable {
    short: Inline<u64>,
    mid: Inline<(u64, u64)>,
    long: FxHashMap<Box<[u8]>, Rank>,
}

/// The bytes of a slice of length 1..=8 as a little-endian integer (no memcpy call: two
/// overlapping loads for 4..=8 bytes, three byte loads for 1..=3).
#[inline(always)]
fn pack(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
        let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]) as u64;
        lo | (hi << ((n - 4) * 8))
    } else if n > 0 {
        (b[0] as u64) | ((b[n / 2] as u64) << ((n / 2) * 8)) | ((b[n - 1] as u64) << ((n - 1) * 8))
    } else {
        0
    }
}

/// A slice of length 9..=16 as its first and last 8 bytes (overlapping; with the length
/// this determines the bytes).
#[inline(always)]
fn pack2(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    (word(b, 0), word(b, n - 8))
}

/// The 8 bytes of `b` from `i` as a little-endian integer.
#[inline(always)]
pub(crate) fn word(b: &[u8], i: usize) -> u64 {
    let c: [u8; 8] = b[i..i + 8].try_into().unwrap_or([0; 8]);
    u64::from_le_bytes(c)
}

impl TokenTable {
    /// An empty table sized for `n` tokens.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            short: Inline::with_capacity(n),
            mid: Inline::with_capacity(n / 4),
            long: FxHashMap::default(),
        }
    }

    /// Inserts `bytes -> rank`; returns the previous rank if `bytes` was present (kept).
    pub fn insert(&mut self, bytes: &[u8], rank: Rank) -> Option<Rank> {
        match bytes.len() {
            0..=8 => self.short.insert(pack(bytes), bytes.len(), rank),
            9..=16 => self.mid.insert(pack2(bytes), bytes.len(), rank),
            _ => {
                if let Some(&r) = self.long.get(bytes) {
                    return Some(r);
                }
                self.long.insert(bytes.into(), rank);
                None
            }
        }
    }

    /// Replaces the rank of a present token.
    pub fn set(&mut self, bytes: &[u8], rank: Rank) {
        match bytes.len() {
            0..=8 => self.short.set(pack(bytes), bytes.len(), rank),
            9..=16 => self.mid.set(pack2(bytes), bytes.len(), rank),
            _ => {
                if let Some(r) = self.long.get_mut(bytes) {
                    *r = rank;
                }
            }
        }
    }

    /// The rank of `bytes`, if it is a token.
    #[inline(always)]
    pub fn get(&self, bytes: &[u8]) -> Option<Rank> {
        let n = bytes.len();
        if n <= 8 {
            self.short.get(pack(bytes), n)
        } else if n <= 16 {
            self.mid.get(pack2(bytes), n)
        } else {
            self.long.get(bytes).copied()
        }
    }

    /// Shrinks the tables to their contents once every token is inserted.
    pub fn fit(&mut self) {
        self.short.fit();
        self.mid.fit();
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.short.len + self.mid.len + self.long.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_grow() {
        let mut t = TokenTable::with_capacity(4);
        let toks: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| format!("{i}-").into_bytes().repeat(1 + (i as usize % 4)))
            .collect();
        for (i, tok) in toks.iter().enumerate() {
            assert_eq!(t.insert(tok, i as Rank), None);
        }
        for (i, tok) in toks.iter().enumerate() {
            assert_eq!(t.get(tok), Some(i as Rank));
        }
        assert_eq!(t.get(b""), None);
        assert_eq!(t.get(b"\0"), None);
        assert_eq!(t.insert(&toks[3], 99), Some(3));
        t.set(&toks[3], 1);
        assert_eq!(t.get(&toks[3]), Some(1));
        assert_eq!(t.len(), 5000);
    }

    #[test]
    fn pack_is_little_endian_bytes() {
        for n in 0..=8usize {
            let b: Vec<u8> = (1..=n as u8).collect();
            let mut buf = [0u8; 8];
            buf[..n].copy_from_slice(&b);
            assert_eq!(pack(&b), u64::from_le_bytes(buf), "{n}");
        }
    }

    #[test]
    fn zero_bytes_are_distinct_by_length() {
        let mut t = TokenTable::with_capacity(4);
        t.insert(b"\0", 1);
        t.insert(b"\0\0", 2);
        assert_eq!(t.get(b"\0"), Some(1));
        assert_eq!(t.get(b"\0\0"), Some(2));
        assert_eq!(t.get(b"\0\0\0"), None);
        t.insert(&[0; 9], 3);
        t.insert(&[0; 16], 4);
        t.insert(&[0; 17], 5);
        assert_eq!(t.get(&[0; 9]), Some(3));
        assert_eq!(t.get(&[0; 10]), None);
        assert_eq!(t.get(&[0; 16]), Some(4));
        assert_eq!(t.get(&[0; 17]), Some(5));
        assert_eq!(t.len(), 5);
    }
}
