//! Development loop of the main-content extractor: `cargo run --example explain_extract --
//! PAGE.html "needle text"` prints the candidates and where the needle's text went
//! (needle `-`: the extracted text).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: explain_extract PAGE.html NEEDLE");
        std::process::exit(2);
    }
    let html = match std::fs::read(&args[1]) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("{}: {e}", args[1]);
            std::process::exit(1);
        }
    };
    let opts = fineweb_kit_extract::ExtractOptions::default();
    if args[2] == "-" {
        // the extracted text itself
        println!("{:?}", fineweb_kit_extract::extract(&html, &opts));
        return;
    }
    print!("{}", fineweb_kit_extract::explain(&html, &args[2], &opts));
}
