//! Reading and writing vocabularies: tiktoken rank files, HF `tokenizer.json` (byte-level
//! BPE), and fineweb-kit's own JSON format. Every error names the file and the line or field.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::encoder::Bpe;
use super::pretok::{CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN, R50K_PATTERN};
use super::table::Rank;
use fineweb_kit_base::{CoreError, CoreResult};

fn read(path: &Path) -> CoreResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| CoreError::io(path.display().to_string(), e))
}

/// Writes `data` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, data: &[u8]) -> CoreResult<()> {
    let name = path
        .file_name()
        .map_or_else(|| "out".to_string(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(|e| CoreError::io(tmp.display().to_string(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| CoreError::io(path.display().to_string(), e))
}

/// Parses a tiktoken rank file: one `<base64 bytes> <rank>` per line (blank lines skipped).
pub fn parse_tiktoken(data: &[u8], name: &str) -> CoreResult<Vec<(Vec<u8>, Rank)>> {
    let mut out = Vec::new();
    for (no, line) in data.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let bad = |what: &str| {
            CoreError::Tokenizer(format!(
                "{name}:{}: {what} (expected '<base64 token bytes> <rank>')",
                no + 1
            ))
        };
        let text = std::str::from_utf8(line).map_err(|_| bad("line is not UTF-8"))?;
        let mut parts = text.split(' ');
        let (Some(tok), Some(rank), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("not two space-separated fields"));
        };
        let bytes = B64
            .decode(tok)
            .map_err(|e| bad(&format!("invalid base64 {tok:?}: {e}")))?;
        let rank: Rank = rank
            .parse()
            .map_err(|_| bad(&format!("invalid rank {rank:?}")))?;
        if rank == Rank::MAX {
            return Err(bad("rank too large"));
        }
        out.push((bytes, rank));
    }
    if out.is_empty() {
        return Err(CoreError::Tokenizer(format!(
            "{name}: no tokens in rank file"
        )));
    }
    Ok(out)
}

/// Loads a tiktoken rank file.
pub fn load_tiktoken(path: &Path) -> CoreResult<Vec<(Vec<u8>, Rank)>> {
    parse_tiktoken(&read(path)?, &path.display().to_string())
}

/// The tiktoken rank file text of a tokenizer's mergeable tokens.
pub fn tiktoken_text(bpe: &Bpe) -> String {
    let mut s = String::new();
    for (bytes, rank) in bpe.ranks() {
        s.push_str(&B64.encode(bytes));
        s.push(' ');
        s.push_str(&rank.to_string());
        s.push('\n');
    }
    s
}

/// GPT-2's reversible byte <-> printable char mapping (HF `ByteLevel`).
pub fn byte_to_char() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut n = 0u32;
    for (b, slot) in table.iter_mut().enumerate() {
        let printable = (b'!'..=b'~').contains(&(b as u8))
            || (0xA1..=0xAC).contains(&b)
            || (0xAE..=0xFF).contains(&b);
        let cp = if printable {
            b as u32
        } else {
            n += 1;
            255 + n
        };
        // All code points here are below 0x200: valid chars.
        *slot = char::from_u32(cp).unwrap_or('\0');
    }
    table
}

fn to_byte_level(bytes: &[u8], table: &[char; 256]) -> String {
    bytes.iter().map(|&b| table[b as usize]).collect()
}

fn field<'a>(v: &'a Value, key: &str, path: &str, name: &str) -> CoreResult<&'a Value> {
    v.get(key).ok_or_else(|| {
        let dot = if path.is_empty() { "" } else { "." };
        CoreError::Tokenizer(format!("{name}: field {path}{dot}{key} is missing"))
    })
}

/// A pattern as HF tokenizers' regex engine (Oniguruma) must read it. There `{n,m}+` repeats
/// the interval instead of making it possessive, so cl100k's `\p{N}{1,3}+` would take a whole
/// digit run ("2022" as one piece, not "202" + "2"); a greedy `{1,3}` matches exactly what the
/// possessive one does in these patterns (nothing after it in its alternative can backtrack).
fn hf_regex(pattern: &str) -> String {
    pattern.replace("{1,3}+", "{1,3}")
}

/// The built-in pattern whose HF form is `re` (so a file we wrote gets the fast scanner back),
/// else `re` itself.
fn from_hf_regex(re: &str) -> String {
    [R50K_PATTERN, CL100K_PATTERN, O200K_PATTERN]
        .into_iter()
        .find(|p| hf_regex(p) == re)
        .unwrap_or(re)
        .to_string()
}

