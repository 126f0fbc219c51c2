//! The hidden layer: the sum of a document's input rows, in fastText's order.
//!
//! Rows are gathered at random from a matrix of up to `bucket` x `dim` floats (800 MB for
//! DCLM's model), so the loop is bound by memory: each row is prefetched [`PREFETCH_DISTANCE`]
//! rows ahead to overlap the misses. What is left is the arithmetic, which mattered once the
//! misses overlapped (measured: touching the same lines with almost no adds took ~25 % less
//! time): for `dim` 100 (DCLM's, and fastText's default) with AVX the whole sum lives in 13
//! vector registers, one 8-wide add per 8 floats and no load or store of the sum per row.
//! Every path adds the same floats in the same order per element (no FMA, no reordering),
//! so the results are identical bit for bit.

/// How many rows ahead the sum prefetches (measured with huge pages and the AVX sum: 8 was
/// ~10 % slower than 16, 24 and 32 a few % faster than 16, 48 no better).
const PREFETCH_DISTANCE: usize = 32;

/// The input matrix, row-major, `dim` floats per row.
pub struct Rows<'a> {
    pub data: &'a [f32],
    pub dim: usize,
    /// AVX detected on this CPU (checked once, when the model loads).
    pub avx: bool,
}

impl Rows<'_> {
    /// `hidden` = the sum of rows `ids` in order (`hidden` is resized to `dim`).
    pub fn sum(&self, ids: &[usize], hidden: &mut Vec<f32>) {
        hidden.clear();
        hidden.resize(self.dim, 0.0);
        #[cfg(target_arch = "x86_64")]
        if self.avx && self.dim == 100 {
            // SAFETY: `avx` is true only if the CPU has AVX (`is_x86_feature_detected`).
            unsafe { self.sum_avx_100(ids, hidden) };
            return;
        }
        let d = self.dim;
        for (k, &id) in ids.iter().enumerate() {
            if let Some(&ahead) = ids.get(k + PREFETCH_DISTANCE) {
                self.prefetch(ahead);
            }
            let row = &self.data[id * d..(id + 1) * d];
            for (h, &w) in hidden.iter_mut().zip(row) {
                *h += w;
            }
        }
    }

    /// [`Self::sum`] for `dim` 100: 12 AVX lanes of 8 and one SSE lane of 4 kept in registers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    unsafe fn sum_avx_100(&self, ids: &[usize], hidden: &mut [f32]) {
        use std::arch::x86_64::*;
        const D: usize = 100;
        let mut wide = [_mm256_setzero_ps(); 12];
        let mut tail = _mm_setzero_ps();
        for (k, &id) in ids.iter().enumerate() {
            if let Some(&ahead) = ids.get(k + PREFETCH_DISTANCE) {
                self.prefetch(ahead);
            }
            // the range is D floats long, so the conversion cannot fail
            let row: &[f32; D] = self.data[id * D..(id + 1) * D]
                .try_into()
                .expect("a slice of D floats");
            let p = row.as_ptr();
            for (j, acc) in wide.iter_mut().enumerate() {
                // SAFETY: floats 8j..8j+8 < 96 lie inside `row`; unaligned loads are allowed.
                *acc = _mm256_add_ps(*acc, unsafe { _mm256_loadu_ps(p.add(8 * j)) });
            }
            // SAFETY: floats 96..100 are the end of `row`.
            tail = _mm_add_ps(tail, unsafe { _mm_loadu_ps(p.add(96)) });
        }
        // `sum` resized `hidden` to dim = D floats, so the conversion cannot fail
        let out: &mut [f32; D] = (&mut hidden[..D]).try_into().expect("hidden has D floats");
        let q = out.as_mut_ptr();
        for (j, acc) in wide.iter().enumerate() {
            // SAFETY: floats 8j..8j+8 < 96 lie inside `out`.
            unsafe { _mm256_storeu_ps(q.add(8 * j), *acc) };
        }
        // SAFETY: floats 96..100 are the end of `out`.
        unsafe { _mm_storeu_ps(q.add(96), tail) };
    }

    /// Asks the CPU to start loading row `id` (a hint only: no effect on results).
    #[inline(always)]
    fn prefetch(&self, id: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let start = id * self.dim;
            if let Some(row) = self.data.get(start..start + self.dim) {
                for line in row.chunks(16) {
                    // SAFETY: prefetch is a hint that never faults, and `line` is a live
                    // slice of the matrix; SSE is part of the x86_64 baseline.
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr() as *const i8) };
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The AVX sum equals the plain one bit for bit (same adds, same order).
        #[test]
        fn avx_sum_equals_plain_sum(
            data in proptest::collection::vec(-1e3f32..1e3, 100 * 7),
            ids in proptest::collection::vec(0usize..7, 0..40),
        ) {
            let plain = Rows { data: &data, dim: 100, avx: false };
            let (mut a, mut b) = (Vec::new(), Vec::new());
            plain.sum(&ids, &mut a);
            #[cfg(target_arch = "x86_64")]
            let avx = std::arch::is_x86_feature_detected!("avx");
            #[cfg(not(target_arch = "x86_64"))]
            let avx = false;
            Rows { data: &data, dim: 100, avx }.sum(&ids, &mut b);
            prop_assert_eq!(
                a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}
