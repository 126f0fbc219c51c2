//! Unicode character classes used by the hand-written pre-tokenisers.
//!
//! The classes are taken from `regex-syntax` (the parser behind the `regex` and `fancy-regex`
//! crates that tiktoken uses), so `\p{L}`, `\p{N}`, `\s`, ... mean exactly what they mean in
//! the regex engine: same Unicode tables, same version. They are packed once into a two-level
//! table (256-code-point blocks, deduplicated), so a lookup is two loads.

use std::sync::OnceLock;

/// `\p{L}`: letters.
pub const L: u8 = 1;
/// `\p{N}`: numbers.
pub const N: u8 = 2;
/// `\s`: Unicode `White_Space`.
pub const WS: u8 = 4;
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` (o200k's "upper" class).
pub const UP: u8 = 8;
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]` (o200k's "lower" class).
pub const LO: u8 = 16;

const BLOCK: usize = 256;

/// The classes of the ASCII bytes, known at compile time (no table load on the hot path);
/// a unit test checks them against the Unicode tables.
pub const ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_lowercase() {
            L | LO
        } else if b.is_ascii_uppercase() {
            L | UP
        } else if b.is_ascii_digit() {
            N
        } else if matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
            WS
        } else {
            0
        };
        c += 1;
    }
    t
};

struct Table {
    index: Vec<u16>,
    blocks: Vec<u8>,
    #[cfg_attr(not(test), allow(dead_code))]
    ascii: [u8; 128],
}

fn ranges(class: &str) -> Vec<(u32, u32)> {
    // The class strings below are constants of this file and all parse: a failure here is a
    // programming error caught by the unit tests, never a user input problem.
    let hir = regex_syntax::parse(class).expect("built-in class parses");
    match hir.kind() {
        regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(c)) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        _ => panic!("built-in class {class} is not a Unicode class"),
    }
}

fn build() -> Table {
    let mut flat = vec![0u8; 0x110000];
    for (class, bit) in [
        (r"\p{L}", L),
        (r"\p{N}", N),
        (r"\s", WS),
        (r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", UP),
        (r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]", LO),
    ] {
        for (a, b) in ranges(class) {
            for cp in a..=b {
                flat[cp as usize] |= bit;
            }
        }
    }
    let mut index = Vec::with_capacity(flat.len() / BLOCK);
    let mut blocks: Vec<u8> = Vec::new();
    let mut seen: rustc_hash::FxHashMap<&[u8], u16> = Default::default();
    for chunk in flat.chunks(BLOCK) {
        let id = *seen.entry(chunk).or_insert_with(|| {
            let id = (blocks.len() / BLOCK) as u16;
            blocks.extend_from_slice(chunk);
            id
        });
        index.push(id);
    }
    let mut ascii = [0u8; 128];
    ascii.copy_from_slice(&flat[..128]);
    Table {
        index,
        blocks,
        ascii,
    }
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(build)
}

/// Forces the table to be built (so the first encode does not pay for it).
pub fn init() {
    let _ = table();
}

/// The class bits of one code point.
#[inline(always)]
pub fn class_of(cp: u32) -> u8 {
    if cp < 128 {
        return ASCII[cp as usize];
    }
    let t = table();
    let block = t.index[(cp as usize) / BLOCK] as usize;
    t.blocks[block * BLOCK + (cp as usize) % BLOCK]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_constants_match_unicode_tables() {
        assert_eq!(ASCII, table().ascii);
    }

    #[test]
    fn known_characters() {
        assert_eq!(class_of('a' as u32), L | LO);
        assert_eq!(class_of('A' as u32), L | UP);
        assert_eq!(class_of('7' as u32), N);
        assert_eq!(class_of(' ' as u32), WS);
        assert_eq!(class_of('\n' as u32), WS);
        assert_eq!(class_of(0x3000), WS); // ideographic space
        assert_eq!(class_of(0x0301), UP | LO); // combining acute: a mark, not a letter
        assert_eq!(class_of('中' as u32), L | UP | LO); // Lo
        assert_eq!(class_of('½' as u32), N);
        assert_eq!(class_of('\'' as u32), 0);
        assert_eq!(class_of(0x10FFFF), 0);
    }

    #[test]
    fn agrees_with_regex_on_a_sample() {
        let l = regex::Regex::new(r"^\p{L}$").unwrap();
        let n = regex::Regex::new(r"^\p{N}$").unwrap();
        let s = regex::Regex::new(r"^\s$").unwrap();
        for cp in (0u32..0x30000).step_by(7) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let mut buf = [0u8; 4];
            let st = c.encode_utf8(&mut buf);
            let k = class_of(cp);
            assert_eq!(l.is_match(st), k & L != 0, "{cp:x}");
            assert_eq!(n.is_match(st), k & N != 0, "{cp:x}");
            assert_eq!(s.is_match(st), k & WS != 0, "{cp:x}");
        }
    }
}
