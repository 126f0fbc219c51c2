//! Tokeniser special cases: strings that spaCy's English tokeniser keeps whole or splits at
//! fixed points (contractions, abbreviations, times, emoticons).
//!
//! Parity target: `spacy.blank("en")`, which datatrove uses for English words. The table is
//! generated here by rules (pronoun x contraction, verb x negation, ...) rather than listed,
//! and, like spaCy, every entry with an ASCII apostrophe also exists with U+2019.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// A special case: the byte lengths of its pieces (one piece: kept whole).
pub type Pieces = Vec<usize>;

/// No special case is longer than this (bytes); checked by a unit test.
pub const MAX_BYTES: usize = 40;

/// The special case for exactly `s`, if any. Longer strings are rejected before hashing, so
/// peeling affixes off a long run of punctuation stays linear.
#[inline]
pub fn lookup(s: &str) -> Option<&'static Pieces> {
    if s.len() > MAX_BYTES {
        return None;
    }
    table().get(s)
}

fn table() -> &'static FxHashMap<String, Pieces> {
    static TABLE: OnceLock<FxHashMap<String, Pieces>> = OnceLock::new();
    TABLE.get_or_init(build)
}

const EMOTICONS: &str = "(*_*) (-8 (-: (-; (-_-) (._.) (: (; (= (>_<) (^_^) (o: (¬_¬) (ಠ_ಠ) \
(╯°□°）╯︵┻━┻ )-: ): -_- -__- ._. 0.0 0.o 0_0 0_o 8) 8-) 8-D 8D :'( :') :'-( :'-) :( :(( :((( :() \
:) :)) :))) :* :-( :-(( :-((( :-) :-)) :-))) :-* :-/ :-0 :-3 :-> :-D :-O :-P :-X :-] :-o :-p :-x \
:-| :-} :/ :0 :1 :3 :> :D :O :P :X :] :o :o) :p :x :| :} ;) ;-) ;-D ;D ;_; <.< </3 <3 <33 <333 \
=( =) =/ =3 =D =[ =] =| >.< >.> >:( >:o ><(((*> @_@ O.O O.o O_O O_o V.V V_V XD XDD [-: [: [= ]= \
^_^ ^__^ ^___^ o.0 o.O o.o o_0 o_O o_o v.v v_v xD xDD ¯\\(ツ)/¯ ಠ_ಠ ಠ︵ಠ";

const WHOLE: &str = "' \\\") <space> '' C++ ä. ö. ü. \\t \\n — \
'S 's ‘S ‘s and/or w/o 're 'Cause 'cause 'cos 'Cos 'coz 'Coz 'cuz 'Cuz 'bout ma'am Ma'am \
o'clock O'clock 'd a.m. p.m. e.g. E.g. E.G. i.e. I.e. I.E. Ph.D. D.C. N.C. N.D. N.H. N.J. N.M. \
N.Y. S.C. v.s. vs. co. Co. Corp. Adm. Bros. Dr. Gen. Gov. Inc. Jr. Ltd. Md. Messrs. Mo. Mont. \
Mr. Mrs. Ms. Prof. Rep. Rev. Sen. St. Mt. Ak. Ala. Apr. Ariz. Ark. Aug. Calif. Colo. Conn. Dec. \
Del. Feb. Fla. Ga. Ia. Id. Ill. Ind. Jan. Jul. Jun. Kan. Kans. Ky. La. Mar. Mass. Mich. Minn. \
Miss. Neb. Nebr. Nev. Nov. Oct. Okla. Ore. Pa. Sep. Sept. Tenn. Va. Wash. Wis.";

/// Words spaCy removes from the generated table because they are ordinary words.
const EXCLUDE: &str =
    "Ill ill Its its Hell hell Shell shell Shed shed were Were Well well Whore whore";

