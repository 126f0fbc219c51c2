//! A tolerant HTML parser into a flat tree: one pass over the bytes, no recursion.
//!
//! Nodes live in one vector in document order, so a parent's index is always smaller than its
//! children's: bottom-up sums are one reverse loop, top-down flags one forward loop. Only what
//! main-content extraction needs is kept (tag, class/id, a few flags, text). Real-page damage is
//! absorbed: unclosed tags end at their parent's end tag, stray end tags are ignored (an O(1)
//! check of how many of that tag are open), `<p>`, `<li>`, `<td>`, `<tr>` and `<option>` close
//! their open predecessor, and raw-text elements (script, style, ...) are skipped to their end
//! tag. Depth is capped (deeper elements merge into the deepest kept one), so 30,000 unclosed
//! `<div>`s cost linear time and a bounded stack.

use super::entities::decode_into;
use super::tags::Tag;
use memchr::{memchr, memmem};

/// Deepest element nesting kept; deeper start tags are folded into their ancestor.
pub const MAX_DEPTH: usize = 256;
const NONE: u32 = u32::MAX;

/// Flags read from attributes.
pub const HIDDEN: u8 = 1;
/// `itemprop="articleBody"` (or `articlebody` class / id).
pub const ARTICLE_BODY: u8 = 2;
/// `role="navigation"`, `"menu"`, `"complementary"`, `"contentinfo"`, `"banner"`, ...
pub const ROLE_BOILERPLATE: u8 = 4;
/// `role="main"` or `role="article"`.
pub const ROLE_MAIN: u8 = 8;

/// One element or text run.
#[derive(Clone, Debug)]
pub struct Node {
    /// `None` for a text node.
    pub tag: Option<Tag>,
    pub parent: u32,
    pub first_child: u32,
    pub last_child: u32,
    pub next_sibling: u32,
    /// Text nodes: byte range in `Dom::text`. Elements: range of "class id" in `Dom::attrs`.
    pub start: u32,
    pub end: u32,
    pub flags: u8,
}

/// A parsed page.
pub struct Dom {
    pub nodes: Vec<Node>,
    /// All text, decoded (entities resolved), concatenated.
    pub text: String,
    /// Lower-cased `class` and `id` values of all elements, concatenated.
    pub attrs: String,
    /// The `<title>` text.
    pub title: String,
    /// Parsing stopped early because a budget (nodes, time) ran out.
    pub truncated: bool,
}

impl Dom {
    /// Children of `i` in order.
    pub fn children(&self, i: u32) -> Children<'_> {
        Children {
            dom: self,
            next: self.nodes[i as usize].first_child,
        }
    }

    /// Text of a text node (empty for elements).
    pub fn node_text(&self, i: u32) -> &str {
        let n = &self.nodes[i as usize];
        if n.tag.is_some() {
            return "";
        }
        &self.text[n.start as usize..n.end as usize]
    }

    /// Lower-cased "class id" of an element.
    pub fn class_id(&self, i: u32) -> &str {
        let n = &self.nodes[i as usize];
        if n.tag.is_none() {
            return "";
        }
        &self.attrs[n.start as usize..n.end as usize]
    }
}

/// Iterator over the children of a node.
pub struct Children<'a> {
    dom: &'a Dom,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let cur = self.next;
        self.next = self.dom.nodes[cur as usize].next_sibling;
        Some(cur)
    }
}

struct Builder<'a> {
    src: &'a str,
    dom: Dom,
    /// Open elements, root (index 0) first.
    stack: Vec<u32>,
    /// Open-element count per tag (index: `Tag as usize`), for O(1) stray end tags.
    open: [u32; 96],
    max_nodes: usize,
}

/// Parses `html`; stops adding nodes after `max_nodes` (sets `truncated`). `should_stop` is
/// polled every few thousand tokens (a deadline) and also sets `truncated`.
pub fn parse(html: &str, max_nodes: usize, should_stop: &mut dyn FnMut() -> bool) -> Dom {
    let mut b = Builder {
        src: html,
        dom: Dom {
            nodes: Vec::with_capacity(html.len() / 40 + 16),
            text: String::with_capacity(html.len() / 4),
            attrs: String::new(),
            title: String::new(),
            truncated: false,
        },
        stack: vec![0],
        open: [0; 96],
        max_nodes,
    };
    b.dom.nodes.push(Node {
        tag: Some(Tag::Html),
        parent: NONE,
        first_child: NONE,
        last_child: NONE,
        next_sibling: NONE,
        start: 0,
        end: 0,
        flags: 0,
    });
    b.run(should_stop);
    b.dom
}

