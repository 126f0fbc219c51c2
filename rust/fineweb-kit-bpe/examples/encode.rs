//! The smallest use of the crate: load a tiktoken rank file, encode, decode.
//!
//! `cargo run --release -p fineweb-kit-bpe --example encode -- cl100k_base.tiktoken "some text"`
//! (rank files: the `.tiktoken` files tiktoken downloads, e.g. from
//! `openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken`).

use std::path::Path;

use fineweb_kit_bpe::{io, Bpe, SpecialSet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: encode RANKFILE TEXT  (RANKFILE: e.g. cl100k_base.tiktoken)");
        std::process::exit(2);
    }
    let ranks = io::load_tiktoken(Path::new(&args[1]))?;
    // The pattern may be a known encoding's name or any regex; cl100k's specials as tiktoken has.
    let specials = vec![("<|endoftext|>".to_string(), 100257)];
    let bpe = Bpe::new(ranks, specials, "cl100k_base")?;

    let ids = bpe.encode(&args[2], &SpecialSet::All, &SpecialSet::None)?;
    println!("{} bytes -> {} tokens: {ids:?}", args[2].len(), ids.len());
    assert_eq!(bpe.decode(&ids)?, args[2]);
    Ok(())
}
