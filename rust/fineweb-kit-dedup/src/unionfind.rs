//! Union-find over sparse 64-bit ids, union by size.
//!
//! When two sets merge, the larger set's root stays root; on equal sizes the root of the
//! first argument's set does (datatrove's `MinhashDedupCluster.union`). Fed the same pairs in
//! the same order, the roots are therefore datatrove's. [`UnionFind::members`] also gives
//! every set's smallest id, for the order-independent "keep the first document" rule. Path
//! halving keeps finds near-constant; it never changes which node is a root.

use rustc_hash::FxHashMap;

/// Disjoint sets over arbitrary u64 ids; ids are added on first sight.
#[derive(Default)]
pub struct UnionFind {
    index: FxHashMap<u64, u32>,
    ids: Vec<u64>,
    parent: Vec<u32>,
    size: Vec<u32>,
}

/// One id with its set's root and its set's smallest id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Member {
    pub id: u64,
    pub root: u64,
    pub min: u64,
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
            self.size.push(1);
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

    /// Puts `a` and `b` in one set (union by size, ties to `a`'s root).
    pub fn union(&mut self, a: u64, b: u64) {
        let (na, nb) = (self.node(a), self.node(b));
        let (mut ra, mut rb) = (self.find(na), self.find(nb));
        if ra == rb {
            return;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
    }

    /// Number of ids seen.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every id with its set's root and smallest id, sorted by id.
    pub fn members(&mut self) -> Vec<Member> {
        let n = self.ids.len();
        let mut min = vec![u64::MAX; n];
        let mut roots = Vec::with_capacity(n);
        for x in 0..n as u32 {
            let r = self.find(x) as usize;
            min[r] = min[r].min(self.ids[x as usize]);
            roots.push(r);
        }
        let mut out: Vec<Member> = (0..n)
            .map(|x| Member {
                id: self.ids[x],
                root: self.ids[roots[x]],
                min: min[roots[x]],
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Approximate heap bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.index.capacity() * 16 + self.ids.capacity() * 8 + self.parent.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// datatrove's union-find, transcribed naively (dicts, recursion-free).
    fn naive_roots(pairs: &[(u64, u64)]) -> BTreeMap<u64, u64> {
        let mut parent: BTreeMap<u64, u64> = BTreeMap::new();
        let mut size: BTreeMap<u64, u64> = BTreeMap::new();
        fn root(parent: &mut BTreeMap<u64, u64>, x: u64) -> u64 {
            let mut r = *parent.entry(x).or_insert(x);
            while parent[&r] != r {
                r = parent[&r];
            }
            r
        }
        for &(a, b) in pairs {
            let (mut ra, mut rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra == rb {
                continue;
            }
            let (sa, sb) = (*size.get(&ra).unwrap_or(&1), *size.get(&rb).unwrap_or(&1));
            if sa < sb {
                std::mem::swap(&mut ra, &mut rb);
            }
            parent.insert(rb, ra);
            size.insert(ra, sa + sb);
        }
        let keys: Vec<u64> = parent.keys().copied().collect();
        keys.into_iter()
            .map(|k| (k, root(&mut parent, k)))
            .collect()
    }

    proptest! {
        #[test]
        fn roots_match_datatrove_and_min_is_component_min(
            pairs in prop::collection::vec((0u64..40, 0u64..40), 0..60)) {
            let mut uf = UnionFind::new();
            for &(a, b) in &pairs { uf.union(a, b); }
            let members = uf.members();
            let want = naive_roots(&pairs);
            let got: BTreeMap<u64, u64> = members.iter().map(|m| (m.id, m.root)).collect();
            prop_assert_eq!(&got, &want);
            for m in &members {
                let min = want.iter().filter(|(_, r)| **r == want[&m.id]).map(|(k, _)| *k).min();
                prop_assert_eq!(Some(m.min), min);
            }
        }
    }
}
