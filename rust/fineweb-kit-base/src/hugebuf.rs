//! A fixed-size buffer backed by transparent huge pages where the OS offers them.
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
//! choice changes speed only, never values. The dictionary of the fastText scorer (16 MB of
//! slots probed at random) lives in one too.

use std::ops::{Deref, DerefMut};

/// Huge page size the allocation is rounded to (x86_64 and aarch64 with 4 KiB base pages).
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// `len` values of a plain `Copy` type, on transparent huge pages when possible.
pub struct HugeBuf<T: Copy> {
    inner: Inner<T>,
}

/// The fastText input and output matrices.
pub type HugeF32Buf = HugeBuf<f32>;

enum Inner<T> {
    Heap(Vec<T>),
    #[cfg(target_os = "linux")]
    Mapped {
        ptr: *mut T,
        len: usize,
        map_len: usize,
    },
}

// SAFETY: `Mapped` owns its mapping exclusively (like a `Vec` owns its allocation); the raw
// pointer is only read through `&self` and written through `&mut self`.
unsafe impl<T: Copy + Send> Send for HugeBuf<T> {}
// SAFETY: as above; shared access is read-only.
unsafe impl<T: Copy + Sync> Sync for HugeBuf<T> {}

impl HugeF32Buf {
    /// A buffer of `len` zeros (a fresh mapping is zero-filled by the kernel: not written here,
    /// so its pages are first touched by whoever fills the buffer).
    pub fn zeroed(len: usize) -> Self {
        #[cfg(target_os = "linux")]
        if let Some((ptr, map_len)) = map_huge(len.checked_mul(4)) {
            let ptr = ptr as *mut f32;
            return HugeBuf {
                inner: Inner::Mapped { ptr, len, map_len },
            };
        }
        HugeBuf {
            inner: Inner::Heap(vec![0.0; len]),
        }
    }
}

impl<T: Copy> HugeBuf<T> {
    /// A buffer of `len` copies of `value`. Small buffers (under one huge page) stay on the
    /// heap.
    pub fn filled(len: usize, value: T) -> Self {
        #[cfg(target_os = "linux")]
        if let Some((ptr, map_len)) = map_huge(len.checked_mul(std::mem::size_of::<T>())) {
            let ptr = ptr as *mut T;
            for i in 0..len {
                // SAFETY: the mapping holds at least `len` values of `T` (`map_huge` rounds the
                // byte size up) and is 2 MiB-aligned, so aligned for `T`; `T: Copy` has no drop.
                unsafe { ptr.add(i).write(value) };
            }
            return HugeBuf {
                inner: Inner::Mapped { ptr, len, map_len },
            };
        }
        HugeBuf {
            inner: Inner::Heap(vec![value; len]),
        }
    }

    /// True if the buffer is an anonymous mapping advised for huge pages (whether the kernel
    /// actually backs it with them shows in `/proc/self/smaps`, `AnonHugePages`).
    pub fn is_mapped(&self) -> bool {
        !matches!(self.inner, Inner::Heap(_))
    }
}

/// An anonymous mapping of at least `bytes` (rounded up to huge pages), 2 MiB-aligned and
/// advised for huge pages: its address and length. None if too small to be worth it or if
/// `mmap` fails.
#[cfg(target_os = "linux")]
fn map_huge(bytes: Option<usize>) -> Option<(*mut u8, usize)> {
    let bytes = bytes?;
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
    Some((aligned as *mut u8, used))
}

impl<T: Copy> Deref for HugeBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.inner {
            Inner::Heap(v) => v,
            // SAFETY: the mapping holds `len` initialised values (written by `filled`, or zero
            // pages for `zeroed`: all-zero bits are a valid f32), alive until drop.
            #[cfg(target_os = "linux")]
            Inner::Mapped { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }
}

impl<T: Copy> DerefMut for HugeBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.inner {
            Inner::Heap(v) => v,
            // SAFETY: as in `deref`; `&mut self` makes this the only access.
            #[cfg(target_os = "linux")]
            Inner::Mapped { ptr, len, .. } => unsafe { std::slice::from_raw_parts_mut(*ptr, *len) },
        }
    }
}

impl<T: Copy> Drop for HugeBuf<T> {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Inner::Mapped { ptr, map_len, .. } = self.inner {
            // SAFETY: [ptr, ptr + map_len) is the range `map_huge` left mapped, unmapped once.
            unsafe { libc::munmap(ptr as *mut libc::c_void, map_len) };
        }
    }
}

impl<T: Copy> Default for HugeBuf<T> {
    fn default() -> Self {
        HugeBuf {
            inner: Inner::Heap(Vec::new()),
        }
    }
}

impl<T: Copy> std::fmt::Debug for HugeBuf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HugeBuf")
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
        let pairs = HugeBuf::filled(1 << 20, (7u32, 1u8));
        assert!(pairs.iter().all(|&p| p == (7, 1)));
    }
}
