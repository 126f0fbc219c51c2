//! Cheap shape checks on raw HTML before a parser sees it: element nesting depth and tag count.
//!
//! Some parsers take time quadratic in the nesting depth (lexbor, under Resiliparse: 10k
//! unclosed `<div>`s 1.8 s, 30k 34 s) or crash on it (deep recursion), so extractors drop such
//! pages before parsing. One forward pass over the bytes (memchr to each `<`), no allocation
//! beyond a stack of tag-name hashes, and an early stop once a limit is exceeded.
//!
//! Depth approximates what an HTML5 tree builder would build, without building it:
//! - void elements (`<br>`, `<img>`, ...) and self-closed tags (`<x/>`) do not nest;
//! - raw-text elements (`<script>`, `<style>`, `<textarea>`, `<title>`, ...) are skipped to
//!   their end tag; comments, `<!doctype>` and `<?...>` are skipped;
//! - implied end tags: a block start tag closes an open `<p>`; `<li>`, `<dd>`/`<dt>`,
//!   `<td>`/`<th>`, `<tr>`, `<option>` close the previous one of their kind;
//! - an end tag closes the nearest open element of its name, searching no further than a
//!   scope boundary (`table`, `td`, `th`, `html`, ...) or [`END_TAG_SEARCH`] levels; an
//!   unmatched end tag is ignored, as parsers do.
//!
//! So a page of unclosed `<div>`s is as deep as it looks, while a page of unclosed `<p>` or
//! `<li>` is not.

use memchr::{memchr, memchr3, memmem};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// How far below the top of the stack an end tag looks for its element.
pub const END_TAG_SEARCH: usize = 512;

/// Where to stop scanning: once either count exceeds its limit the page is rejected anyway.
#[derive(Clone, Copy, Debug)]
pub struct ShapeLimits {
    pub max_depth: u64,
    pub max_tags: u64,
}

impl ShapeLimits {
    /// No early stop: measure the whole page.
    pub const NONE: ShapeLimits = ShapeLimits {
        max_depth: u64::MAX,
        max_tags: u64::MAX,
    };
}

/// The deepest nesting and the number of start tags seen (up to where the scan stopped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HtmlShape {
    pub max_depth: u64,
    pub tags: u64,
}

const fn fnv(name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < name.len() {
        h ^= name[i].to_ascii_lowercase() as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

macro_rules! names {
    ($($n:literal),* $(,)?) => { &[$(fnv($n)),*] };
}

#[rustfmt::skip]
const VOID: &[u64] = names!(
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
    b"param", b"source", b"track", b"wbr", b"keygen", b"basefont", b"bgsound", b"frame"
);
#[rustfmt::skip]
const RAW_TEXT: &[u64] = names!(
    b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes"
);
#[rustfmt::skip]
const CLOSES_P: &[u64] = names!(
    b"address", b"article", b"aside", b"blockquote", b"center", b"details", b"dialog", b"dir",
    b"div", b"dl", b"fieldset", b"figcaption", b"figure", b"footer", b"form", b"h1", b"h2",
    b"h3", b"h4", b"h5", b"h6", b"header", b"hgroup", b"hr", b"main", b"menu", b"nav", b"ol",
    b"p", b"pre", b"section", b"summary", b"table", b"ul", b"li", b"dd", b"dt", b"listing"
);
#[rustfmt::skip]
const SCOPE: &[u64] = names!(
    b"html", b"table", b"td", b"th", b"caption", b"object", b"template", b"applet",
    b"marquee", b"svg", b"math"
);
const P: u64 = fnv(b"p");
const LI: u64 = fnv(b"li");
const DD: u64 = fnv(b"dd");
const DT: u64 = fnv(b"dt");
const TD: u64 = fnv(b"td");
const TH: u64 = fnv(b"th");
const TR: u64 = fnv(b"tr");
const OPTION: u64 = fnv(b"option");
const LIST_SCOPE: &[u64] = names!(b"ul", b"ol");
const DL_SCOPE: &[u64] = names!(b"dl");
const ROW_SCOPE: &[u64] = names!(b"tr");
const TABLE_SCOPE: &[u64] = names!(b"table", b"tbody", b"thead", b"tfoot");
#[rustfmt::skip]
const TABLE_PARTS: &[u64] = names!(
    b"table", b"tbody", b"thead", b"tfoot", b"tr", b"td", b"th", b"caption"
);

const F_VOID: u8 = 1;
const F_RAW_TEXT: u8 = 2;
const F_CLOSES_P: u8 = 4;
const F_SCOPE: u8 = 8;
const F_TABLE_PART: u8 = 16;

/// The flags of a tag name (by hash), looked up once per tag.
fn flags(h: u64) -> u8 {
    static TABLE: OnceLock<FxHashMap<u64, u8>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = FxHashMap::default();
        for (names, flag) in [
            (VOID, F_VOID),
            (RAW_TEXT, F_RAW_TEXT),
            (CLOSES_P, F_CLOSES_P),
            (SCOPE, F_SCOPE),
            (TABLE_PARTS, F_TABLE_PART),
        ] {
            for &n in names {
                *t.entry(n).or_insert(0) |= flag;
            }
        }
        t
    });
    table.get(&h).copied().unwrap_or(0)
}