impl Builder<'_> {
    fn run(&mut self, should_stop: &mut dyn FnMut() -> bool) {
        let bytes = self.src.as_bytes();
        let mut pos = 0;
        let mut tokens = 0u32;
        while pos < bytes.len() {
            tokens = tokens.wrapping_add(1);
            if tokens % 4096 == 0 && should_stop() {
                self.dom.truncated = true;
                return;
            }
            if self.dom.nodes.len() >= self.max_nodes {
                self.dom.truncated = true;
                return;
            }
            let Some(lt) = memchr(b'<', &bytes[pos..]) else {
                self.text(pos, bytes.len());
                return;
            };
            let lt = pos + lt;
            if lt > pos {
                self.text(pos, lt);
            }
            pos = self.markup(lt);
        }
    }

    /// Handles the markup starting at `<` at `lt`; returns where to continue.
    fn markup(&mut self, lt: usize) -> usize {
        let bytes = self.src.as_bytes();
        let next = bytes.get(lt + 1).copied().unwrap_or(0);
        if bytes[lt..].starts_with(b"<!--") {
            return match memmem::find(&bytes[lt + 4..], b"-->") {
                Some(e) => lt + 4 + e + 3,
                None => bytes.len(),
            };
        }
        if next == b'!' || next == b'?' {
            return skip_to_gt(bytes, lt + 2);
        }
        if next == b'/' {
            let (name_end, tag) = read_name(bytes, lt + 2);
            if name_end == lt + 2 {
                return skip_to_gt(bytes, lt + 2);
            }
            self.end_tag(tag);
            return skip_to_gt(bytes, name_end);
        }
        if !next.is_ascii_alphabetic() {
            self.text(lt, lt + 1);
            return lt + 1;
        }
        let (name_end, tag) = read_name(bytes, lt + 1);
        let (after, attrs) = read_attrs(self.src, name_end);
        if tag.is_raw_text() || tag == Tag::Title {
            let close = find_end_tag(bytes, after, &bytes[lt + 1..name_end]);
            if tag == Tag::Title && self.dom.title.is_empty() {
                decode_into(&self.src[after..close.0], &mut self.dom.title);
            }
            return close.1;
        }
        let self_closing = attrs.self_closing;
        let void = tag.is_void() || is_void_name(&bytes[lt + 1..name_end]);
        if self.start_tag(tag, attrs) && (void || (self_closing && tag == Tag::Other)) {
            self.pop();
        }
        after
    }

    fn text(&mut self, from: usize, to: usize) {
        let raw = &self.src[from..to];
        if raw.bytes().all(|c| c.is_ascii_whitespace()) && self.top_last_is_text() {
            return;
        }
        let start = self.dom.text.len();
        decode_into(raw, &mut self.dom.text);
        let parent = *self.stack.last().unwrap_or(&0);
        let last = self.dom.nodes[parent as usize].last_child;
        if last != NONE && self.dom.nodes[last as usize].tag.is_none() {
            // adjacent text (e.g. after a skipped comment): extend the previous run
            if self.dom.nodes[last as usize].end as usize == start {
                self.dom.nodes[last as usize].end = self.dom.text.len() as u32;
                return;
            }
        }
        let end = self.dom.text.len() as u32;
        self.append(None, start as u32, end, 0);
    }

    fn top_last_is_text(&self) -> bool {
        let parent = *self.stack.last().unwrap_or(&0);
        let last = self.dom.nodes[parent as usize].last_child;
        last != NONE && self.dom.nodes[last as usize].tag.is_none()
    }

    fn append(&mut self, tag: Option<Tag>, start: u32, end: u32, flags: u8) -> u32 {
        let parent = *self.stack.last().unwrap_or(&0);
        let id = self.dom.nodes.len() as u32;
        self.dom.nodes.push(Node {
            tag,
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            start,
            end,
            flags,
        });
        let p = &mut self.dom.nodes[parent as usize];
        let prev = p.last_child;
        p.last_child = id;
        if prev == NONE {
            p.first_child = id;
        } else {
            self.dom.nodes[prev as usize].next_sibling = id;
        }
        id
    }

    fn top_tag(&self) -> Tag {
        let top = *self.stack.last().unwrap_or(&0);
        self.dom.nodes[top as usize].tag.unwrap_or(Tag::Other)
    }

    fn start_tag(&mut self, tag: Tag, attrs: Attrs) -> bool {
        match tag {
            Tag::Html | Tag::Head => return false, // the root stands for both
            Tag::Body if self.open[Tag::Body as usize] > 0 => return false,
            Tag::Li => self.close_open(Tag::Li, &[Tag::Ul, Tag::Ol, Tag::Menu]),
            Tag::Dt | Tag::Dd => {
                self.close_open(Tag::Dt, &[Tag::Dl]);
                self.close_open(Tag::Dd, &[Tag::Dl]);
            }
            Tag::Td | Tag::Th => {
                self.close_open(Tag::Td, &[Tag::Table, Tag::Tr]);
                self.close_open(Tag::Th, &[Tag::Table, Tag::Tr]);
            }
            Tag::Tr => {
                self.close_open(Tag::Td, &[Tag::Table]);
                self.close_open(Tag::Th, &[Tag::Table]);
                self.close_open(Tag::Tr, &[Tag::Table]);
            }
            Tag::Option => self.close_open(Tag::Option, &[Tag::Select]),
            Tag::A => self.close_open(Tag::A, &[]), // links do not nest
            _ => {}
        }
        if tag.closes_p() && self.top_tag() == Tag::P {
            self.pop();
        }
        if self.stack.len() >= MAX_DEPTH {
            return false; // too deep: the content goes to the deepest kept element
        }
        let start = self.dom.attrs.len() as u32;
        self.dom.attrs.push_str(&attrs.class_id);
        let end = self.dom.attrs.len() as u32;
        let id = self.append(Some(tag), start, end, attrs.flags);
        self.open[tag as usize] += 1;
        self.stack.push(id);
        true
    }

    /// Closes an open `tag` if it is at most a few levels up and no `scope` element is between.
    fn close_open(&mut self, tag: Tag, scope: &[Tag]) {
        if self.open[tag as usize] == 0 {
            return;
        }
        for depth in 1..=6.min(self.stack.len() - 1) {
            let id = self.stack[self.stack.len() - depth];
            let t = self.dom.nodes[id as usize].tag.unwrap_or(Tag::Other);
            if t == tag {
                for _ in 0..depth {
                    self.pop();
                }
                return;
            }
            if scope.contains(&t) {
                return;
            }
        }
    }

    fn pop(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        if let Some(id) = self.stack.pop() {
            let t = self.dom.nodes[id as usize].tag.unwrap_or(Tag::Other);
            self.open[t as usize] = self.open[t as usize].saturating_sub(1);
        }
    }

    fn end_tag(&mut self, tag: Tag) {
        if tag == Tag::Html || tag == Tag::Body || tag == Tag::Head {
            return; // content after </body> still belongs to the body in practice
        }
        if tag == Tag::Br {
            if self.start_tag(Tag::Br, Attrs::default()) {
                self.pop();
            }
            return;
        }
        if self.open[tag as usize] == 0 {
            return; // stray end tag
        }
        if tag == Tag::Other {
            // unknown names share one counter: close only if it is the current element
            if self.top_tag() == Tag::Other {
                self.pop();
            }
            return;
        }
        while self.stack.len() > 1 {
            let t = self.top_tag();
            self.pop();
            if t == tag {
                break;
            }
        }
    }
}

