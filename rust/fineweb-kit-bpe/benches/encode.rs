//! Encode / decode throughput, without external data: `cargo bench -p fineweb-kit-bpe`.
//!
//! The tokenizer is trained here (cl100k pre-tokenisation, 8192 ids) on about 8 MB of generated
//! documents, so the bench runs anywhere. For a real vocabulary on real text, and the time of
//! each encode phase, use `examples/bpe_speed.rs`.
//!
//! Each line reports the median of 7 wall-clock runs (minimum in brackets), in MB of text per
//! second.

use std::time::Instant;

use fineweb_kit_bpe::train::Trainer;
use fineweb_kit_bpe::SpecialSet;

const RUNS: usize = 7;

/// About `bytes` of pseudo-English documents of about 4 kB each: words drawn from syllables
/// with a fixed generator, so every run (and machine) sees the same bytes.
fn generated_documents(bytes: usize) -> Vec<String> {
    const SYLLABLES: [&str; 24] = [
        "the", "an", "ing", "tion", "re", "con", "de", "ex", "pro", "al", "er", "ly", "in", "com",
        "ment", "ness", "data", "web", "token", "s", "ed", "un", "ous", "ive",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut docs = Vec::with_capacity(bytes / 4096 + 1);
    let mut doc = String::new();
    for _ in 0..bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for i in 0..1 + (state % 3) as usize {
            doc.push_str(SYLLABLES[((state >> (8 * i + 8)) % 24) as usize]);
        }
        doc.push_str(match state >> 60 {
            0 => ".\n",
            1 => ", ",
            2 => " 2026 ",
            _ => " ",
        });
        if doc.len() >= 4096 {
            docs.push(std::mem::take(&mut doc));
            if docs.len() * 4096 >= bytes {
                break;
            }
        }
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
    let owned = generated_documents(8 << 20);
    let docs: Vec<&str> = owned.iter().map(String::as_str).collect();
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let mut trainer = Trainer::new("cl100k_base", 8192, 0)?;
    trainer.count(&docs, None)?;
    let bpe = trainer.finish(&[], None)?;
    let none = SpecialSet::None;
    println!(
        "{} documents, {:.1} MB, vocabulary {} ids, {} threads",
        docs.len(),
        bytes as f64 / 1e6,
        bpe.n_vocab(),
        rayon::current_num_threads()
    );

    let mut ids = Vec::with_capacity(bytes / 3);
    let mut encode_all = |clear_cache: bool| {
        if clear_cache {
            bpe.clear_cache();
        }
        ids.clear();
        for d in &docs {
            bpe.encode_ordinary_into(d, &mut ids).unwrap();
        }
    };
    report(
        "encode, 1 thread, cold cache",
        bytes,
        time(|| encode_all(true)),
    );
    report(
        "encode, 1 thread, warm cache",
        bytes,
        time(|| encode_all(false)),
    );
    report(
        "encode_flat, all threads",
        bytes,
        time(|| {
            let (flat, _) = bpe.encode_flat(&docs, &none, &none, None, None).unwrap();
            std::hint::black_box(flat);
        }),
    );
    report(
        "decode, 1 thread",
        bytes,
        time(|| {
            std::hint::black_box(bpe.decode_bytes(&ids).unwrap());
        }),
    );
    println!("{:.2} bytes per token", bytes as f64 / ids.len() as f64);
    Ok(())
}
