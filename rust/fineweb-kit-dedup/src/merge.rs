//! External k-way merge of sorted record files in a bounded amount of memory.
//!
//! Each input file is sorted (records compared as tuples of u64 words). The merge keeps one
//! read buffer per open file and a binary heap of file indices, so its memory is
//! `open files x buffer`, whatever the total size. When the budget cannot give every input
//! a buffer of at least [`MIN_BUFFER`] bytes, inputs are first merged in groups into
//! intermediate runs (same file format) until few enough remain: a classic multi-pass
//! external merge. Memory is therefore bounded by the budget, not by the data.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::format::{Kind, RecordReader, RecordWriter};
use fineweb_kit_base::{CoreError, CoreResult};

/// Smallest read buffer per open input file.
pub const MIN_BUFFER: usize = 64 * 1024;
const MAX_BUFFER: usize = 4 << 20;

/// What the records are and how much memory the merge may use.
pub struct MergeSpec<'a> {
    pub kind: Kind,
    pub config: u64,
    /// u64 words per record.
    pub words: usize,
    /// Memory budget in bytes for read buffers.
    pub budget: usize,
    /// Folder for intermediate runs (created if needed, runs are removed when merged).
    pub tmp_dir: &'a Path,
}

/// Counts of one merge.
#[derive(Debug, Default, Clone, Copy)]
pub struct MergeStats {
    pub records: u64,
    pub inputs: usize,
    /// Merge passes before the final one (0 when all inputs fit the budget at once).
    pub extra_passes: usize,
    pub intermediate_runs: usize,
}

/// The most files the budget lets us merge at once.
pub fn fan_in(budget: usize) -> usize {
    (budget / MIN_BUFFER).max(2)
}

/// Merges sorted `inputs` and calls `emit` with every record in order.
pub fn merge_files(
    inputs: &[PathBuf],
    spec: &MergeSpec<'_>,
    mut emit: impl FnMut(&[u64]) -> CoreResult<()>,
) -> CoreResult<MergeStats> {
    let mut stats = MergeStats {
        inputs: inputs.len(),
        ..Default::default()
    };
    let fan = fan_in(spec.budget);
    let mut current: Vec<PathBuf> = inputs.to_vec();
    let mut intermediates: Vec<PathBuf> = Vec::new();
    while current.len() > fan {
        stats.extra_passes += 1;
        let mut next = Vec::new();
        for (i, group) in current.chunks(fan).enumerate() {
            let out = spec
                .tmp_dir
                .join(format!("pass{}_{i:06}.run", stats.extra_passes));
            let mut w = RecordWriter::create(&out, spec.kind, spec.config, spec.words, "{}")?;
            merge_group(group, spec, |r| w.write(r))?;
            w.finish()?;
            next.push(out);
            stats.intermediate_runs += 1;
        }
        for p in intermediates.drain(..) {
            let _ = std::fs::remove_file(p);
        }
        intermediates.clone_from(&next);
        current = next;
    }
    let result = merge_group(&current, spec, |r| {
        stats.records += 1;
        emit(r)
    });
    for p in intermediates {
        let _ = std::fs::remove_file(p);
    }
    result?;
    Ok(stats)
}

struct Heads {
    words: usize,
    recs: Vec<u64>,
}

impl Heads {
    fn rec(&self, i: usize) -> &[u64] {
        &self.recs[i * self.words..(i + 1) * self.words]
    }
    fn less(&self, a: usize, b: usize) -> bool {
        // ties broken by input order, so the merge is stable
        match self.rec(a).cmp(self.rec(b)) {
            Ordering::Less => true,
            Ordering::Equal => a < b,
            Ordering::Greater => false,
        }
    }
}

fn sift_down(heap: &mut [usize], heads: &Heads, mut i: usize) {
    loop {
        let l = 2 * i + 1;
        if l >= heap.len() {
            return;
        }
        let r = l + 1;
        let m = if r < heap.len() && heads.less(heap[r], heap[l]) {
            r
        } else {
            l
        };
        if heads.less(heap[m], heap[i]) {
            heap.swap(m, i);
            i = m;
        } else {
            return;
        }
    }
}

