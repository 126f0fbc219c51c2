//! Quick single-thread timing of fastText scoring phases on a file of prepared lines (one
//! document per line), without Python in the way:
//! `cargo run --release --example fasttext_speed -- MODEL.bin LINES.txt [COPIES]`
//! (`ids` reads every line as fastText does, `score` runs the whole DCLM scoring).

use std::time::Instant;

use fineweb_kit_base::clock::thread_cpu_seconds;
use fineweb_kit_fasttext::{FastTextModel, Prep};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: fasttext_speed MODEL.bin LINES.txt [COPIES]");
        std::process::exit(2);
    }
    let t = Instant::now();
    let model = FastTextModel::load(std::path::Path::new(&args[1]))?;
    println!("load {:.2} s", t.elapsed().as_secs_f64());
    let raw = std::fs::read(&args[2])?;
    let copies: usize = args.get(3).map_or(Ok(4), |c| c.parse())?;
    let lines: Vec<&[u8]> = raw
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let n = lines.len() * copies;
    for _ in 0..5 {
        let t = thread_cpu_seconds();
        let mut ids = 0usize;
        for _ in 0..copies {
            for l in &lines {
                ids += model.line_ids(l).len();
            }
        }
        let tok = thread_cpu_seconds() - t;
        let t = thread_cpu_seconds();
        let mut sum = 0f64;
        for _ in 0..copies {
            sum += model.score_batch(&lines, 0, Prep::Dclm).iter().sum::<f64>();
        }
        let all = thread_cpu_seconds() - t;
        println!(
            "{n} docs, {ids} rows, CPU time: ids {:.0} ms, score {:.0} ms = {:.0} docs/CPU-s (sum {sum:.3})",
            tok * 1e3,
            all * 1e3,
            n as f64 / all
        );
    }
    Ok(())
}
