//! Single-thread time per encode phase on one text file cut into documents, without Python in
//! the way:
//! `cargo run --release --example bpe_speed -- RANKFILE PATTERN TEXTFILE [DOC_BYTES]`.
//!
//! Phases (CPU time of this thread, best of 5 passes, ns per byte):
//! - `pretok`: cutting the documents into pieces only;
//! - `+lookup`: plus one rank-table lookup per piece (what a piece that is one token costs);
//! - `encode cold`: the whole encode, on a tokenizer whose piece cache is empty at each pass;
//! - `encode warm`: the same documents again (the piece cache filled by the pass before);
//! - `no cache`: the whole encode with the piece cache off (every piece that is not one
//!   token is merged): `no cache - lookup` is the merge loop's cost.
//!
//! merge + cache = encode - (pretok + lookup); output (Python lists / arrays) is measured by
//! `benchmarks/encode_peers_bench.py`.

use fineweb_kit_base::clock::thread_cpu_seconds;
use fineweb_kit_bpe::{io, Bpe};

/// Documents of about `size` bytes, cut at line ends.
fn docs(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        if i + 1 - start >= size {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn best(mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = thread_cpu_seconds();
            f();
            thread_cpu_seconds() - t
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: bpe_speed RANKFILE PATTERN TEXTFILE [DOC_BYTES] (uncompressed UTF-8)");
        std::process::exit(2);
    }
    let ranks = io::load_tiktoken(std::path::Path::new(&args[1]))?;
    let bpe = Bpe::new(ranks, vec![], &args[2])?;
    let raw = std::fs::read(&args[3])?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let size: usize = args.get(4).map_or(Ok(4096), |s| s.parse())?;
    let docs = docs(&text, size);
    let ns = 1e9 / text.len() as f64;
    let mut pieces = 0usize;
    let pre = best(|| {
        pieces = 0;
        for d in &docs {
            let _ = bpe.pretokenizer().split(d, |_, _| pieces += 1);
        }
    });
    let mut hits = 0usize;
    let look = best(|| {
        hits = 0;
        for d in &docs {
            let b = d.as_bytes();
            let _ = bpe.pretokenizer().split(d, |s, e| {
                hits += bpe.rank_of(&b[s..e]).is_some() as usize;
            });
        }
    });
    let mut out = Vec::with_capacity(text.len());
    let cold = best(|| {
        bpe.clear_cache();
        out.clear();
        for d in &docs {
            let _ = bpe.encode_ordinary_into(d, &mut out);
        }
    });
    let warm = best(|| {
        out.clear();
        for d in &docs {
            let _ = bpe.encode_ordinary_into(d, &mut out);
        }
    });
    // Every piece that is not one token merged again (no cache): the merge loop's cost.
    let cap = bpe.cache_bytes();
    bpe.set_cache_bytes(0);
    let nocache = best(|| {
        out.clear();
        for d in &docs {
            let _ = bpe.encode_ordinary_into(d, &mut out);
        }
    });
    bpe.set_cache_bytes(cap);
    println!(
        "{} docs, {} pieces ({:.0}% one token), {} ids; ns/byte: pretok {:.2}  +lookup {:.2}  \
         encode cold {:.2} ({:.0} MB/s)  encode warm {:.2} ({:.0} MB/s)  no cache {:.2}",
        docs.len(),
        pieces,
        100.0 * hits as f64 / pieces as f64,
        out.len(),
        pre * ns,
        look * ns,
        cold * ns,
        text.len() as f64 / cold / 1e6,
        warm * ns,
        text.len() as f64 / warm / 1e6,
        nocache * ns,
    );
    Ok(())
}
