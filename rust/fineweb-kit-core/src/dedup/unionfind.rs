//! Union-find over sparse 64-bit ids whose root is always the smallest id of its set.
//!
//! Linking the larger root under the smaller one makes "the representative of a cluster" a
//! property of the set (its minimum), not of the order in which pairs arrive: the result is
//! the same whatever the bucket order, number of tasks or pair order. Path halving keeps
//! finds near-constant in practice.

use rustc_hash::FxHashMap;

/// Disjoint sets over arbitrary u64 ids; ids are added on first sight.
#[derive(Default)]
pub struct UnionFind {
    index: FxHashMap<u64, u32>,
    ids: Vec<u64>,
    parent: Vec<u32>,
}

impl UnionFind {
    pub fn new() -> Self {
        Self::default()
    }

    fn node(&mut self, id: u64) -> u32 {
        let next = self.ids.len() as u32;
        let n = *self.index.entry(id).or_insert(next);
        if n == next {
            self.ids.push(id);
            self.parent.push(n);
        }
        n
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Puts `a` and `b` in one set.
    pub fn union(&mut self, a: u64, b: u64) {
        let (na, nb) = (self.node(a), self.node(b));
        let (ra, rb) = (self.find(na), self.find(nb));
        if ra == rb {
            return;
        }
        if self.ids[ra as usize] < self.ids[rb as usize] {
            self.parent[rb as usize] = ra;
        } else {
            self.parent[ra as usize] = rb;
        }
    }

    /// Number of ids seen.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every id with its set's root (smallest id), sorted by id.
    pub fn members(&mut self) -> Vec<(u64, u64)> {
        let mut out = Vec::with_capacity(self.ids.len());
        for n in 0..self.ids.len() as u32 {
            let r = self.find(n);
            out.push((self.ids[n as usize], self.ids[r as usize]));
        }
        out.sort_unstable();
        out
    }

    /// Approximate heap bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.index.capacity() * 16 + self.ids.capacity() * 8 + self.parent.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn root_is_min_of_connected_component(pairs in prop::collection::vec((0u64..40, 0u64..40), 0..60)) {
            let mut uf = UnionFind::new();
            for &(a, b) in &pairs { uf.union(a, b); }
            // naive oracle: label propagation until fixpoint
            let mut label: std::collections::BTreeMap<u64, u64> = Default::default();
            for &(a, b) in &pairs { label.insert(a, a); label.insert(b, b); }
            loop {
                let mut changed = false;
                for &(a, b) in &pairs {
                    let m = label[&a].min(label[&b]);
                    for x in [a, b] {
                        if label[&x] != m { label.insert(x, m); changed = true; }
                    }
                }
                if !changed { break; }
            }
            let got: Vec<(u64, u64)> = uf.members();
            let want: Vec<(u64, u64)> = label.into_iter().collect();
            prop_assert_eq!(got, want);
        }
    }
}
