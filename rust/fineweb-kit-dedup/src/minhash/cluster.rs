//! Stage 3: clusters from duplicate pairs, and which document each cluster keeps.
//!
//! Which document a cluster keeps ([`KeepRule`]), all other members are removed:
//! - `Datatrove` (default): the root of a union by size, pairs taken bucket by bucket in
//!   signature order, as datatrove's `MinhashDedupCluster` does, so FineWeb's choices are
//!   reproduced. Within one bucket this is the smallest document id; when clusters merge,
//!   the larger one's kept document stays (on a tie, the one of the pair's smaller id).
//! - `First`: the smallest document id, i.e. the document of the earliest input file (in the
//!   fixed input order of the signature stage) and within it the first read. It depends only
//!   on the cluster, not on the order of buckets or pairs.
//!
//! Output per input file with duplicates: `NNNNNN.clusters`, one record per clustered document
//! `[document index, kept document id, cluster number, cluster size]`, sorted by document.

use std::path::{Path, PathBuf};

use crate::{split_doc_id, Kind, Member, RecordReader, RecordWriter, UnionFind};
use fineweb_kit_base::{CoreError, CoreResult};

/// Counts of the clustering.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClusterStats {
    pub pairs: u64,
    pub clustered_documents: u64,
    pub clusters: u64,
    pub removed: u64,
    pub files: u64,
    pub memory_bytes: u64,
}

/// Path of the cluster file of input file `file`.
pub fn clusters_path(dir: &Path, file: u32) -> PathBuf {
    dir.join(format!("{file:06}.clusters"))
}

/// Which member of a cluster is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepRule {
    Datatrove,
    First,
}

impl KeepRule {
    /// Parses `"datatrove"` or `"first"`.
    pub fn parse(name: &str) -> CoreResult<Self> {
        match name {
            "datatrove" => Ok(KeepRule::Datatrove),
            "first" => Ok(KeepRule::First),
            _ => Err(CoreError::InvalidArgument(format!(
                "keep rule {name:?}: expected \"datatrove\" or \"first\""
            ))),
        }
    }

    fn kept(self, m: &Member) -> u64 {
        match self {
            KeepRule::Datatrove => m.root,
            KeepRule::First => m.min,
        }
    }
}

/// Reads every pair file (in the given order), clusters, and writes one cluster file per
/// input file.
pub fn cluster(
    pair_files: &[PathBuf],
    out_dir: &Path,
    fingerprint: u64,
    keep: KeepRule,
) -> CoreResult<ClusterStats> {
    let mut uf = UnionFind::new();
    let mut stats = ClusterStats::default();
    let mut rec = [0u64; 2];
    for p in pair_files {
        let mut r = RecordReader::open(p, Kind::Pairs, fingerprint, 2, 1 << 20)?;
        while r.next_into(&mut rec)? {
            uf.union(rec[0], rec[1]);
            stats.pairs += 1;
        }
    }
    stats.memory_bytes = uf.memory_bytes() as u64;
    let members = uf.members();
    drop(uf);
    // cluster numbers follow the kept documents' order; sizes per root
    let mut roots: Vec<u64> = members.iter().map(|m| keep.kept(m)).collect();
    roots.sort_unstable();
    let mut sizes: Vec<(u64, u64)> = Vec::new();
    for r in roots {
        match sizes.last_mut() {
            Some((last, n)) if *last == r => *n += 1,
            _ => sizes.push((r, 1)),
        }
    }
    stats.clusters = sizes.len() as u64;
    stats.clustered_documents = members.len() as u64;
    let lookup = |root: u64| -> CoreResult<(u64, u64)> {
        let i = sizes
            .binary_search_by_key(&root, |&(r, _)| r)
            .map_err(|_| CoreError::InvalidArgument("cluster root missing".into()))?;
        Ok((i as u64, sizes[i].1))
    };
    let mut i = 0;
    while i < members.len() {
        let (file, _) = split_doc_id(members[i].id);
        let path = clusters_path(out_dir, file);
        let tmp = path.with_extension("clusters.tmp");
        let meta = format!("{{\"file_index\":{file}}}");
        let mut w = RecordWriter::create(&tmp, Kind::Clusters, fingerprint, 4, &meta)?;
        while i < members.len() && split_doc_id(members[i].id).0 == file {
            let (id, root) = (members[i].id, keep.kept(&members[i]));
            let (number, size) = lookup(root)?;
            if id != root {
                stats.removed += 1;
            }
            w.write(&[u64::from(split_doc_id(id).1), root, number, size])?;
            i += 1;
        }
        w.finish()?;
        std::fs::rename(&tmp, &path).map_err(|e| CoreError::io(path.display().to_string(), e))?;
        stats.files += 1;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc_id;

    #[test]
    fn keeps_smallest_id_per_cluster() {
        let dir = tempfile::tempdir().unwrap();
        let pairs = dir.path().join("p.pairs");
        let mut w = RecordWriter::create(&pairs, Kind::Pairs, 3, 2, "{}").unwrap();
        // cluster {(0,5),(1,2),(1,9)} and {(2,1),(2,3)}
        for (a, b) in [
            (doc_id(1, 2), doc_id(1, 9)),
            (doc_id(0, 5), doc_id(1, 9)),
            (doc_id(2, 1), doc_id(2, 3)),
        ] {
            w.write(&[a, b]).unwrap();
        }
        w.finish().unwrap();
        let stats = cluster(&[pairs], dir.path(), 3, KeepRule::First).unwrap();
        assert_eq!((stats.clusters, stats.removed, stats.files), (2, 3, 3));
        let r =
            RecordReader::open(&clusters_path(dir.path(), 1), Kind::Clusters, 3, 4, 1024).unwrap();
        let recs = r.read_all().unwrap();
        assert_eq!(recs, vec![2, doc_id(0, 5), 0, 3, 9, doc_id(0, 5), 0, 3]);
        let r =
            RecordReader::open(&clusters_path(dir.path(), 2), Kind::Clusters, 3, 4, 1024).unwrap();
        assert_eq!(
            r.read_all().unwrap(),
            vec![1, doc_id(2, 1), 1, 2, 3, doc_id(2, 1), 1, 2]
        );
    }
}