fn title(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

struct Builder(FxHashMap<String, Pieces>);

impl Builder {
    fn add(&mut self, pieces: &[&str]) {
        let key: String = pieces.concat();
        let lens: Pieces = pieces.iter().map(|p| p.len()).collect();
        if key.contains('\'') {
            let curly = key.replace('\'', "\u{2019}");
            let curly_lens = pieces
                .iter()
                .map(|p| p.replace('\'', "\u{2019}").len())
                .collect();
            self.0.entry(curly).or_insert(curly_lens);
        }
        self.0.insert(key, lens);
    }

    /// Adds `word + suffix pieces` for `word` and its title-case form.
    fn both_cases(&mut self, word: &str, rest: &[&str]) {
        for w in [word.to_string(), title(word)] {
            let mut pieces: Vec<&str> = vec![&w];
            pieces.extend_from_slice(rest);
            self.add(&pieces);
        }
    }
}

fn build() -> FxHashMap<String, Pieces> {
    let mut b = Builder(FxHashMap::default());
    for s in EMOTICONS.split(' ').chain(WHOLE.split(' ')) {
        b.add(&[s]);
    }
    for c in 'a'..='z' {
        b.add(&[&format!("{c}.")]);
    }
    for rest in [&["'m"][..], &["m"], &["'m", "a"], &["m", "a"]] {
        b.both_cases("i", rest);
    }
    let will_would: [&[&str]; 8] = [
        &["'ll"],
        &["ll"],
        &["'ll", "'ve"],
        &["ll", "ve"],
        &["'d"],
        &["d"],
        &["'d", "'ve"],
        &["d", "ve"],
    ];
    for pron in ["i", "you", "he", "she", "it", "we", "they"] {
        for rest in will_would {
            b.both_cases(pron, rest);
        }
    }
    for pron in ["i", "you", "we", "they"] {
        b.both_cases(pron, &["'ve"]);
        b.both_cases(pron, &["ve"]);
    }
    for pron in ["you", "we", "they"] {
        b.both_cases(pron, &["'re"]);
        b.both_cases(pron, &["re"]);
    }
    for pron in ["he", "she", "it"] {
        b.both_cases(pron, &["'s"]);
        b.both_cases(pron, &["s"]);
    }
    let wh = [
        "who", "what", "when", "where", "why", "how", "there", "that", "this", "these", "those",
    ];
    for word in wh {
        let plural = matches!(word, "these" | "those");
        let singular = matches!(word, "that" | "this");
        if !plural {
            b.both_cases(word, &["'s"]);
            b.both_cases(word, &["s"]);
        }
        for rest in will_would {
            b.both_cases(word, rest);
        }
        if !singular {
            for rest in [&["'re"][..], &["re"], &["'ve"], &["ve"]] {
                b.both_cases(word, rest);
            }
        }
    }
    let negatable = [
        "ca", "could", "do", "does", "did", "had", "may", "might", "must", "need", "ought", "sha",
        "should", "wo", "would",
    ];
    for verb in negatable {
        for rest in [&["n't"][..], &["nt"], &["n't", "'ve"], &["nt", "ve"]] {
            b.both_cases(verb, rest);
        }
    }
    for verb in ["could", "might", "must", "should", "would"] {
        b.both_cases(verb, &["'ve"]);
        b.both_cases(verb, &["ve"]);
    }
    for verb in ["ai", "are", "is", "was", "were", "have", "has", "dare"] {
        b.both_cases(verb, &["n't"]);
        b.both_cases(verb, &["nt"]);
    }
    for w in [
        "doin", "goin", "nothin", "nuthin", "ol", "somethin", "lovin", "havin",
    ] {
        for x in [w.to_string(), title(w)] {
            b.add(&[&x]);
            b.add(&[&format!("{x}'")]);
        }
    }
    for w in ["em", "ll", "nuff"] {
        b.add(&[w]);
        b.add(&[&format!("'{w}")]);
    }
    for h in 1..=12 {
        let h = h.to_string();
        for period in ["a.m.", "am", "p.m.", "pm"] {
            b.add(&[&h, period]);
        }
    }
    let other: [&[&str]; 9] = [
        &["y'", "all"],
        &["y", "all"],
        &["how", "'d", "'y"],
        &["How", "'d", "'y"],
        &["can", "not"],
        &["Can", "not"],
        &["c'm", "on"],
        &["C'm", "on"],
        &["not", "'ve"],
    ];
    for p in other {
        b.add(p);
    }
    for p in [
        &["Not", "'ve"][..],
        &["not", "ve"],
        &["Not", "ve"],
        &["gon", "na"],
        &["Gon", "na"],
        &["got", "ta"],
        &["Got", "ta"],
        &["let", "'s"],
        &["Let", "'s"],
    ] {
        b.add(p);
    }
    for w in EXCLUDE.split(' ') {
        b.0.remove(w);
    }
    b.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_fits_max_bytes() {
        assert!(table().keys().all(|k| k.len() <= MAX_BYTES));
    }

    #[test]
    fn contractions_and_abbreviations() {
        assert_eq!(lookup("don't"), Some(&vec![2, 3]));
        assert_eq!(lookup("don\u{2019}t"), Some(&vec![2, 5]));
        assert_eq!(lookup("Mr."), Some(&vec![3]));
        assert_eq!(lookup("10pm"), Some(&vec![2, 2]));
        assert_eq!(lookup("its"), None);
        assert_eq!(lookup("hello"), None);
        assert_eq!(lookup(":-)"), Some(&vec![3]));
    }
}
