//! A bounded `piece bytes -> ids` cache for pieces that needed merging.
//!
//! Natural text repeats its rare words (Zipf), so most merges can be computed once. Each
//! tokenizer owns a small pool of these caches, one per thread encoding with it at a time
//! (see [`CachePool`]): two tokenizers used in turn never evict each other's entries, and
//! threads never share (or lock) a cache while encoding.
//!
//! Layout: one open-addressing table of 16-byte entries (hash tag, where the key and the ids
//! are) over two arenas (key bytes, ids), so a lookup is a probe and a `memcmp`, and the
//! whole cache is three allocations. They start small and double as pieces come (so a small
//! working set stays in a small, cache-resident table), up to a memory cap: when an insert
//! would pass the cap, the cache is emptied (its allocations kept) and refills with the
//! pieces the text repeats.

use std::sync::Mutex;

use super::table::Rank;

#[derive(Clone, Copy, Default)]
struct Entry {
    /// High 32 bits of the hash (its low bits pick the slot); entries with `ids_len == 0` are
    /// empty.
    tag: u32,
    key_at: u32,
    ids_at: u32,
    key_len: u16,
    ids_len: u16,
}

/// One thread's cache (see the module doc).
pub struct PieceCache {
    table: Vec<Entry>,
    keys: Vec<u8>,
    ids: Vec<Rank>,
    len: usize,
    max_bytes: usize,
}

