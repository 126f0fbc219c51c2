//! Finding the main content: boilerplate removal, block statistics, candidate scoring.
//!
//! 1. Removal (top-down): elements that are never main content by tag (nav, aside, footer,
//!    forms' controls, media), hidden ones (`hidden`, `aria-hidden`, `display:none`), landmark
//!    roles of navigation, and -- in the strict pass -- class/id names of boilerplate.
//! 2. Statistics (bottom-up, one reverse loop thanks to document order): visible characters,
//!    characters inside links, commas, whether an element has block children.
//! 3. Scoring (Readability's idea): every paragraph-like block with enough text gives its
//!    parent and, decreasingly, its ancestors a score for its length and commas; ancestors start
//!    from a tag prior and their class weight; scores are scaled by (1 - link density). Markup
//!    that names the article (`itemprop=articleBody`, `<article>`, `role=main`) gets a bonus.
//! 4. The best-scoring element plus the siblings that score close to it form the content.

use super::dom::{Dom, ARTICLE_BODY, HIDDEN, ROLE_BOILERPLATE, ROLE_MAIN};
use super::patterns::{class_weight, is_ad, is_unlikely};
use super::tags::Tag;
use super::Bias;

/// Per-node numbers used by scoring and by the renderer's cleaning.
pub struct Analysis {
    pub removed: Vec<bool>,
    /// Visible non-whitespace characters under the node.
    pub chars: Vec<u32>,
    /// Of those, characters inside `<a>`.
    pub link_chars: Vec<u32>,
    pub commas: Vec<u32>,
    /// Number of `<p>` descendants.
    pub paragraphs: Vec<u32>,
    pub score: Vec<f32>,
}

impl Analysis {
    pub fn link_density(&self, i: u32) -> f32 {
        let c = self.chars[i as usize];
        if c == 0 {
            return 0.0;
        }
        self.link_chars[i as usize] as f32 / c as f32
    }
}

fn never_content(tag: Tag, bias: Bias) -> bool {
    match tag {
        Tag::Nav
        | Tag::Aside
        | Tag::Footer
        | Tag::Menu
        | Tag::Button
        | Tag::Select
        | Tag::Option
        | Tag::Input
        | Tag::Label
        | Tag::Svg
        | Tag::Math
        | Tag::Canvas
        | Tag::Dialog
        | Tag::Object
        | Tag::Embed
        | Tag::Video
        | Tag::Audio
        | Tag::Iframe
        | Tag::Script
        | Tag::Style
        | Tag::Noscript
        | Tag::Template
        | Tag::Textarea
        | Tag::Picture
        | Tag::Img => true,
        Tag::Header | Tag::Figure | Tag::Figcaption => bias != Bias::Recall,
        _ => false,
    }
}

/// Marks removed nodes and computes the statistics. `strict`: also remove by class/id names.
pub fn analyse(dom: &Dom, bias: Bias, strict: bool) -> Analysis {
    let n = dom.nodes.len();
    let mut removed = vec![false; n];
    for i in 1..n {
        let node = &dom.nodes[i];
        let parent = node.parent as usize;
        if removed[parent] {
            removed[i] = true;
            continue;
        }
        let Some(tag) = node.tag else { continue };
        if never_content(tag, bias) || node.flags & (HIDDEN | ROLE_BOILERPLATE) != 0 {
            removed[i] = true;
            continue;
        }
        if strict && !matches!(tag, Tag::Body | Tag::Article | Tag::Main) {
            let name = dom.class_id(i as u32);
            if node.flags & (ARTICLE_BODY | ROLE_MAIN) == 0 && (is_unlikely(name) || is_ad(name)) {
                removed[i] = true;
            }
        }
    }
    let mut chars = vec![0u32; n];
    let mut link_chars = vec![0u32; n];
    let mut commas = vec![0u32; n];
    let mut paragraphs = vec![0u32; n];
    for i in (1..n).rev() {
        if removed[i] {
            continue;
        }
        let node = &dom.nodes[i];
        match node.tag {
            None => {
                let (c, k) = count(dom.node_text(i as u32));
                chars[i] = c;
                commas[i] = k;
            }
            Some(Tag::A) => link_chars[i] = chars[i],
            Some(Tag::P) => paragraphs[i] += 1,
            _ => {}
        }
        let p = node.parent as usize;
        chars[p] += chars[i];
        link_chars[p] += link_chars[i];
        commas[p] += commas[i];
        paragraphs[p] += paragraphs[i];
    }
    let mut a = Analysis {
        removed,
        chars,
        link_chars,
        commas,
        paragraphs,
        score: vec![0.0; n],
    };
    score(dom, &mut a);
    a
}

/// Non-whitespace characters and commas of a text.
fn count(text: &str) -> (u32, u32) {
    let mut c = 0;
    let mut k = 0;
    for ch in text.chars() {
        if !ch.is_whitespace() {
            c += 1;
            if matches!(ch, ',' | '，' | '、' | '،') {
                k += 1;
            }
        }
    }
    (c, k)
}

fn prior(dom: &Dom, i: u32) -> f32 {
    let node = &dom.nodes[i as usize];
    let tag = node.tag.unwrap_or(Tag::Other);
    let mut s: f32 = match tag {
        Tag::Div | Tag::Article | Tag::Main | Tag::Section => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Address | Tag::Ol | Tag::Ul | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => {
            -3.0
        }
        Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6 | Tag::Th => -5.0,
        _ => 0.0,
    };
    s += class_weight(dom.class_id(i)) as f32;
    if node.flags & (ARTICLE_BODY | ROLE_MAIN) != 0 || tag == Tag::Article {
        s += 25.0;
    }
    s
}

