//! Encode / decode throughput, without external data: `cargo bench -p fineweb-kit-bpe`.
//!
//! The tokenizer is trained here (cl100k pre-tokenisation, 8192 ids) on a generated corpus of
//! about 8 MB, so the bench runs anywhere. To measure a real vocabulary on real text instead,
//! set `FWK_BENCH_RANKS=path/to/cl100k_base.tiktoken` (with `FWK_BENCH_PATTERN`, default
//! `cl100k_base`) and `FWK_BENCH_TEXT=path/to/text.txt` (UTF-8; cut into ~4 kB documents).
//!
//! Each line reports the median of 7 wall-clock runs (minimum in brackets), in MB of text per
//! second.

use std::time::Instant;

use fineweb_kit_bpe::train::Trainer;
use fineweb_kit_bpe::{io, Bpe, SpecialSet};

const RUNS: usize = 7;

/// Pseudo-English text: words drawn from syllables with a fixed generator, so every run (and
/// machine) sees the same bytes.
fn generated_corpus(bytes: usize) -> String {
    const SYLLABLES: [&str; 24] = [
        "the", "an", "ing", "tion", "re", "con", "de", "ex", "pro", "al", "er", "ly", "in", "com",
        "ment", "ness", "data", "web", "token", "s", "ed", "un", "ous", "ive",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = String::with_capacity(bytes + 64);
    while text.len() < bytes {
        let r = next();
        for i in 0..1 + (r % 3) as usize {
            text.push_str(SYLLABLES[((r >> (8 * i + 8)) % 24) as usize]);
        }
        text.push_str(match r >> 60 {
            0 => ".\n",
            1 => ", ",
            2 => " 2026 ",
            _ => " ",
        });
    }
    text
}

/// Documents of about `size` bytes, cut after a line end.
fn documents(text: &str, size: usize) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        if i + 1 - start >= size {
            docs.push(&text[start..=i]);
            start = i + 1;
        }
    }
    if start < text.len() {
        docs.push(&text[start..]);
    }
    docs
}

/// Median and minimum seconds of `RUNS` calls of `f`.
fn time(mut f: impl FnMut()) -> (f64, f64) {
    let mut secs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    (secs[RUNS / 2], secs[0])
}

fn report(what: &str, bytes: usize, (median, min): (f64, f64)) {
    let mb = bytes as f64 / 1e6;
    println!("{what:<34} {:>8.1} MB/s  [{:.1}]", mb / median, mb / min);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (bpe, text) = match (
        std::env::var_os("FWK_BENCH_RANKS"),
        std::env::var_os("FWK_BENCH_TEXT"),
    ) {
        (Some(ranks), Some(text)) => {
            let pattern =
                std::env::var("FWK_BENCH_PATTERN").unwrap_or_else(|_| "cl100k_base".into());
            let bpe = Bpe::new(io::load_tiktoken(ranks.as_ref())?, vec![], &pattern)?;
            let raw = std::fs::read(text)?;
            (bpe, String::from_utf8_lossy(&raw).into_owned())
        }
        _ => {
            let text = generated_corpus(8 << 20);
            let mut trainer = Trainer::new("cl100k_base", 8192, 0)?;
            trainer.count(&documents(&text, 1 << 16), None)?;
            (trainer.finish(&[], None)?, text)
        }
    };
    let docs = documents(&text, 4096);
    let none = SpecialSet::None;
    println!(
        "{} documents, {:.1} MB, vocabulary {} ids, {} threads",
        docs.len(),
        text.len() as f64 / 1e6,
        bpe.n_vocab(),
        rayon::current_num_threads()
    );

    let mut ids = Vec::with_capacity(text.len() / 3);
    report(
        "encode, 1 thread, cold cache",
        text.len(),
        time(|| {
            bpe.clear_cache();
            ids.clear();
            for d in &docs {
                bpe.encode_ordinary_into(d, &mut ids).unwrap();
            }
        }),
    );
    report(
        "encode, 1 thread, warm cache",
        text.len(),
        time(|| {
            ids.clear();
            for d in &docs {
                bpe.encode_ordinary_into(d, &mut ids).unwrap();
            }
        }),
    );
    report(
        "encode_flat, all threads",
        text.len(),
        time(|| {
            let (flat, _) = bpe.encode_flat(&docs, &none, &none, None, None).unwrap();
            std::hint::black_box(flat);
        }),
    );
    report(
        "decode, 1 thread",
        text.len(),
        time(|| {
            std::hint::black_box(bpe.decode_bytes(&ids).unwrap());
        }),
    );
    println!(
        "{:.2} bytes per token",
        text.len() as f64 / ids.len() as f64
    );
    Ok(())
}