/// An open element: its name's hash and whether it is a scope boundary.
#[derive(Clone, Copy)]
struct Open {
    name: u64,
    scope: bool,
}

/// The open elements, and how many of them are `<p>` (most pages close their paragraphs, so
/// the search for an open `<p>` that block tags need is mostly skipped).
#[derive(Default)]
struct Stack {
    open: Vec<Open>,
    paragraphs: usize,
}

impl Stack {
    fn push(&mut self, name: u64, flags: u8) {
        self.paragraphs += usize::from(name == P);
        self.open.push(Open {
            name,
            scope: flags & F_SCOPE != 0,
        });
    }

    fn pop_to(&mut self, k: usize) {
        self.paragraphs -= self.open[k..].iter().filter(|o| o.name == P).count();
        self.open.truncate(k);
    }

    /// Pops to (and including) the nearest element in `targets`, unless an element in `stop`
    /// or (if `scoped`) a scope boundary comes first.
    fn close_nearest(&mut self, targets: &[u64], stop: &[u64], scoped: bool) {
        for k in (0..self.open.len()).rev().take(END_TAG_SEARCH) {
            let o = self.open[k];
            if targets.contains(&o.name) {
                self.pop_to(k);
                return;
            }
            if (scoped && o.scope) || stop.contains(&o.name) {
                return;
            }
        }
    }
}

fn is_name_byte(b: u8) -> bool {
    !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
}

/// Index just past the `>` that ends a tag whose attributes start at `i` (quoted attribute
/// values skipped whole), and whether the tag ends with `/>`.
fn tag_end(b: &[u8], mut i: usize) -> (usize, bool) {
    while let Some(p) = memchr3(b'>', b'"', b'\'', &b[i..]) {
        let at = i + p;
        let q = b[at];
        if q == b'>' {
            return (at + 1, at > 0 && b[at - 1] == b'/');
        }
        // a quote opens a value right after `=` or a space; elsewhere it is a plain byte
        let opens = at > 0 && matches!(b[at - 1], b'=' | b' ' | b'\t' | b'\n' | b'\r');
        i = if opens {
            memchr(q, &b[at + 1..]).map_or(b.len(), |e| at + 1 + e + 1)
        } else {
            at + 1
        };
    }
    (b.len(), false)
}

