//! Element names the extractor distinguishes, and what each one is for layout.

/// A known element, or `Other` for the rest (custom elements, rare tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Html,
    Head,
    Body,
    Title,
    Div,
    P,
    Span,
    A,
    Br,
    Hr,
    Img,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Ul,
    Ol,
    Li,
    Dl,
    Dt,
    Dd,
    Table,
    Thead,
    Tbody,
    Tfoot,
    Tr,
    Td,
    Th,
    Caption,
    Pre,
    Code,
    Blockquote,
    Article,
    Main,
    Section,
    Header,
    Footer,
    Nav,
    Aside,
    Menu,
    Form,
    Fieldset,
    Button,
    Input,
    Select,
    Option,
    Label,
    Textarea,
    Figure,
    Figcaption,
    Picture,
    Video,
    Audio,
    Svg,
    Math,
    Canvas,
    Iframe,
    Script,
    Style,
    Noscript,
    Template,
    Object,
    Embed,
    Address,
    Details,
    Summary,
    Center,
    Font,
    B,
    I,
    Em,
    Strong,
    Dialog,
    Time,
    Sup,
    Sub,
    Small,
    Other,
}

impl Tag {
    /// The tag for an ASCII name of any case.
    pub fn from_name(name: &[u8]) -> Tag {
        let mut buf = [0u8; 10];
        if name.len() > buf.len() {
            return Tag::Other;
        }
        for (d, s) in buf.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        match &buf[..name.len()] {
            b"html" => Tag::Html,
            b"head" => Tag::Head,
            b"body" => Tag::Body,
            b"title" => Tag::Title,
            b"div" => Tag::Div,
            b"p" => Tag::P,
            b"span" => Tag::Span,
            b"a" => Tag::A,
            b"br" => Tag::Br,
            b"hr" => Tag::Hr,
            b"img" => Tag::Img,
            b"h1" => Tag::H1,
            b"h2" => Tag::H2,
            b"h3" => Tag::H3,
            b"h4" => Tag::H4,
            b"h5" => Tag::H5,
            b"h6" => Tag::H6,
            b"ul" => Tag::Ul,
            b"ol" => Tag::Ol,
            b"li" => Tag::Li,
            b"dl" => Tag::Dl,
            b"dt" => Tag::Dt,
            b"dd" => Tag::Dd,
            b"table" => Tag::Table,
            b"thead" => Tag::Thead,
            b"tbody" => Tag::Tbody,
            b"tfoot" => Tag::Tfoot,
            b"tr" => Tag::Tr,
            b"td" => Tag::Td,
            b"th" => Tag::Th,
            b"caption" => Tag::Caption,
            b"pre" => Tag::Pre,
            b"code" => Tag::Code,
            b"blockquote" => Tag::Blockquote,
            b"article" => Tag::Article,
            b"main" => Tag::Main,
            b"section" => Tag::Section,
            b"header" => Tag::Header,
            b"footer" => Tag::Footer,
            b"nav" => Tag::Nav,
            b"aside" => Tag::Aside,
            b"menu" => Tag::Menu,
            b"form" => Tag::Form,
            b"fieldset" => Tag::Fieldset,
            b"button" => Tag::Button,
            b"input" => Tag::Input,
            b"select" => Tag::Select,
            b"option" => Tag::Option,
            b"label" => Tag::Label,
            b"textarea" => Tag::Textarea,
            b"figure" => Tag::Figure,
            b"figcaption" => Tag::Figcaption,
            b"picture" => Tag::Picture,
            b"video" => Tag::Video,
            b"audio" => Tag::Audio,
            b"svg" => Tag::Svg,
            b"math" => Tag::Math,
            b"canvas" => Tag::Canvas,
            b"iframe" => Tag::Iframe,
            b"script" => Tag::Script,
            b"style" => Tag::Style,
            b"noscript" => Tag::Noscript,
            b"template" => Tag::Template,
            b"object" => Tag::Object,
            b"embed" => Tag::Embed,
            b"address" => Tag::Address,
            b"details" => Tag::Details,
            b"summary" => Tag::Summary,
            b"center" => Tag::Center,
            b"font" => Tag::Font,
            b"b" => Tag::B,
            b"i" => Tag::I,
            b"em" => Tag::Em,
            b"strong" => Tag::Strong,
            b"dialog" => Tag::Dialog,
            b"time" => Tag::Time,
            b"sup" => Tag::Sup,
            b"sub" => Tag::Sub,
            b"small" => Tag::Small,
            _ => Tag::Other,
        }
    }

    /// Elements whose content is raw text to skip (never visible page text).
    pub fn is_raw_text(self) -> bool {
        matches!(
            self,
            Tag::Script | Tag::Style | Tag::Noscript | Tag::Template | Tag::Textarea | Tag::Iframe
        )
    }

    /// Elements that have no content and no end tag.
    pub fn is_void(self) -> bool {
        matches!(self, Tag::Br | Tag::Hr | Tag::Img | Tag::Input | Tag::Embed)
    }

    /// Elements that start a new line of output text.
    pub fn is_block(self) -> bool {
        !matches!(
            self,
            Tag::Span
                | Tag::A
                | Tag::Img
                | Tag::Code
                | Tag::Font
                | Tag::B
                | Tag::I
                | Tag::Em
                | Tag::Strong
                | Tag::Time
                | Tag::Sup
                | Tag::Sub
                | Tag::Small
                | Tag::Label
                | Tag::Input
                | Tag::Button
                | Tag::Select
                | Tag::Option
                | Tag::Other
                | Tag::Picture
        )
    }

    /// Headings h1-h6.
    pub fn is_heading(self) -> bool {
        matches!(
            self,
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6
        )
    }

    /// A start tag of this element closes an open `<p>` (HTML's implied end tags, simplified).
    pub fn closes_p(self) -> bool {
        self.is_block()
            && !matches!(
                self,
                Tag::Br | Tag::Html | Tag::Body | Tag::Head | Tag::Li | Tag::Td | Tag::Th | Tag::Tr
            )
    }
}