#[inline(always)]
fn hash(piece: &[u8]) -> u64 {
    // FxHash-style over 8-byte words, the length folded in: pieces are short.
    let mut h = (piece.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut chunks = piece.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = 0u64;
        for (k, &x) in rest.iter().enumerate() {
            w |= (x as u64) << (8 * k);
        }
        h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
    h ^ (h >> 29)
}

impl PieceCache {
    /// An empty cache that never holds more than `max_bytes` (table + keys + ids); nothing is
    /// allocated until the first insert.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            table: Vec::new(),
            keys: Vec::new(),
            ids: Vec::new(),
            len: 0,
            max_bytes,
        }
    }

    /// Makes room for one more piece of `key_len` bytes and `ids_len` ids: doubles the table
    /// (load <= 1/2) or an arena while the total stays within the cap, else empties the cache
    /// (allocations kept). False if the piece cannot fit even in an empty cache.
    ///
    /// Growing, not allocating the cap up front, keeps a small working set (a short text, a
    /// few thousand distinct pieces) in a small table that stays in the L1/L2 cache.
    fn make_room(&mut self, key_len: usize, ids_len: usize) -> bool {
        let entry = std::mem::size_of::<Entry>();
        let rank = std::mem::size_of::<Rank>();
        // Capacity each part needs to take this piece; the first table is 4096 slots (64 kB),
        // or a quarter of a smaller cap.
        let want_slots = if self.table.is_empty() {
            let mut slots = 1 << 12;
            while slots > 4 && slots * entry > self.max_bytes / 4 {
                slots /= 2;
            }
            slots
        } else if (self.len + 1) * 2 > self.table.len() {
            self.table.len() * 2
        } else {
            self.table.len()
        };
        // Arenas start at 4096 entries (fewer under a cap below 64 kB) and double.
        let first = (self.max_bytes / 16).clamp(16, 1 << 12);
        let grow = |cap: usize, need: usize| {
            if need <= cap {
                cap
            } else {
                need.max(cap * 2).max(first)
            }
        };
        let want_keys = grow(self.keys.capacity(), self.keys.len() + key_len);
        let want_ids = grow(self.ids.capacity(), self.ids.len() + ids_len);
        if want_slots * entry + want_keys + want_ids * rank <= self.max_bytes {
            if want_slots != self.table.len() {
                self.rehash(want_slots);
            }
            self.keys.reserve_exact(want_keys - self.keys.len());
            self.ids.reserve_exact(want_ids - self.ids.len());
            return true;
        }
        // Full: start again (within the allocations made so far).
        self.clear();
        !self.table.is_empty() && key_len <= self.keys.capacity() && ids_len <= self.ids.capacity()
    }

    /// Moves every entry into a table of `slots` slots.
    fn rehash(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.table, vec![Entry::default(); slots]);
        let mask = slots - 1;
        for e in old.into_iter().filter(|e| e.ids_len != 0) {
            // The tag is the hash's high half, which also picks the slot: no key is read.
            let mut i = e.tag as usize & mask;
            while self.table[i].ids_len != 0 {
                i = (i + 1) & mask;
            }
            self.table[i] = e;
        }
    }

    /// Bytes of memory held now (table + arenas, capacities counted).
    pub fn memory(&self) -> usize {
        self.table.capacity() * std::mem::size_of::<Entry>()
            + self.keys.capacity()
            + self.ids.capacity() * std::mem::size_of::<Rank>()
    }

    /// The cap given at creation.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Number of cached pieces.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every piece (keeps the allocations).
    pub fn clear(&mut self) {
        self.table.fill(Entry::default());
        self.keys.clear();
        self.ids.clear();
        self.len = 0;
    }

    /// The ids of `piece`, if cached.
    #[inline]
    pub fn get(&self, piece: &[u8]) -> Option<&[Rank]> {
        if self.len == 0 {
            return None;
        }
        let tag = (hash(piece) >> 32) as u32;
        let mask = self.table.len() - 1;
        let mut i = tag as usize & mask;
        loop {
            let e = &self.table[i];
            if e.ids_len == 0 {
                return None;
            }
            if e.tag == tag && e.key_len as usize == piece.len() {
                let k = e.key_at as usize;
                if &self.keys[k..k + piece.len()] == piece {
                    let a = e.ids_at as usize;
                    return Some(&self.ids[a..a + e.ids_len as usize]);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Caches `piece -> ids` (`piece` not cached yet), emptying the cache first when it is
    /// full; a piece too large for the cache is not cached.
    pub fn insert(&mut self, piece: &[u8], ids: &[Rank]) {
        if self.max_bytes == 0
            || ids.is_empty()
            || ids.len() > u16::MAX as usize
            || piece.len() > u16::MAX as usize
            || !self.make_room(piece.len(), ids.len())
        {
            return;
        }
        let tag = (hash(piece) >> 32) as u32;
        let mask = self.table.len() - 1;
        let mut i = tag as usize & mask;
        while self.table[i].ids_len != 0 {
            i = (i + 1) & mask;
        }
        self.table[i] = Entry {
            tag,
            key_at: self.keys.len() as u32,
            ids_at: self.ids.len() as u32,
            key_len: piece.len() as u16,
            ids_len: ids.len() as u16,
        };
        self.keys.extend_from_slice(piece);
        self.ids.extend_from_slice(ids);
        self.len += 1;
    }
}

/// A tokenizer's caches: a thread takes one for the length of one encode call and gives it
/// back, so there are never more caches than threads that encoded at the same time, and
/// each is capped at `max_bytes`.
pub struct CachePool {
    /// Idle caches (least recently used first) with the thread that used each last: a thread
    /// takes back its own cache when it can, so a cache stays near the core that filled it.
    free: Mutex<Vec<(std::thread::ThreadId, PieceCache)>>,
    max_bytes: std::sync::atomic::AtomicUsize,
    /// Caches alive (free or taken), to report memory.
    created: std::sync::atomic::AtomicUsize,
}

impl CachePool {
    /// An empty pool whose caches hold at most `max_bytes` each (0: no caching).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            free: Mutex::new(Vec::new()),
            max_bytes: max_bytes.into(),
            created: 0.into(),
        }
    }

    /// The per-thread cap.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the per-thread cap and drops the current caches.
    pub fn set_max_bytes(&self, max_bytes: usize) {
        self.max_bytes
            .store(max_bytes, std::sync::atomic::Ordering::Relaxed);
        self.clear();
    }

    /// Drops every free cache (a cache in use is dropped when given back if the cap changed).
    pub fn clear(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let n = free.len();
        free.clear();
        self.created
            .fetch_sub(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// (number of caches, total bytes held, total pieces cached) over the free caches.
    pub fn stats(&self) -> (usize, usize, usize) {
        let free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        (
            free.len(),
            free.iter().map(|(_, c)| c.memory()).sum(),
            free.iter().map(|(_, c)| c.len()).sum(),
        )
    }

    /// Runs `f` with a cache of this pool (None if caching is off).
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(Option<&mut PieceCache>) -> R) -> R {
        let max = self.max_bytes();
        if max == 0 {
            return f(None);
        }
        let me = std::thread::current().id();
        let taken = {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            match free.iter().rposition(|(t, _)| *t == me) {
                Some(k) => Some(free.swap_remove(k).1),
                // Else the least recently used one (likely not another thread's warm cache).
                None => (!free.is_empty()).then(|| free.remove(0).1),
            }
        };
        let mut cache = match taken {
            Some(c) => c,
            None => {
                self.created
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                PieceCache::new(max)
            }
        };
        let r = f(Some(&mut cache));
        if self.max_bytes() == max {
            self.free
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((me, cache));
        } else {
            self.created
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }
}

impl Clone for CachePool {
    /// A clone starts with no caches (same cap).
    fn clone(&self) -> Self {
        Self::new(self.max_bytes())
    }
}

impl std::fmt::Debug for CachePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachePool")
            .field("max_bytes", &self.max_bytes())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_insert_and_cap() {
        let mut c = PieceCache::new(4096);
        assert_eq!(c.get(b"hello"), None);
        c.insert(b"hello", &[1, 2]);
        c.insert(b"a longer piece of text", &[3, 4, 5]);
        assert_eq!(c.get(b"hello"), Some(&[1, 2][..]));
        assert_eq!(c.get(b"a longer piece of text"), Some(&[3, 4, 5][..]));
        assert_eq!(c.get(b"hellp"), None);
        let mut most = 0;
        for i in 0..10_000u32 {
            let key = format!("piece number {i}");
            c.insert(key.as_bytes(), &[i, i + 1]);
            assert!(c.memory() <= 4096, "{} > cap after {i}", c.memory());
            assert_eq!(c.get(key.as_bytes()), Some(&[i, i + 1][..]));
            most = most.max(c.len());
        }
        assert!(
            most > 10,
            "the cache fills up again after each clear: {most}"
        );
    }

    #[test]
    fn pool_gives_each_concurrent_user_its_own_cache() {
        let pool = CachePool::new(1 << 16);
        pool.with(|a| {
            a.unwrap().insert(b"xy", &[7]);
            pool.with(|b| assert_eq!(b.unwrap().get(b"xy"), None));
        });
        assert_eq!(pool.stats().0, 2);
        // Each thread takes back the cache it filled.
        pool.with(|a| a.unwrap().insert(b"zz", &[8]));
        std::thread::scope(|s| {
            s.spawn(|| pool.with(|c| c.unwrap().insert(b"other", &[9])));
        });
        pool.with(|a| assert_eq!(a.unwrap().get(b"zz"), Some(&[8][..])));
        pool.set_max_bytes(0);
        pool.with(|c| assert!(c.is_none()));
    }
}