fn merge_group(
    paths: &[PathBuf],
    spec: &MergeSpec<'_>,
    mut emit: impl FnMut(&[u64]) -> CoreResult<()>,
) -> CoreResult<()> {
    let w = spec.words;
    let buffer = (spec.budget / paths.len().max(1)).clamp(1024, MAX_BUFFER);
    let mut readers = Vec::with_capacity(paths.len());
    for p in paths {
        readers.push(RecordReader::open(p, spec.kind, spec.config, w, buffer)?);
    }
    let mut heads = Heads {
        words: w,
        recs: vec![0u64; w * readers.len()],
    };
    let mut heap: Vec<usize> = Vec::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if r.next_into(&mut heads.recs[i * w..(i + 1) * w])? {
            heap.push(i);
        }
    }
    for i in (0..heap.len() / 2).rev() {
        sift_down(&mut heap, &heads, i);
    }
    let mut prev = vec![0u64; w];
    while let Some(&top) = heap.first() {
        emit(heads.rec(top))?;
        prev.copy_from_slice(heads.rec(top));
        if readers[top].next_into(&mut heads.recs[top * w..(top + 1) * w])? {
            if heads.rec(top) < prev.as_slice() {
                return Err(CoreError::Format(format!(
                    "{}: records are not sorted (record {} is smaller than the one before); \
                     rerun the stage that wrote it",
                    readers[top].path().display(),
                    readers[top].position()
                )));
            }
        } else {
            let last = heap.len() - 1;
            heap.swap(0, last);
            heap.pop();
        }
        sift_down(&mut heap, &heads, 0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn write_sorted(path: &Path, mut recs: Vec<[u64; 2]>) {
        recs.sort();
        let mut w = RecordWriter::create(path, Kind::Keys, 1, 2, "{}").unwrap();
        for r in recs {
            w.write(&r).unwrap();
        }
        w.finish().unwrap();
    }

    fn run(files: Vec<Vec<[u64; 2]>>, budget: usize) -> (Vec<[u64; 2]>, MergeStats) {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        let mut all = Vec::new();
        for (i, f) in files.into_iter().enumerate() {
            let p = dir.path().join(format!("{i}.run"));
            all.extend(f.iter().copied());
            write_sorted(&p, f);
            paths.push(p);
        }
        let tmp = dir.path().join("tmp");
        let spec = MergeSpec {
            kind: Kind::Keys,
            config: 1,
            words: 2,
            budget,
            tmp_dir: &tmp,
        };
        let mut out = Vec::new();
        let stats = merge_files(&paths, &spec, |r| {
            out.push([r[0], r[1]]);
            Ok(())
        })
        .unwrap();
        all.sort();
        assert_eq!(out, all);
        // intermediate runs are cleaned up
        let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0);
        (out, stats)
    }

    #[test]
    fn multi_pass_when_budget_is_small() {
        let files: Vec<Vec<[u64; 2]>> = (0..9u64)
            .map(|f| (0..50u64).map(|i| [(i * 7 + f) % 13, f]).collect())
            .collect();
        let (_, stats) = run(files, 2 * MIN_BUFFER);
        assert!(stats.extra_passes >= 2, "{stats:?}");
        assert_eq!(stats.records, 450);
    }

    #[test]
    fn refuses_unsorted_input() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("u.run");
        let mut w = RecordWriter::create(&p, Kind::Keys, 1, 2, "{}").unwrap();
        w.write(&[5, 0]).unwrap();
        w.write(&[3, 0]).unwrap();
        w.finish().unwrap();
        let spec = MergeSpec {
            kind: Kind::Keys,
            config: 1,
            words: 2,
            budget: 1 << 20,
            tmp_dir: dir.path(),
        };
        let e = merge_files(&[p], &spec, |_| Ok(())).err().unwrap();
        assert!(e.to_string().contains("not sorted"), "{e}");
    }

    proptest! {
        #[test]
        fn merge_equals_sort(files in prop::collection::vec(
            prop::collection::vec((0u64..20, 0u64..5).prop_map(|(a, b)| [a, b]), 0..30), 1..12),
            small in any::<bool>()) {
            run(files, if small { 2 * MIN_BUFFER } else { 1 << 24 });
        }
    }
}