/// Whether `i` is a paragraph-like block that votes for its ancestors.
fn is_paragraph(dom: &Dom, a: &Analysis, i: u32) -> bool {
    match dom.nodes[i as usize].tag {
        Some(Tag::P | Tag::Pre | Tag::Td | Tag::Blockquote) => true,
        Some(Tag::Div | Tag::Section | Tag::Li | Tag::Dd | Tag::Font | Tag::Center | Tag::Span) => {
            // a text container: direct text of its own, no block children
            for c in dom.children(i) {
                match dom.nodes[c as usize].tag {
                    Some(t) if t.is_block() && t != Tag::Br && a.chars[c as usize] > 0 => {
                        return false
                    }
                    _ => {}
                }
            }
            true
        }
        _ => false,
    }
}

fn score(dom: &Dom, a: &mut Analysis) {
    let n = dom.nodes.len();
    let mut touched = vec![false; n];
    for i in 1..n as u32 {
        if a.removed[i as usize] || dom.nodes[i as usize].tag.is_none() {
            continue;
        }
        let c = a.chars[i as usize];
        if c < 25 || !is_paragraph(dom, a, i) {
            continue;
        }
        let s = 1.0 + a.commas[i as usize] as f32 + (c as f32 / 100.0).min(3.0);
        if matches!(
            dom.nodes[i as usize].tag,
            Some(Tag::Div | Tag::Section | Tag::Article)
        ) {
            // a text container (e.g. paragraphs split by <br>) is itself a candidate
            if !touched[i as usize] {
                touched[i as usize] = true;
                a.score[i as usize] = prior(dom, i);
            }
            a.score[i as usize] += s;
        }
        let mut anc = dom.nodes[i as usize].parent;
        let mut level = 0;
        while anc != u32::MAX && level < 5 {
            if !touched[anc as usize] {
                touched[anc as usize] = true;
                a.score[anc as usize] = prior(dom, anc);
            }
            let div = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            a.score[anc as usize] += s / div;
            anc = dom.nodes[anc as usize].parent;
            level += 1;
        }
    }
    for (i, &t) in touched.iter().enumerate() {
        a.score[i] = if t {
            a.score[i] * (1.0 - a.link_density(i as u32))
        } else {
            f32::NEG_INFINITY
        };
    }
}

/// Readability's move up: when at least 3 of the next-best candidates (score >= 75 % of the
/// best, among the top 5) sit under one ancestor of the best, the content is that ancestor
/// (an article split into several scored blocks).
fn common_ancestor_of_alternatives(dom: &Dom, a: &Analysis, best: u32) -> u32 {
    let top = a.score[best as usize];
    let mut order: Vec<u32> = (1..dom.nodes.len() as u32)
        .filter(|&i| !a.removed[i as usize] && a.score[i as usize] >= 0.75 * top && i != best)
        .collect();
    order.sort_by(|x, y| a.score[*y as usize].total_cmp(&a.score[*x as usize]));
    order.truncate(4);
    if order.len() < 3 {
        return best;
    }
    let is_ancestor = |anc: u32, mut i: u32| {
        while i != u32::MAX {
            i = dom.nodes[i as usize].parent;
            if i == anc {
                return true;
            }
        }
        false
    };
    let mut p = dom.nodes[best as usize].parent;
    while p != u32::MAX && p != 0 && dom.nodes[p as usize].tag != Some(Tag::Body) {
        if order.iter().filter(|&&alt| is_ancestor(p, alt)).count() >= 3 {
            return p;
        }
        p = dom.nodes[p as usize].parent;
    }
    best
}

/// The content roots: the best candidate and its qualifying siblings, in document order.
pub fn select(dom: &Dom, a: &Analysis, bias: Bias) -> Vec<u32> {
    let mut best = 0u32;
    for i in 1..dom.nodes.len() {
        if !a.removed[i] && a.score[i] > a.score[best as usize] {
            best = i as u32;
        }
    }
    if a.score[best as usize] == f32::NEG_INFINITY {
        return vec![0];
    }
    best = common_ancestor_of_alternatives(dom, a, best);
    // climb while the parent holds nothing else (siblings are then looked for one level up)
    loop {
        let p = dom.nodes[best as usize].parent;
        if p == u32::MAX || p == 0 || dom.nodes[p as usize].tag == Some(Tag::Body) {
            break;
        }
        let only_child = dom
            .children(p)
            .all(|c| c == best || a.removed[c as usize] || a.chars[c as usize] == 0);
        if !only_child {
            break;
        }
        best = p;
    }
    let parent = dom.nodes[best as usize].parent;
    if parent == u32::MAX {
        return vec![best];
    }
    let top = a.score[best as usize];
    let factor = match bias {
        Bias::Precision => 0.3,
        Bias::Balanced => 0.2,
        Bias::Recall => 0.1,
    };
    let threshold = (top * factor).max(10.0);
    let best_class = dom.class_id(best);
    let mut roots = Vec::new();
    for s in dom.children(parent) {
        if s == best {
            roots.push(s);
            continue;
        }
        if a.removed[s as usize] || dom.nodes[s as usize].tag.is_none() {
            continue;
        }
        let mut bonus = 0.0;
        if !best_class.is_empty() && dom.class_id(s) == best_class {
            bonus = top * 0.2;
        }
        let chars = a.chars[s as usize];
        let ld = a.link_density(s);
        // a sibling needs text of its own: a short title block scores by its class name alone
        let keep = (a.score[s as usize] + bonus >= threshold && chars >= 150 && ld < 0.33)
            || (dom.nodes[s as usize].tag == Some(Tag::P)
                && ((chars > 80 && ld < 0.25) || (chars > 0 && ld == 0.0 && bias == Bias::Recall)));
        if keep {
            roots.push(s);
        }
    }
    roots
}