/// What the extractor keeps of a start tag's attributes.
#[derive(Default)]
struct Attrs {
    class_id: String,
    flags: u8,
    self_closing: bool,
}

/// Void elements that `Tag` folds into `Other` (no content, no end tag).
fn is_void_name(name: &[u8]) -> bool {
    const VOID: [&[u8]; 11] = [
        b"meta", b"link", b"base", b"col", b"wbr", b"source", b"track", b"param", b"area",
        b"keygen", b"image",
    ];
    VOID.iter().any(|v| v.eq_ignore_ascii_case(name))
}

fn read_name(bytes: &[u8], from: usize) -> (usize, Tag) {
    let mut end = from;
    while end < bytes.len()
        && !bytes[end].is_ascii_whitespace()
        && bytes[end] != b'>'
        && bytes[end] != b'/'
    {
        end += 1;
    }
    (end, Tag::from_name(&bytes[from..end]))
}

fn skip_to_gt(bytes: &[u8], from: usize) -> usize {
    match memchr(b'>', &bytes[from.min(bytes.len())..]) {
        Some(i) => from + i + 1,
        None => bytes.len(),
    }
}

/// Reads attributes up to the tag's `>`; returns the position after it.
fn read_attrs(src: &str, from: usize) -> (usize, Attrs) {
    let bytes = src.as_bytes();
    let mut attrs = Attrs::default();
    let mut i = from;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'>') {
                attrs.self_closing = true;
            }
            i += 1;
        }
        if i >= bytes.len() {
            return (bytes.len(), attrs);
        }
        if bytes[i] == b'>' {
            return (i + 1, attrs);
        }
        let name_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let name = &bytes[name_start..i];
        if name.is_empty() {
            i += 1; // a lone '=' or similar
            continue;
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = "";
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let q = bytes[i];
                let end = memchr(q, &bytes[i + 1..]).map_or(bytes.len(), |e| i + 1 + e);
                value = &src[i + 1..end];
                i = (end + 1).min(bytes.len());
            } else {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = &src[start..i];
            }
        }
        attribute(&mut attrs, name, value);
    }
}

