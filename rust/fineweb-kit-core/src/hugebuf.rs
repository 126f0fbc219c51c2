//! A zero-initialised `f32` buffer backed by transparent huge pages where the OS offers them.
//!
//! Why: fastText scoring gathers rows at random from an input matrix of 800 MB (DCLM's model:
//! 2M hash buckets x 100 floats). With 4 KiB pages nearly every row read also misses the TLB,
//! and a page walk (two-dimensional under a hypervisor) costs as much again as the cache miss.
//! Mapped in 2 MiB pages the whole matrix needs ~400 TLB entries' worth of page-table
//! coverage instead of ~200,000, and the walks that remain are short.
//!
//! On Linux the buffer is an anonymous `mmap` rounded up to 2 MiB, advised `MADV_HUGEPAGE`
//! *before* it is written, so the first touch of each 2 MiB range faults in a huge page (this
//! is what `transparent_hugepage/enabled = madvise`, the common default, waits for). Where the
//! kernel has THP off, or elsewhere, it is an ordinary heap `Vec` with the same contents: the
//! choice changes speed only, never values.

use std::ops::{Deref, DerefMut};

/// Huge page size the allocation is rounded to (x86_64 and aarch64 with 4 KiB base pages).
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// `len` zeroed floats, on transparent huge pages when possible.
pub struct HugeF32Buf {
    inner: Inner,
}

enum Inner {
    Heap(Vec<f32>),
    #[cfg(target_os = "linux")]
    Mapped {
        ptr: *mut f32,
        len: usize,
        map_len: usize,
    },
}

// SAFETY: `Mapped` owns its mapping exclusively (like a `Vec` owns its allocation); the raw
// pointer is only read through `&self` and written through `&mut self`.
unsafe impl Send for HugeF32Buf {}
// SAFETY: as above; shared access is read-only.
unsafe impl Sync for HugeF32Buf {}

impl HugeF32Buf {
    /// A buffer of `len` zeros. Small buffers (under one huge page) stay on the heap.
    pub fn zeroed(len: usize) -> Self {
        #[cfg(target_os = "linux")]
        if let Some(inner) = map_huge(len) {
            return HugeF32Buf { inner };
        }
        HugeF32Buf {
            inner: Inner::Heap(vec![0f32; len]),
        }
    }

    /// True if the buffer is an anonymous mapping advised for huge pages (whether the kernel
    /// actually backs it with them shows in `/proc/self/smaps`, `AnonHugePages`).
    pub fn is_mapped(&self) -> bool {
        !matches!(self.inner, Inner::Heap(_))
    }
}

#[cfg(target_os = "linux")]
fn map_huge(len: usize) -> Option<Inner> {
    let bytes = len.checked_mul(std::mem::size_of::<f32>())?;
    if bytes < HUGE_PAGE {
        return None;
    }
    // One extra huge page so the start can be moved up to a 2 MiB boundary.
    let map_len = bytes.div_ceil(HUGE_PAGE).checked_add(1)? * HUGE_PAGE;
    // SAFETY: an anonymous private mapping at an address the kernel picks; no fd, no aliasing.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            map_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return None;
    }
    let addr = base as usize;
    let aligned = addr.next_multiple_of(HUGE_PAGE);
    let head = aligned - addr;
    let used = map_len - HUGE_PAGE; // `bytes` rounded up to whole huge pages
    let tail = map_len - head - used;
    // SAFETY: both ranges lie inside the mapping just made and are page-aligned (mmap returns
    // page-aligned addresses; HUGE_PAGE and `used` are multiples of it); unmapping
    // the slack leaves exactly [aligned, aligned + used) mapped.
    unsafe {
        if head > 0 {
            libc::munmap(base, head);
        }
        if tail > 0 {
            libc::munmap((aligned + used) as *mut libc::c_void, tail);
        }
        // A hint: if THP is off it fails or does nothing, and the pages are ordinary ones.
        libc::madvise(aligned as *mut libc::c_void, used, libc::MADV_HUGEPAGE);
    }
    Some(Inner::Mapped {
        ptr: aligned as *mut f32,
        len,
        map_len: used,
    })
}

impl Deref for HugeF32Buf {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        match &self.inner {
            Inner::Heap(v) => v,
            // SAFETY: the mapping holds `len` floats, zero-filled by the kernel (all-zero bits
            // are a valid f32) and alive until drop.
            #[cfg(target_os = "linux")]
            Inner::Mapped { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }
}

impl DerefMut for HugeF32Buf {
    fn deref_mut(&mut self) -> &mut [f32] {
        match &mut self.inner {
            Inner::Heap(v) => v,
            // SAFETY: as in `deref`; `&mut self` makes this the only access.
            #[cfg(target_os = "linux")]
            Inner::Mapped { ptr, len, .. } => unsafe {
                std::slice::from_raw_parts_mut(*ptr, *len)
            },
        }
    }
}

impl Drop for HugeF32Buf {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Inner::Mapped { ptr, map_len, .. } = self.inner {
            // SAFETY: [ptr, ptr + map_len) is the range `map_huge` left mapped, unmapped once.
            unsafe { libc::munmap(ptr as *mut libc::c_void, map_len) };
        }
    }
}

impl std::fmt::Debug for HugeF32Buf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HugeF32Buf")
            .field("len", &self.len())
            .field("mapped", &self.is_mapped())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_stay_on_the_heap() {
        let b = HugeF32Buf::zeroed(10);
        assert!(!b.is_mapped());
        assert_eq!(&b[..], &[0f32; 10]);
    }

    #[test]
    fn large_buffers_are_zeroed_aligned_and_writable() {
        let n = (5 << 20) / 4 + 3; // 5 MiB and a bit: not a multiple of the huge page
        let mut b = HugeF32Buf::zeroed(n);
        assert_eq!(b.len(), n);
        assert!(b.iter().all(|&x| x == 0.0));
        for (i, x) in b.iter_mut().enumerate() {
            *x = i as f32;
        }
        assert_eq!(b[n - 1], (n - 1) as f32);
        #[cfg(target_os = "linux")]
        {
            assert!(b.is_mapped());
            assert_eq!(b.as_ptr() as usize % HUGE_PAGE, 0);
        }
    }
}
