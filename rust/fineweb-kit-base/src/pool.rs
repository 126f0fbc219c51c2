//! Rayon pools of a requested size, kept between calls.
//!
//! Building a pool per call (`num_threads=2` on every `encode_batch`) starts threads each time
//! and throws away their thread-local state, so every call starts cold. Pools are kept by size
//! instead; a few sizes at most, the oldest dropped.

use std::sync::{Arc, Mutex, OnceLock};

use rayon::ThreadPool;

use crate::error::{CoreError, CoreResult};

/// How many differently sized pools are kept alive.
const MAX_POOLS: usize = 4;

/// Runs `work` in a pool of `threads` threads (None: rayon's global pool).
pub fn run_in_pool<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> CoreResult<T> + Send,
) -> CoreResult<T> {
    match threads {
        None => work(),
        Some(0) => Err(CoreError::InvalidArgument(
            "num_threads must be >= 1 (or None for all cores)".into(),
        )),
        Some(n) => pool(n)?.install(work),
    }
}

/// The kept pools, oldest first, by size.
type Pools = Mutex<Vec<(usize, Arc<ThreadPool>)>>;

fn pool(n: usize) -> CoreResult<Arc<ThreadPool>> {
    static POOLS: OnceLock<Pools> = OnceLock::new();
    // A poisoned lock only means another caller panicked while holding it; the list is intact.
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = pools.iter().find(|(size, _)| *size == n) {
        return Ok(Arc::clone(p));
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| CoreError::InvalidArgument(format!("cannot start {n} threads: {e}")))?;
    let p = Arc::new(p);
    if pools.len() == MAX_POOLS {
        pools.remove(0);
    }
    pools.push((n, Arc::clone(&p)));
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_have_the_size_asked_and_are_reused() {
        let n = run_in_pool(Some(3), || Ok(rayon::current_num_threads())).unwrap();
        assert_eq!(n, 3);
        let a = pool(3).unwrap();
        let b = pool(3).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        for size in 4..4 + MAX_POOLS {
            pool(size).unwrap();
        }
        assert!(
            !Arc::ptr_eq(&a, &pool(3).unwrap()),
            "the oldest size was dropped"
        );
        assert!(run_in_pool(Some(0), || Ok(())).is_err());
    }
}
