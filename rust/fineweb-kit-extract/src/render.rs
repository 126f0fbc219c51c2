//! Main content to plain text, trafilatura's conventions: one line per block (paragraph,
//! heading, list item, table row), list items as `- item`, table cells closed by ` |`,
//! whitespace collapsed (kept in `<pre>`), no markup.
//!
//! While writing, blocks inside the content are cleaned (Readability's "conditional" cleaning):
//! link-heavy containers and lists, negatively named containers with little text, and headings
//! named like boilerplate are left out.

use super::content::Analysis;
use super::dom::Dom;
use super::patterns::class_weight;
use super::tags::Tag;
use super::{Bias, ExtractOptions};

struct Writer {
    out: String,
    line_has_text: bool,
    pending_space: bool,
    prefix: Option<&'static str>,
}

impl Writer {
    fn newline(&mut self) {
        if self.line_has_text {
            self.out.push('\n');
        }
        self.line_has_text = false;
        self.pending_space = false;
        self.prefix = None;
    }

    fn text(&mut self, s: &str, pre: bool) {
        for ch in s.chars() {
            if pre && ch == '\n' {
                self.newline();
            } else if ch.is_whitespace() {
                self.pending_space = self.line_has_text;
            } else {
                if let Some(p) = self.prefix.take() {
                    self.out.push_str(p);
                } else if self.pending_space {
                    self.out.push(' ');
                }
                self.out.push(ch);
                self.line_has_text = true;
                self.pending_space = false;
            }
        }
    }
}

/// The text of the content roots.
pub fn render(dom: &Dom, a: &Analysis, roots: &[u32], opts: &ExtractOptions) -> String {
    let mut w = Writer {
        out: String::new(),
        line_has_text: false,
        pending_space: false,
        prefix: None,
    };
    if opts.include_title {
        w.text(&dom.title, false);
        w.newline();
    }
    for &r in roots {
        walk(dom, a, r, opts, &mut w, false, true);
        w.newline();
    }
    let mut out = w.out;
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

fn walk(
    dom: &Dom,
    a: &Analysis,
    i: u32,
    opts: &ExtractOptions,
    w: &mut Writer,
    pre: bool,
    root: bool,
) {
    let node = &dom.nodes[i as usize];
    let Some(tag) = node.tag else {
        w.text(dom.node_text(i), pre);
        return;
    };
    if a.removed[i as usize] || (!root && !keep(dom, a, i, tag, opts)) {
        return;
    }
    match tag {
        Tag::Br => return w.newline(),
        Tag::Hr => return w.newline(),
        Tag::Li => {
            w.newline();
            w.prefix = Some("- ");
        }
        Tag::Td | Tag::Th => {
            w.pending_space = w.line_has_text;
        }
        t if t.is_block() => w.newline(),
        _ => {}
    }
    let pre = pre || tag == Tag::Pre;
    for c in dom.children(i) {
        walk(dom, a, c, opts, w, pre, false);
    }
    match tag {
        Tag::Td | Tag::Th if w.line_has_text => {
            w.out.push_str(" |");
            w.pending_space = true;
        }
        Tag::Td | Tag::Th => {}
        t if t.is_block() => w.newline(),
        _ => {}
    }
}

/// Conditional cleaning of one element inside the content.
fn keep(dom: &Dom, a: &Analysis, i: u32, tag: Tag, opts: &ExtractOptions) -> bool {
    if tag == Tag::Table && !opts.include_tables {
        return false;
    }
    let chars = a.chars[i as usize];
    if chars == 0 {
        return true; // <br>, empty wrappers: nothing to judge
    }
    let ld = a.link_density(i);
    if a.commas[i as usize] >= 10 && ld < 0.6 {
        return true; // prose (Readability cleans only blocks with few commas)
    }
    let weight = class_weight(dom.class_id(i));
    let (ld_max, ld_list) = match opts.bias {
        Bias::Precision => (0.33, 0.4),
        Bias::Balanced => (0.45, 0.55),
        Bias::Recall => (0.6, 0.7),
    };
    match tag {
        Tag::Div
        | Tag::Section
        | Tag::Form
        | Tag::Fieldset
        | Tag::Table
        | Tag::Header
        | Tag::Center
        | Tag::Dl => {
            if (weight < 25 && ld > ld_max) || ld > 0.6 {
                return false;
            }
            if weight < 0 && a.paragraphs[i as usize] == 0 && a.commas[i as usize] < 3 {
                return false;
            }
            true
        }
        Tag::Ul | Tag::Ol => ld <= ld_list && !(weight < 0 && a.commas[i as usize] < 3),
        Tag::P | Tag::Li | Tag::Dd | Tag::Dt => !(ld > 0.5 && chars < 200) && ld < 0.8,
        t if t.is_heading() => weight >= 0 && ld < 0.5,
        _ => true,
    }
}
