//! Quick single-thread timing of pre-tokenisation and encoding on one text file, without
//! Python in the way: `cargo run --release --example bpe_speed -- RANKFILE PATTERN TEXTFILE`.

use std::time::Instant;

use fineweb_kit_core::bpe::{io, Bpe};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: bpe_speed RANKFILE PATTERN TEXTFILE (uncompressed UTF-8)");
        std::process::exit(2);
    }
    let ranks = io::load_tiktoken(std::path::Path::new(&args[1]))?;
    let bpe = Bpe::new(ranks, vec![], &args[2])?;
    let raw = std::fs::read(&args[3])?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let mb = text.len() as f64 / 1e6;
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0usize;
        bpe.pretokenizer().split(&text, |_, _| n += 1)?;
        let pre = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let ids = bpe.encode_ordinary(&text)?;
        let enc = t.elapsed().as_secs_f64();
        println!(
            "pieces {n} pretok {:.1} MB/s  encode {:.1} MB/s ({} ids)",
            mb / pre,
            mb / enc,
            ids.len()
        );
    }
    Ok(())
}