/// The pre-tokenisation regex of a HF pre_tokenizer (Split regex, or ByteLevel's GPT-2 one).
fn hf_pattern(pre: &Value, name: &str) -> CoreResult<String> {
    let unsupported = || {
        CoreError::Tokenizer(format!(
            "{name}: field pre_tokenizer: only ByteLevel or Sequence[Split(Regex), ByteLevel] \
             byte-level BPE is supported, got {pre}"
        ))
    };
    match pre.get("type").and_then(Value::as_str) {
        Some("ByteLevel") => {
            if pre
                .get("use_regex")
                .and_then(Value::as_bool)
                .unwrap_or(true)
            {
                Ok(GPT2_PATTERN.to_string())
            } else {
                Err(unsupported())
            }
        }
        Some("Sequence") => {
            let list = pre
                .get("pretokenizers")
                .and_then(Value::as_array)
                .ok_or_else(unsupported)?;
            for p in list {
                if p.get("type").and_then(Value::as_str) == Some("Split") {
                    if let Some(re) = p.pointer("/pattern/Regex").and_then(Value::as_str) {
                        return Ok(from_hf_regex(re));
                    }
                }
            }
            for p in list {
                if p.get("type").and_then(Value::as_str) == Some("ByteLevel") {
                    return hf_pattern(p, name);
                }
            }
            Err(unsupported())
        }
        _ => Err(unsupported()),
    }
}

/// Checks that HF's merge priorities agree with rank-by-id: every `model.merges` entry names
/// two vocabulary tokens whose concatenation is a token, and the merged tokens' ids increase
/// in list order. HF merges by list position, fineweb-kit (like tiktoken) by the merged
/// token's rank; both orders agree exactly when this holds (GPT-2's file and every file we
/// write). A file breaking it would encode differently, so it is refused, naming the entry.
fn check_merges(model: &Value, vocab: &Map<String, Value>, name: &str) -> CoreResult<()> {
    let merges = field(model, "merges", "model", name)?
        .as_array()
        .ok_or_else(|| CoreError::Tokenizer(format!("{name}: field model.merges is not a list")))?;
    let id_of = |tok: &str| vocab.get(tok).and_then(Value::as_u64);
    let mut last: Option<(u64, usize)> = None;
    for (k, m) in merges.iter().enumerate() {
        let bad =
            |why: String| CoreError::Tokenizer(format!("{name}: field model.merges[{k}] {why}"));
        let (a, b) = match m {
            Value::String(s) => s
                .split_once(' ')
                .ok_or_else(|| bad(format!("{s:?} is not \"left right\"")))?,
            Value::Array(v) if v.len() == 2 => match (v[0].as_str(), v[1].as_str()) {
                (Some(a), Some(b)) => (a, b),
                _ => return Err(bad("is not a pair of strings".into())),
            },
            other => return Err(bad(format!("is not a merge: {other}"))),
        };
        let merged = format!("{a}{b}");
        for part in [a, b, merged.as_str()] {
            if id_of(part).is_none() {
                return Err(bad(format!(
                    "({a:?}, {b:?}) uses {part:?}, which is not in model.vocab"
                )));
            }
        }
        let id = id_of(&merged).unwrap_or(u64::MAX);
        if let Some((prev, j)) = last {
            if id <= prev {
                return Err(bad(format!(
                    "({a:?}, {b:?}) makes id {id}, but the earlier merges[{j}] made id {prev}: \
                     fineweb-kit (like tiktoken) ranks tokens by id, so this tokenizer's merge \
                     order would give different ids; it is not supported"
                )));
            }
        }
        last = Some((id, k));
    }
    Ok(())
}

