//! Main-content extraction: HTML page in, the article's plain text out (trafilatura's output
//! conventions), in one linear pass over a tolerant parse.
//!
//! Pipeline: `dom::parse` (tolerant, depth-capped, deadline-polled) -> `content::analyse`
//! (boilerplate removal, block statistics, Readability-style candidate scores) ->
//! `content::select` (best block and its siblings) -> `render::render` (cleaning + text).
//! When the strict pass (boilerplate removed by class/id names too) finds little text, a
//! lenient pass without name-based removal is tried and the longer result kept.
//!
//! [`html_guard`] measures a raw page's nesting depth and tag count before any parser (ours or
//! another) sees it, so that pathological pages are dropped first.

mod content;
mod dom;
mod entities;
pub mod html_guard;
mod patterns;
mod render;
mod tags;

use std::time::{Duration, Instant};

pub use dom::MAX_DEPTH;

/// Trade-off between keeping only surely-main text and keeping all of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bias {
    /// Less text, more surely main content (FineWeb's choice).
    Precision,
    Balanced,
    /// More text, more boilerplate let through.
    Recall,
}

impl Bias {
    /// Parses `precision`, `balanced` or `recall`.
    pub fn parse(s: &str) -> Option<Bias> {
        match s {
            "precision" => Some(Bias::Precision),
            "balanced" => Some(Bias::Balanced),
            "recall" => Some(Bias::Recall),
            _ => None,
        }
    }
}

/// Extraction settings.
#[derive(Clone, Debug)]
pub struct ExtractOptions {
    pub bias: Bias,
    /// Keep table text (cells closed by ` |`).
    pub include_tables: bool,
    /// Put the page `<title>` on the first line.
    pub include_title: bool,
    /// Results with fewer non-whitespace characters are returned empty.
    pub min_text_chars: usize,
    /// Pages larger than this many bytes are not parsed ([`Outcome::TooLarge`]).
    pub max_html_bytes: usize,
    /// Time budget per page ([`Outcome::Timeout`] when exceeded); `None`: no limit.
    pub timeout: Option<Duration>,
    /// Most DOM nodes built per page; the rest of a larger page is ignored.
    pub max_nodes: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            bias: Bias::Precision,
            include_tables: true,
            include_title: false,
            min_text_chars: 0,
            max_html_bytes: 10_000_000,
            timeout: Some(Duration::from_secs(1)),
            max_nodes: 2_000_000,
        }
    }
}

/// What became of one page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The main-content text (possibly empty).
    Text(String),
    /// The page exceeded `max_html_bytes`.
    TooLarge,
    /// The page exceeded the time budget.
    Timeout,
}

/// Extracts the main content of one page.
pub fn extract(html: &str, opts: &ExtractOptions) -> Outcome {
    if html.len() > opts.max_html_bytes {
        return Outcome::TooLarge;
    }
    let deadline = opts.timeout.map(|t| Instant::now() + t);
    let mut late = || deadline.is_some_and(|d| Instant::now() > d);
    let dom = dom::parse(html, opts.max_nodes, &mut late);
    if late() {
        return Outcome::Timeout;
    }
    let text = best_text(&dom, opts);
    if late() {
        return Outcome::Timeout;
    }
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    if chars < opts.min_text_chars.max(1) {
        return Outcome::Text(String::new());
    }
    Outcome::Text(text)
}

/// Strict pass, then a lenient one when the strict one found little.
fn best_text(dom: &dom::Dom, opts: &ExtractOptions) -> String {
    let strict = one_pass(dom, opts, true);
    if visible_chars(&strict) >= 250 {
        return strict;
    }
    let lenient = one_pass(dom, opts, false);
    if visible_chars(&lenient) > visible_chars(&strict) {
        lenient
    } else {
        strict
    }
}

fn one_pass(dom: &dom::Dom, opts: &ExtractOptions, strict: bool) -> String {
    let analysis = content::analyse(dom, opts.bias, strict);
    let roots = content::select(dom, &analysis, opts.bias);
    render::render(dom, &analysis, &roots, opts)
}

fn visible_chars(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// Extracts a batch of pages, optionally on `threads` rayon threads (1: this thread).
pub fn extract_batch(pages: &[String], opts: &ExtractOptions, threads: usize) -> Vec<Outcome> {
    if threads <= 1 || pages.len() < 2 {
        return pages.iter().map(|p| extract(p, opts)).collect();
    }
    use rayon::prelude::*;
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(|| pages.par_iter().map(|p| extract(p, opts)).collect()),
        Err(_) => pages.iter().map(|p| extract(p, opts)).collect(),
    }
}

#[cfg(test)]
mod tests;

/// Development aid: why the extractor chose what it chose on `html`. Lists the best-scoring
/// candidates of the strict pass and, for the first text node containing `needle`, its
/// ancestors with their scores and whether they were removed.
pub fn explain(html: &str, needle: &str, opts: &ExtractOptions) -> String {
    use std::fmt::Write;
    let dom = dom::parse(html, opts.max_nodes, &mut || false);
    let mut out = String::new();
    for strict in [true, false] {
        let a = content::analyse(&dom, opts.bias, strict);
        let path = |i: u32| {
            let mut parts = Vec::new();
            let mut cur = i;
            while cur != u32::MAX && parts.len() < 12 {
                let n = &dom.nodes[cur as usize];
                parts.push(format!(
                    "{:?}.{}{}[{:.0} c{} ld{:.2}]",
                    n.tag.unwrap_or(tags::Tag::Other),
                    dom.class_id(cur).replace(' ', "."),
                    if a.removed[cur as usize] {
                        " REMOVED"
                    } else {
                        ""
                    },
                    a.score[cur as usize].max(-1.0),
                    a.chars[cur as usize],
                    a.link_density(cur)
                ));
                cur = n.parent;
            }
            parts.join(" < ")
        };
        let mut order: Vec<u32> = (0..dom.nodes.len() as u32).collect();
        order.sort_by(|x, y| a.score[*y as usize].total_cmp(&a.score[*x as usize]));
        let roots = content::select(&dom, &a, opts.bias);
        let _ = writeln!(out, "== strict={strict} roots={roots:?}");
        for &r in &roots {
            let _ = writeln!(out, "  root {r}: {}", path(r));
        }
        for &i in order.iter().take(4) {
            let _ = writeln!(out, "  cand {i}: {}", path(i));
        }
        if let Some(i) = (0..dom.nodes.len() as u32).find(|&i| dom.node_text(i).contains(needle)) {
            let _ = writeln!(out, "  needle in {i}: {}", path(i));
        }
    }
    out
}
