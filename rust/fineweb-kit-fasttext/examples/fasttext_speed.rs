//! Quick single-thread timing of fastText scoring phases on a file of prepared lines (one
//! document per line), without Python in the way:
//! `cargo run --release --example fasttext_speed -- MODEL.bin LINES.txt [COPIES]`
//! (`ids` reads every line as fastText does, `score` runs the whole DCLM scoring).

use std::time::Instant;

/// CPU seconds of this thread (steadier than wall time on a shared machine).
#[cfg(target_os = "linux")]
fn cpu_now() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[cfg(not(target_os = "linux"))]
fn cpu_now() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

use fineweb_kit_core::fasttext::{FastTextModel, Prep};

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
        let t = cpu_now();
        let mut ids = 0usize;
        for _ in 0..copies {
            for l in &lines {
                ids += model.line_ids(l).len();
            }
        }
        let tok = cpu_now() - t;
        let t = cpu_now();
        let mut sum = 0f64;
        for _ in 0..copies {
            sum += model.score_batch(&lines, 0, Prep::Dclm).iter().sum::<f64>();
        }
        let all = cpu_now() - t;
        println!(
            "{n} docs, {ids} rows, CPU time: ids {:.0} ms, score {:.0} ms = {:.0} docs/CPU-s (sum {sum:.3})",
            tok * 1e3,
            all * 1e3,
            n as f64 / all
        );
    }
    Ok(())
}
