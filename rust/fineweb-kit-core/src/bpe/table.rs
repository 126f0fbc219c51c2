//! The token -> rank lookup, laid out for the cache.
//!
//! Encoding is dominated by rank lookups (whole pieces, then pairs while merging). A general
//! `HashMap<Vec<u8>, Rank>` costs two or three cache misses per lookup (control bytes,
//! bucket, heap-allocated key). Here tokens of up to 8 bytes (the vast majority of lookups)
//! live inline in one open-addressing array of 16-byte slots (key packed in a `u64`, length,
//! rank): one cache line per lookup, and the hot (frequent) tokens stay cached. Longer tokens
//! go to an ordinary map.

use rustc_hash::FxHashMap;

use super::encoder::Rank;

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    key: u64,
    rank: Rank,
    /// 0 = empty slot.
    len: u32,
}

/// Token bytes -> rank.
#[derive(Clone, Debug)]
pub struct TokenTable {
    slots: Vec<Slot>,
    shift: u32,
    /// One bit per hash value (top `64 - filter_shift` bits of the hash): set if some short
    /// token hashes there. ~8 bits per token, so it stays in L2 and most lookups of
    /// non-tokens (frequent while merging) never touch `slots`.
    filter: Vec<u64>,
    filter_shift: u32,
    long: FxHashMap<Box<[u8]>, Rank>,
    len: usize,
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

impl TokenTable {
    /// An empty table sized for `n` tokens.
    pub fn with_capacity(n: usize) -> Self {
        // load factor <= 1/2 for short probe runs
        let bits = (n.max(16) * 2).next_power_of_two().trailing_zeros();
        Self {
            slots: vec![Slot::default(); 1 << bits],
            shift: 64 - bits,
            filter: vec![0; 1 << 10],
            filter_shift: 64 - 16,
            long: FxHashMap::default(),
            len: 0,
        }
    }

    #[inline(always)]
    fn hash(key: u64, len: usize) -> u64 {
        (key ^ ((len as u64) << 59)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[inline(always)]
    fn home(&self, key: u64, len: usize) -> usize {
        (Self::hash(key, len) >> self.shift) as usize
    }

    #[inline(always)]
    fn maybe(&self, h: u64) -> bool {
        let bit = (h >> self.filter_shift) as usize;
        self.filter[bit >> 6] & (1 << (bit & 63)) != 0
    }

    fn rebuild_filter(&mut self) {
        let want = (self.len.max(1 << 13) * 8).next_power_of_two();
        let bits = want.trailing_zeros();
        self.filter = vec![0; want / 64];
        self.filter_shift = 64 - bits;
        for i in 0..self.slots.len() {
            let s = self.slots[i];
            if s.len != 0 {
                let bit = (Self::hash(s.key, s.len as usize) >> self.filter_shift) as usize;
                self.filter[bit >> 6] |= 1 << (bit & 63);
            }
        }
    }

    /// Inserts `bytes -> rank`; returns the previous rank if `bytes` was present (kept).
    pub fn insert(&mut self, bytes: &[u8], rank: Rank) -> Option<Rank> {
        if bytes.len() > 8 {
            if let Some(&r) = self.long.get(bytes) {
                return Some(r);
            }
            self.long.insert(bytes.into(), rank);
            self.len += 1;
            return None;
        }
        if self.len * 2 >= self.slots.len() {
            self.grow();
        }
        let key = pack(bytes);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key, bytes.len());
        loop {
            let s = self.slots[i];
            if s.len == 0 {
                self.slots[i] = Slot {
                    key,
                    rank,
                    len: bytes.len() as u32,
                };
                self.len += 1;
                if self.len * 8 > self.filter.len() * 64 {
                    self.rebuild_filter();
                } else {
                    let bit = (Self::hash(key, bytes.len()) >> self.filter_shift) as usize;
                    self.filter[bit >> 6] |= 1 << (bit & 63);
                }
                return None;
            }
            if s.key == key && s.len as usize == bytes.len() {
                return Some(s.rank);
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let bits = (old.len() * 2).trailing_zeros();
        self.slots = vec![Slot::default(); 1 << bits];
        self.shift = 64 - bits;
        let mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| s.len != 0) {
            let mut i = self.home(s.key, s.len as usize);
            while self.slots[i].len != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }

    /// Replaces the rank of a present token.
    pub fn set(&mut self, bytes: &[u8], rank: Rank) {
        if bytes.len() > 8 {
            if let Some(r) = self.long.get_mut(bytes) {
                *r = rank;
            }
            return;
        }
        let key = pack(bytes);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key, bytes.len());
        while self.slots[i].len != 0 {
            if self.slots[i].key == key && self.slots[i].len as usize == bytes.len() {
                self.slots[i].rank = rank;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// The rank of `bytes`, if it is a token.
    #[inline(always)]
    pub fn get(&self, bytes: &[u8]) -> Option<Rank> {
        if bytes.len() > 8 {
            return self.long.get(bytes).copied();
        }
        let key = pack(bytes);
        let h = Self::hash(key, bytes.len());
        if !self.maybe(h) {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let s = &self.slots[i];
            if s.len == 0 {
                return None;
            }
            if s.key == key && s.len as usize == bytes.len() {
                return Some(s.rank);
            }
            i = (i + 1) & mask;
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
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
    }
}