/// Index just past the end tag `</name ...>` of a raw-text element that starts at `i`.
fn skip_raw_text(b: &[u8], mut i: usize, name: &[u8]) -> usize {
    while let Some(p) = memmem::find(&b[i..], b"</") {
        let s = i + p + 2;
        let e = s + name.len();
        if e <= b.len()
            && b[s..e].eq_ignore_ascii_case(name)
            && b.get(e).is_none_or(|&c| !is_name_byte(c))
        {
            return tag_end(b, e).0;
        }
        i = s;
    }
    b.len()
}

/// Scans one page; stops as soon as a count exceeds `limits`.
pub fn html_shape(html: &[u8], limits: ShapeLimits) -> HtmlShape {
    let b = html;
    let mut stack = Stack::default();
    let mut shape = HtmlShape::default();
    let mut i = 0;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let lt = i + p;
        i = lt + 1;
        match b.get(i) {
            Some(b'!') => {
                i = if b[i..].starts_with(b"!--") {
                    memmem::find(&b[i + 3..], b"-->").map_or(b.len(), |q| i + 3 + q + 3)
                } else {
                    memchr(b'>', &b[i..]).map_or(b.len(), |q| i + q + 1)
                };
            }
            Some(b'?') => i = memchr(b'>', &b[i..]).map_or(b.len(), |q| i + q + 1),
            Some(b'/') if b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) => {
                let start = i + 1;
                let mut e = start;
                while e < b.len() && is_name_byte(b[e]) {
                    e += 1;
                }
                let h = fnv(&b[start..e]);
                // table parts close through open cells; other end tags stop at a scope boundary
                let table_part = flags(h) & F_TABLE_PART != 0;
                stack.close_nearest(&[h], &[], !table_part);
                i = tag_end(b, e).0;
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = i;
                let mut e = start;
                while e < b.len() && is_name_byte(b[e]) {
                    e += 1;
                }
                let name = &b[start..e];
                let h = fnv(name);
                let f = flags(h);
                let (next, self_closed) = tag_end(b, e);
                i = next;
                shape.tags += 1;
                if f & F_CLOSES_P != 0 && stack.paragraphs > 0 {
                    stack.close_nearest(&[P], &[], true);
                }
                match h {
                    LI => stack.close_nearest(&[LI], LIST_SCOPE, true),
                    DD | DT => stack.close_nearest(&[DD, DT], DL_SCOPE, true),
                    TD | TH => stack.close_nearest(&[TD, TH], ROW_SCOPE, false),
                    TR => {
                        stack.close_nearest(&[TD, TH], ROW_SCOPE, false);
                        stack.close_nearest(&[TR], TABLE_SCOPE, false);
                    }
                    OPTION if stack.open.last().is_some_and(|o| o.name == OPTION) => {
                        stack.pop_to(stack.open.len() - 1);
                    }
                    _ => {}
                }
                let depth = stack.open.len() as u64 + 1;
                shape.max_depth = shape.max_depth.max(depth);
                if f & F_RAW_TEXT != 0 {
                    if !self_closed {
                        i = skip_raw_text(b, i, name);
                    }
                } else if !self_closed && f & F_VOID == 0 {
                    stack.push(h, f);
                }
                if shape.max_depth > limits.max_depth || shape.tags > limits.max_tags {
                    return shape;
                }
            }
            _ => {}
        }
        if i >= b.len() {
            break;
        }
    }
    shape
}

