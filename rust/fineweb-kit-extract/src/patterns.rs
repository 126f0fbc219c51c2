//! What `class` / `id` names say about an element: boilerplate, or likely main content.
//!
//! Word lists in the spirit of Readability's (unlikely / positive / negative candidates),
//! extended with names seen on the shared pages (share bars, newsletters, cookie banners).

/// Names of elements that are almost never main content (removed before scoring).
const UNLIKELY: &[&str] = &[
    "combx",
    "comment",
    "community",
    "disqus",
    "footer",
    "gdpr",
    "menu",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "newsletter",
    "cookie",
    "breadcrumb",
    "share",
    "sharing",
    "subscribe",
    "promo",
    "banner",
    "masthead",
    "navbar",
    "navigation",
    "advert",
    "outbrain",
    "taboola",
    "recommend",
    "trending",
    "most-popular",
    "mostpopular",
    "signup",
    "sign-up",
    "modal",
    "overlay",
    "toolbar",
    "login",
    "paywall",
    "header",
    "yom-remote",
    "nav-",
    "-nav",
    "topnav",
    "subnav",
    "widget",
    "author-bio",
    "read-more",
    "readmore",
    "more-stories",
    "jump-link",
    "print-only",
    "visually-hidden",
    "sr-only",
    "screen-reader",
    "skip-link",
    "tag-list",
    "taglist",
    "post-tags",
    "article-tags",
    "rollover",
    "tooltip",
    "popover",
    "hovercard",
    "rodape",
    "caption",
    "gallery",
    "slideshow",
    "carousel",
    "lightbox",
];

/// Names that rescue an element from `UNLIKELY` (a wrapper of the article).
const MAYBE: &[&str] = &[
    "article", "body", "column", "content", "main", "shadow", "story",
];

/// Names that make an element more likely to be the article.
const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text",
    "blog", "story", "prose",
];

/// Names that make an element less likely to be the article.
const NEGATIVE: &[&str] = &[
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "foot",
    "footnote",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "tool",
    "widget",
    "byline",
    "author",
    "caption",
    "credit",
    "dateline",
    "timestamp",
    "newsletter",
    "subscribe",
    "advert",
    "social",
    "nav",
];

fn any(name: &str, words: &[&str]) -> bool {
    words.iter().any(|w| name.contains(w))
}

/// Whether an element with this lower-cased "class id" is boilerplate to drop outright.
pub fn is_unlikely(class_id: &str) -> bool {
    !class_id.is_empty() && any(class_id, UNLIKELY) && !any(class_id, MAYBE)
}

/// Readability-style class weight: +25 per positive hint, -25 per negative one.
pub fn class_weight(class_id: &str) -> i32 {
    if class_id.is_empty() {
        return 0;
    }
    let mut w = 0;
    if any(class_id, NEGATIVE) {
        w -= 25;
    }
    if any(class_id, POSITIVE) {
        w += 25;
    }
    w
}

/// Ad / "advertisement" markers matched as whole tokens (`ad`, `ads`, `ad-slot`, ...).
pub fn is_ad(class_id: &str) -> bool {
    class_id
        .split([' ', '_'])
        .any(|t| t == "ad" || t == "ads" || t.starts_with("ad-") || t.starts_with("ads-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names() {
        assert!(is_unlikely("sidebar widget"));
        assert!(!is_unlikely("main-content sidebar"));
        assert!(class_weight("article-body") > 0);
        assert!(class_weight("comment-list") < 0);
        assert!(is_ad("ad-slot top") && !is_ad("read head"));
    }
}