/// Parses a byte-level BPE `tokenizer.json`. Vocabulary ids are the ranks; the merges list is
/// checked to agree with that order (`check_merges`); added tokens become special tokens.
pub fn parse_hf(data: &[u8], name: &str) -> CoreResult<Bpe> {
    let v: Value = serde_json::from_slice(data).map_err(|e| {
        CoreError::Tokenizer(format!(
            "{name}: not valid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let model = field(&v, "model", "", name)?;
    if let Some(t) = model.get("type").and_then(Value::as_str) {
        if t != "BPE" {
            return Err(CoreError::Tokenizer(format!(
                "{name}: field model.type is {t:?}; only \"BPE\" is supported"
            )));
        }
    }
    let vocab = field(model, "vocab", "model", name)?
        .as_object()
        .ok_or_else(|| {
            CoreError::Tokenizer(format!("{name}: field model.vocab is not an object"))
        })?;
    let mut specials = Vec::new();
    if let Some(added) = v.get("added_tokens").and_then(Value::as_array) {
        for (k, t) in added.iter().enumerate() {
            let content = t.get("content").and_then(Value::as_str);
            let id = t.get("id").and_then(Value::as_u64);
            let (Some(content), Some(id)) = (content, id) else {
                return Err(CoreError::Tokenizer(format!(
                    "{name}: field added_tokens[{k}] needs a string 'content' and an integer 'id'"
                )));
            };
            specials.push((content.to_string(), id as Rank));
        }
    }
    let table = byte_to_char();
    let mut from_char = rustc_hash::FxHashMap::default();
    for (b, c) in table.iter().enumerate() {
        from_char.insert(*c, b as u8);
    }
    let mut ranks = Vec::with_capacity(vocab.len());
    for (tok, id) in vocab {
        let id = id
            .as_u64()
            .filter(|&i| i < Rank::MAX as u64)
            .ok_or_else(|| {
                CoreError::Tokenizer(format!(
                    "{name}: field model.vocab[{tok:?}] is not a token id: {id}"
                ))
            })? as Rank;
        if specials.iter().any(|s| s.1 == id) {
            continue;
        }
        let bytes: Option<Vec<u8>> = tok.chars().map(|c| from_char.get(&c).copied()).collect();
        let bytes = bytes.ok_or_else(|| {
            CoreError::Tokenizer(format!(
                "{name}: field model.vocab[{tok:?}] (id {id}) is not a byte-level token"
            ))
        })?;
        ranks.push((bytes, id));
    }
    check_merges(model, vocab, name)?;
    let pattern = hf_pattern(field(&v, "pre_tokenizer", "", name)?, name)?;
    Bpe::new(ranks, specials, &pattern).map_err(|e| match e {
        CoreError::Tokenizer(m) => CoreError::Tokenizer(format!("{name}: {m}")),
        other => other,
    })
}

/// Loads a HF `tokenizer.json`.
pub fn load_hf(path: &Path) -> CoreResult<Bpe> {
    parse_hf(&read(path)?, &path.display().to_string())
}

/// A HF `tokenizer.json` giving the same ids as `bpe` (`ignore_merges` makes HF look whole
/// pieces up first, as tiktoken does; merges are listed in rank order).
pub fn hf_json(bpe: &Bpe) -> Value {
    let table = byte_to_char();
    let mut vocab = Map::new();
    let mut merges = Vec::new();
    for (bytes, rank) in bpe.ranks() {
        vocab.insert(to_byte_level(bytes, &table), json!(rank));
        if bytes.len() >= 2 {
            if let Some((a, b)) = bpe.merge_split(bytes, rank) {
                merges.push(json!([to_byte_level(a, &table), to_byte_level(b, &table)]));
            }
        }
    }
    // HF renumbers added tokens that are missing from the model vocabulary: list them there too.
    for (s, id) in bpe.specials() {
        vocab.insert(s.clone(), json!(id));
    }
    let added: Vec<Value> = bpe
        .specials()
        .iter()
        .map(|(s, id)| {
            json!({"id": id, "content": s, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": hf_regex(bpe.pretokenizer().pattern())},
             "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
             "use_regex": false}
        ]},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
                    "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null,
                  "continuing_subword_prefix": null, "end_of_word_suffix": null,
                  "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
                  "vocab": vocab, "merges": merges}
    })
}

/// fineweb-kit's own format: JSON with the pattern, special tokens and `[base64, rank]` tokens.
pub fn own_json(bpe: &Bpe) -> Value {
    let tokens: Vec<Value> = bpe
        .ranks()
        .into_iter()
        .map(|(b, r)| json!([B64.encode(b), r]))
        .collect();
    let specials: Map<String, Value> = bpe
        .specials()
        .iter()
        .map(|(s, id)| (s.clone(), json!(id)))
        .collect();
    json!({
        "format": "fineweb-kit-bpe",
        "version": 1,
        "pattern": bpe.pretokenizer().pattern(),
        "special_tokens": specials,
        "tokens": tokens,
    })
}

/// Parses fineweb-kit's own format.
pub fn parse_own(data: &[u8], name: &str) -> CoreResult<Bpe> {
    let err = |m: String| CoreError::Tokenizer(format!("{name}: {m}"));
    let v: Value = serde_json::from_slice(data).map_err(|e| {
        err(format!(
            "not valid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    if v.get("format").and_then(Value::as_str) != Some("fineweb-kit-bpe") {
        return Err(err(
            "field format is not \"fineweb-kit-bpe\" (use Tokenizer.from_hf / from_tiktoken \
             for other formats)"
                .into(),
        ));
    }
    if v.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(err(format!(
            "field version is {}, this fineweb-kit reads version 1",
            v.get("version").unwrap_or(&Value::Null)
        )));
    }
    let pattern = field(&v, "pattern", "", name)?
        .as_str()
        .ok_or_else(|| err("field pattern is not a string".into()))?;
    let mut specials = Vec::new();
    let sp = field(&v, "special_tokens", "", name)?
        .as_object()
        .ok_or_else(|| err("field special_tokens is not an object".into()))?;
    for (s, id) in sp {
        let id = id
            .as_u64()
            .filter(|&i| i < Rank::MAX as u64)
            .ok_or_else(|| err(format!("field special_tokens[{s:?}] is not a token id")))?;
        specials.push((s.clone(), id as Rank));
    }
    let toks = field(&v, "tokens", "", name)?
        .as_array()
        .ok_or_else(|| err("field tokens is not a list".into()))?;
    let mut ranks = Vec::with_capacity(toks.len());
    for (k, t) in toks.iter().enumerate() {
        let b = t
            .get(0)
            .and_then(Value::as_str)
            .and_then(|s| B64.decode(s).ok());
        let r = t
            .get(1)
            .and_then(Value::as_u64)
            .filter(|&i| i < Rank::MAX as u64);
        let (Some(b), Some(r)) = (b, r) else {
            return Err(err(format!(
                "field tokens[{k}] is not [base64 bytes, rank]: {t}"
            )));
        };
        ranks.push((b, r as Rank));
    }
    Bpe::new(ranks, specials, pattern).map_err(|e| match e {
        CoreError::Tokenizer(m) => err(m),
        other => other,
    })
}

/// Loads fineweb-kit's own format.
pub fn load_own(path: &Path) -> CoreResult<Bpe> {
    parse_own(&read(path)?, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_file_errors_name_the_line() {
        let e = parse_tiktoken(b"YQ== 0\nnot-base64! 1\n", "f").unwrap_err();
        assert!(e.to_string().starts_with("f:2: invalid base64"), "{e}");
        let e = parse_tiktoken(b"YQ== 0\nYg== x\n", "f").unwrap_err();
        assert!(e.to_string().contains("f:2: invalid rank"), "{e}");
        let e = parse_tiktoken(b"YQ==\n", "f").unwrap_err();
        assert!(e.to_string().contains("f:1: not two"), "{e}");
        assert!(parse_tiktoken(b"\n\n", "f").is_err());
    }

    #[test]
    fn hf_merges_must_agree_with_ids() {
        let mut ranks: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        ranks.push((b"ab".to_vec(), 256));
        ranks.push((b"abc".to_vec(), 257));
        let bpe = Bpe::new(ranks, vec![], "o200k_base").unwrap();
        let good = hf_json(&bpe);
        assert_eq!(
            parse_hf(&serde_json::to_vec(&good).unwrap(), "t")
                .unwrap()
                .n_vocab(),
            258
        );

        let mut swapped = good.clone();
        swapped["model"]["vocab"]["ab"] = json!(257);
        swapped["model"]["vocab"]["abc"] = json!(256);
        let e = parse_hf(&serde_json::to_vec(&swapped).unwrap(), "t").unwrap_err();
        assert!(e.to_string().contains("t: field model.merges[1]"), "{e}");
        assert!(e.to_string().contains("different ids"), "{e}");

        let mut unknown = good.clone();
        unknown["model"]["merges"][0] = json!("a xyz");
        let e = parse_hf(&serde_json::to_vec(&unknown).unwrap(), "t").unwrap_err();
        assert!(e.to_string().contains("not in model.vocab"), "{e}");

        let mut missing = good;
        missing["model"].as_object_mut().unwrap().remove("merges");
        let e = parse_hf(&serde_json::to_vec(&missing).unwrap(), "t").unwrap_err();
        assert!(e.to_string().contains("model.merges"), "{e}");
    }

    #[test]
    fn byte_table_is_a_bijection() {
        let t = byte_to_char();
        let set: std::collections::HashSet<char> = t.iter().copied().collect();
        assert_eq!(set.len(), 256);
        assert_eq!(t[b' ' as usize], 'Ġ');
        assert_eq!(t[b'a' as usize], 'a');
    }

    #[test]
    fn own_format_round_trips_and_checks_fields() {
        let ranks: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        let bpe = Bpe::new(ranks, vec![("<|x|>".into(), 256)], "o200k_base").unwrap();
        let text = serde_json::to_vec(&own_json(&bpe)).unwrap();
        let back = parse_own(&text, "t").unwrap();
        assert_eq!(back.n_vocab(), 257);
        let e = parse_own(br#"{"format": "fineweb-kit-bpe", "version": 1}"#, "t").unwrap_err();
        assert!(e.to_string().contains("field pattern is missing"), "{e}");
        let e = parse_hf(br#"{"model": {"type": "Unigram"}}"#, "h").unwrap_err();
        assert!(e.to_string().contains("model.type"), "{e}");
    }
}