fn attribute(attrs: &mut Attrs, name: &[u8], value: &str) {
    let lower = |n: &[u8], want: &[u8]| n.eq_ignore_ascii_case(want);
    if lower(name, b"class") || lower(name, b"id") {
        if !attrs.class_id.is_empty() {
            attrs.class_id.push(' ');
        }
        let v = value.trim();
        attrs
            .class_id
            .extend(v.chars().take(200).map(|c| c.to_ascii_lowercase()));
    } else if lower(name, b"hidden") {
        attrs.flags |= HIDDEN;
    } else if lower(name, b"aria-hidden") {
        if value.eq_ignore_ascii_case("true") {
            attrs.flags |= HIDDEN;
        }
    } else if lower(name, b"style") {
        let v: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if v.contains("display:none") || v.contains("visibility:hidden") {
            attrs.flags |= HIDDEN;
        }
    } else if lower(name, b"itemprop") {
        if value.eq_ignore_ascii_case("articlebody") || value.eq_ignore_ascii_case("text") {
            attrs.flags |= ARTICLE_BODY;
        }
    } else if lower(name, b"role") {
        let v = value.to_ascii_lowercase();
        if matches!(
            v.as_str(),
            "navigation"
                | "menu"
                | "menubar"
                | "complementary"
                | "contentinfo"
                | "banner"
                | "dialog"
                | "alert"
                | "alertdialog"
                | "search"
                | "toolbar"
                | "tablist"
        ) {
            attrs.flags |= ROLE_BOILERPLATE;
        } else if v == "main" || v == "article" {
            attrs.flags |= ROLE_MAIN;
        }
    }
}

/// Finds `</name` (any case) from `from`; returns (content end, position after the end tag).
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> (usize, usize) {
    let mut at = from;
    while let Some(i) = memmem::find(&bytes[at..], b"</") {
        let s = at + i;
        let n = &bytes[s + 2..(s + 2 + name.len()).min(bytes.len())];
        if n.eq_ignore_ascii_case(name) {
            let after = bytes.get(s + 2 + name.len()).copied().unwrap_or(b'>');
            if after == b'>' || after == b'/' || after.is_ascii_whitespace() {
                return (s, skip_to_gt(bytes, s + 2));
            }
        }
        at = s + 2;
    }
    (bytes.len(), bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(html: &str) -> String {
        let dom = parse(html, 1_000_000, &mut || false);
        let mut out = String::new();
        fn walk(dom: &Dom, i: u32, out: &mut String) {
            match dom.nodes[i as usize].tag {
                None => out.push_str(dom.node_text(i)),
                Some(t) => {
                    out.push_str(&format!("({t:?}"));
                    for c in dom.children(i) {
                        out.push(' ');
                        walk(dom, c, out);
                    }
                    out.push(')');
                }
            }
        }
        walk(&dom, 0, &mut out);
        out
    }

    #[test]
    fn tolerates_unclosed_and_stray_tags() {
        assert_eq!(
            tree("<p>a<p>b</span><ul><li>x<li>y</ul>"),
            "(Html (P a) (P b) (Ul (Li x) (Li y)))"
        );
        assert_eq!(
            tree("<body><div>a<script>if (a<b) x='</div>'</script>b</div>"),
            "(Html (Body (Div ab)))"
        );
        assert_eq!(
            tree("<table><tr><td>1<td>2<tr><td>3</table>z"),
            "(Html (Table (Tr (Td 1) (Td 2)) (Tr (Td 3))) z)"
        );
    }

    #[test]
    fn reads_attributes_and_title() {
        let dom = parse(
            "<title>T &amp; U</title><div class='A b' id=Main style='display: none'>x</div>",
            100,
            &mut || false,
        );
        assert_eq!(dom.title, "T & U");
        assert_eq!(dom.class_id(1), "a b main");
        assert_eq!(dom.nodes[1].flags & HIDDEN, HIDDEN);
    }

    #[test]
    fn void_elements_hold_nothing() {
        assert_eq!(
            tree("<meta charset=x><link rel=y><p>a<wbr>b</p>"),
            "(Html (Other) (Other) (P a (Other) b))"
        );
    }

    #[test]
    fn deep_nesting_is_capped() {
        let html = "<div>".repeat(30_000) + "deep";
        let dom = parse(&html, 10_000_000, &mut || false);
        assert!(dom.nodes.len() <= MAX_DEPTH + 2);
        assert!(dom.text.contains("deep"));
    }
}