/// [`html_shape`] of each page (bytes or text), pages in parallel.
pub fn html_shapes<S: AsRef<[u8]> + Sync>(pages: &[S], limits: ShapeLimits) -> Vec<HtmlShape> {
    pages
        .par_iter()
        .map(|p| html_shape(p.as_ref(), limits))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(html: &str) -> (u64, u64) {
        let s = html_shape(html.as_bytes(), ShapeLimits::NONE);
        (s.max_depth, s.tags)
    }

    #[test]
    fn nesting_closed_and_unclosed() {
        assert_eq!(
            shape("<html><body><div><p>x</p></div></body></html>"),
            (4, 4)
        );
        assert_eq!(shape(&"<div>".repeat(30_000)), (30_000, 30_000));
        assert_eq!(shape(&"<div></div>".repeat(1000)), (1, 1000));
        assert_eq!(shape(&"<b>".repeat(100_000)), (100_000, 100_000));
    }

    #[test]
    fn implied_end_tags_do_not_nest() {
        assert_eq!(shape(&"<p>para".repeat(5000)).0, 1);
        assert_eq!(shape(&format!("<ul>{}</ul>", "<li>item".repeat(5000))).0, 2);
        assert_eq!(
            shape(&format!("<table>{}</table>", "<tr><td>a<td>b".repeat(500))).0,
            3
        );
        assert_eq!(
            shape(&format!("<dl>{}</dl>", "<dt>a<dd>b".repeat(500))).0,
            2
        );
        assert_eq!(
            shape(&format!("<select>{}</select>", "<option>a".repeat(500))).0,
            2
        );
        assert_eq!(shape("<p>a<div>b</div>").0, 1); // a div closes the open p
    }

    #[test]
    fn void_self_closed_raw_text_and_comments() {
        assert_eq!(shape(&"<br><img src=x><input/>".repeat(100)), (1, 300));
        assert_eq!(shape(&"<span/>".repeat(100)).0, 1);
        let script = "<script>if (a<b) { x = '<div><div><div>'; }</script>";
        assert_eq!(shape(script), (1, 1));
        assert_eq!(shape("<STYLE>p < div {}</style ><div>"), (1, 2));
        assert_eq!(
            shape("<!-- <div><div> --><!doctype html><?xml x?><p>"),
            (1, 1)
        );
        assert_eq!(shape("<div title=\"a > b <div>\" data-x='<p>'>"), (1, 1));
        assert_eq!(shape("a < b and c<d"), (1, 1)); // `<d` is a tag, `< b` is text
    }

    #[test]
    fn end_tags_close_the_nearest_match_or_are_ignored() {
        assert_eq!(shape("<div><span><i>x</div><div>").0, 3);
        assert_eq!(shape(&"<div></span>".repeat(10)).0, 10); // unmatched end tags ignored
                                                             // a scope boundary stops the search: </div> inside a cell does not close outer divs
        assert_eq!(shape("<div><table><tr><td></div><b>").0, 5);
        assert_eq!(shape(&"<table><tr><td>a</tr>".repeat(50)).0, 52); // tables nest, rows close
        assert_eq!(shape("<DIV><Div></div></DIV><div>").0, 2); // case-insensitive
    }

    #[test]
    fn limits_stop_the_scan_early() {
        let page = "<div>".repeat(10_000);
        let lim = ShapeLimits {
            max_depth: 100,
            max_tags: u64::MAX,
        };
        assert_eq!(
            html_shape(page.as_bytes(), lim),
            HtmlShape {
                max_depth: 101,
                tags: 101
            }
        );
        let lim = ShapeLimits {
            max_depth: u64::MAX,
            max_tags: 50,
        };
        assert_eq!(html_shape(page.as_bytes(), lim).tags, 51);
    }

    #[test]
    fn truncated_input_never_panics() {
        for s in [
            "<",
            "<div",
            "<div class='x",
            "<!--",
            "</",
            "</di",
            "<script>x",
            "<a b=\"",
        ] {
            let _ = shape(s);
        }
        let pages = vec!["<div><div>".to_string(), "<p>".to_string()];
        let shapes = html_shapes(&pages, ShapeLimits::NONE);
        assert_eq!((shapes[0].max_depth, shapes[1].max_depth), (2, 1));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_scanned_without_panic(s in proptest::collection::vec(
            proptest::sample::select(b"<>/!-=\"' abdipvltrsc".to_vec()), 0..400)) {
            let shape = html_shape(&s, ShapeLimits::NONE);
            proptest::prop_assert!(shape.max_depth <= shape.tags);
        }
    }
}
