//! fastText supervised-model inference: load a `.bin` and score many lines per call.
//!
//! Why: the `fasttext` Python package scores one line per C++ call through an
//! `std::istream`, character by character; quality filtering (DCLM) runs it over
//! every document of a crawl. This module re-implements exactly the inference
//! path of fastText 0.9.2 for the models quality classifiers use (softmax loss,
//! word n-grams, no character n-grams, not quantised) over a byte slice:
//!
//! - tokens are split on fastText's separators (space, `\t`, `\n`, `\v`, `\f`,
//!   `\r`, `\0`) and the end-of-sentence token `</s>` is appended, as fastText
//!   reads a line ending in `\n`; a literal `</s>` ends the input, as in fastText's
//!   `getLine` (see `tokens.rs`);
//! - a token in the vocabulary contributes its row; every token that is not a
//!   label contributes its FNV-1a hash (bytes sign-extended, as fastText's
//!   `int8_t` cast does) to the word n-gram hashes, `h = h * 116049371 + next`
//!   over sign-extended 64-bit values, row `nwords + h % bucket`;
//! - the hidden vector is the f32 sum of those rows, in that order, times
//!   `(f32)(1.0 / count)`; logits are f32 dot products; softmax as fastText's
//!   `SoftmaxLoss`; the reported probability is
//!   `expf((float) log((double) p + 1e-5))` like `FastText::predictLine`.
//!
//! The f32 operations run in fastText's order, so scores equal the package's bit
//! for bit (tested against it in `tests/classifiers`). Other models (character
//! n-grams, quantised `.ftz`, hierarchical softmax, one-vs-all) are refused with
//! [`CoreError::Format`] and the Python side falls back to the package.
//!
//! Speed (DCLM's shape: dim 100, 2M buckets, an 800 MB input matrix read at random). Single
//! core CPU time to score cc-docs x4 (8.8k documents) with the benchmark's model, each step
//! measured on top of the previous one:
//!
//! | step | CPU time |
//! |---|---|
//! | `HashMap` dictionary, heap matrices, prefetch 8 rows ahead, prepared lines from Python | 1,380 ms |
//! | matrices on transparent huge pages ([`HugeF32Buf`]: TLB misses on the row reads) | 1,200 ms |
//! | flat dictionary of 32-byte slots (hash, id, the word's bytes), slot prefetched ahead (`vocab.rs`); buffers reused across a batch; DCLM's preparation read in Rust ([`Prep::Dclm`]) | 760 ms |
//! | dim 100 with AVX: the row sum kept in 13 vector registers (`gather.rs`) | 505 ms |
//! | dictionary at most half full, first probes on one cache line; prefetch 32 rows / 16 tokens ahead | 450 ms |
//!
//! (first three rows: `kernel.score` timed from Python; the rest: `examples/fasttext_speed.rs`.)
//! Tried and dropped (no gain beyond noise): overlapping one document's row sum with the next
//! one's dictionary lookups, prefetch hints other than T0; skipping the prefetch of frequent
//! (low-id, usually cached) rows was slower.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use fineweb_kit_base::hugebuf::HugeF32Buf;
use fineweb_kit_base::{CoreError, CoreResult};

mod gather;
mod tokens;
mod vocab;

use gather::Rows;
pub use tokens::Prep;
use tokens::Token;
use vocab::{Entry, Vocab};

const MAGIC: i32 = 793_712_314;
const LABEL_PREFIX: &[u8] = b"__label__";
const LOSS_SOFTMAX: i32 = 3;
const MODEL_SUPERVISED: i32 = 3;
const NGRAM_MULTIPLIER: u64 = 116_049_371;
/// How many tokens ahead the dictionary lookups prefetch their table slot (measured: 4 was
/// ~10 % slower than 8, 12 to 24 a few % faster than 8).
const VOCAB_PREFETCH_DISTANCE: usize = 16;

/// A loaded supervised fastText model (softmax, word n-grams).
#[derive(Debug)]
pub struct FastTextModel {
    dim: usize,
    word_ngrams: usize,
    bucket: u64,
    nwords: usize,
    labels: Vec<String>,
    /// word -> row, and the labels (skipped when reading text, like fastText does).
    vocab: Vocab,
    /// On transparent huge pages where possible (see [`HugeF32Buf`]): rows are gathered at random.
    input: HugeF32Buf,
    output: HugeF32Buf,
    /// The CPU has AVX (the hidden-layer sum then keeps `dim` 100 in registers).
    avx: bool,
}

struct Cursor<R: Read> {
    inner: R,
    offset: u64,
    path: String,
}

impl<R: Read> Cursor<R> {
    fn bytes(&mut self, n: usize, what: &str) -> CoreResult<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.fill(&mut buf, what)?;
        Ok(buf)
    }
    fn fill(&mut self, buf: &mut [u8], what: &str) -> CoreResult<()> {
        self.inner.read_exact(buf).map_err(|e| {
            CoreError::Format(format!(
                "{}: truncated fastText model: cannot read {what} at offset {}: {e}",
                self.path, self.offset
            ))
        })?;
        self.offset += buf.len() as u64;
        Ok(())
    }
    fn i32(&mut self, what: &str) -> CoreResult<i32> {
        let b = self.bytes(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self, what: &str) -> CoreResult<i64> {
        let b = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(&b);
        Ok(i64::from_le_bytes(a))
    }
    fn u8(&mut self, what: &str) -> CoreResult<u8> {
        Ok(self.bytes(1, what)?[0])
    }
    fn cstring(&mut self) -> CoreResult<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let c = self.u8("a dictionary word")?;
            if c == 0 {
                return Ok(out);
            }
            out.push(c);
        }
    }
    fn matrix(&mut self, what: &str) -> CoreResult<(usize, usize, HugeF32Buf)> {
        let m = self.i64(what)?;
        let n = self.i64(what)?;
        if m < 0 || n < 0 || m.checked_mul(n).is_none_or(|c| c > (1 << 36)) {
            return Err(self.bad(&format!("{what} has impossible shape {m} x {n}")));
        }
        let (m, n) = (m as usize, n as usize);
        let mut data = HugeF32Buf::zeroed(m * n);
        let mut chunk = vec![0u8; 4 << 18];
        for part in data.chunks_mut(1 << 18) {
            let bytes = &mut chunk[..part.len() * 4];
            self.fill(bytes, what)?;
            for (x, c) in part.iter_mut().zip(bytes.chunks_exact(4)) {
                *x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        Ok((m, n, data))
    }
    fn bad(&self, msg: &str) -> CoreError {
        CoreError::Format(format!("{}: offset {}: {msg}", self.path, self.offset))
    }
}

impl FastTextModel {
    /// Loads a fastText `.bin` file; refuses models this fast path does not handle.
    pub fn load(path: &Path) -> CoreResult<Self> {
        let file = File::open(path).map_err(|e| CoreError::io(path.display().to_string(), e))?;
        let cur = Cursor {
            inner: BufReader::with_capacity(1 << 20, file),
            offset: 0,
            path: path.display().to_string(),
        };
        Self::read(cur)
    }

    /// Loads a model from its bytes (tests, in-memory models).
    pub fn from_bytes(bytes: &[u8], name: &str) -> CoreResult<Self> {
        Self::read(Cursor {
            inner: bytes,
            offset: 0,
            path: name.to_string(),
        })
    }

    fn read<R: Read>(mut cur: Cursor<R>) -> CoreResult<Self> {
        if cur.i32("magic")? != MAGIC {
            return Err(cur.bad("not a fastText model (bad magic number)"));
        }
        let version = cur.i32("version")?;
        if !(11..=12).contains(&version) {
            return Err(cur.bad(&format!("unsupported fastText format version {version}")));
        }
        let mut args = [0i32; 12]; // dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate
        for a in args.iter_mut() {
            *a = cur.i32("model arguments")?;
        }
        cur.bytes(8, "model arguments")?; // t (f64), not needed to predict
        let [dim, _, _, _, _, word_ngrams, loss, model, bucket, _, maxn, _] = args;
        let maxn = if version == 11 && model == MODEL_SUPERVISED {
            0
        } else {
            maxn
        };
        if model != MODEL_SUPERVISED || loss != LOSS_SOFTMAX || maxn > 0 {
            return Err(cur.bad(&format!(
                "fast path handles supervised softmax models without character n-grams \
                 (model {model}, loss {loss}, maxn {maxn})"
            )));
        }
        if dim <= 0 || bucket < 0 || word_ngrams <= 0 {
            return Err(cur.bad(&format!("invalid arguments dim {dim} bucket {bucket}")));
        }
        let size = cur.i32("dictionary size")?;
        let nwords = cur.i32("dictionary nwords")?;
        let nlabels = cur.i32("dictionary nlabels")?;
        cur.i64("dictionary ntokens")?;
        let prune = cur.i64("dictionary pruneidx size")?;
        if size < 0 || nwords < 0 || nlabels <= 0 || nwords + nlabels != size || prune > 0 {
            return Err(cur.bad(&format!(
                "unsupported dictionary: size {size}, words {nwords}, labels {nlabels}, pruned {prune}"
            )));
        }
        let mut vocab = Vocab::with_capacity(size as usize);
        let mut labels = Vec::with_capacity(nlabels as usize);
        for i in 0..size {
            let word = cur.cstring()?;
            cur.i64("a word count")?;
            let kind = cur.u8("an entry type")?;
            match kind {
                0 => vocab.insert_word(&word, i as u32),
                1 => {
                    labels.push(String::from_utf8_lossy(&word).into_owned());
                    vocab.insert_label(&word);
                }
                _ => return Err(cur.bad(&format!("unknown dictionary entry type {kind}"))),
            }
        }
        if cur.u8("the quantisation flag")? != 0 {
            return Err(cur.bad("quantised (.ftz) models are not handled by the fast path"));
        }
        let (rows, cols, input) = cur.matrix("the input matrix")?;
        let (dim, nwords) = (dim as usize, nwords as usize);
        if cols != dim || rows != nwords + bucket as usize {
            return Err(cur.bad(&format!(
                "input matrix {rows} x {cols} does not fit the dictionary"
            )));
        }
        cur.u8("the output quantisation flag")?;
        let (orows, ocols, output) = cur.matrix("the output matrix")?;
        if ocols != dim || orows != labels.len() {
            return Err(cur.bad(&format!(
                "output matrix {orows} x {ocols} does not fit the labels"
            )));
        }
        Ok(FastTextModel {
            dim,
            word_ngrams: word_ngrams as usize,
            bucket: bucket as u64,
            nwords,
            labels,
            vocab,
            input,
            output,
            #[cfg(target_arch = "x86_64")]
            avx: std::arch::is_x86_feature_detected!("avx"),
            #[cfg(not(target_arch = "x86_64"))]
            avx: false,
        })
    }

    /// The model's labels, in its output order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Row ids fastText feeds the hidden layer for `line` (words, then word n-grams).
    pub fn line_ids(&self, line: &[u8]) -> Vec<usize> {
        let mut sc = Scratch::default();
        self.ids_into(line, Prep::Line, &mut sc);
        sc.ids
    }

    /// Fills `sc.ids` with the rows of `text` read as `prep` says, in fastText's order.
    fn ids_into(&self, text: &[u8], prep: Prep, sc: &mut Scratch) {
        sc.ids.clear();
        sc.hashes.clear();
        tokens::split(text, prep, &mut sc.tokens);
        for (k, token) in sc.tokens.iter().enumerate() {
            if let Some(ahead) = sc.tokens.get(k + VOCAB_PREFETCH_DISTANCE) {
                self.vocab.prefetch(ahead.hash);
            }
            let bytes = token.bytes(text);
            match self.vocab.get(bytes, token.hash) {
                Entry::Word(id) => sc.ids.push(id as usize),
                Entry::Label => continue,
                // fastText types an unknown token by its prefix (the default `__label__`;
                // the prefix a model was trained with is not saved in the .bin)
                Entry::Missing if bytes.starts_with(LABEL_PREFIX) => continue,
                Entry::Missing => {}
            }
            sc.hashes.push(token.hash as i32);
        }
        if self.bucket > 0 {
            let hashes = &sc.hashes;
            for i in 0..hashes.len() {
                let mut h = hashes[i] as i64 as u64;
                for &next in hashes.iter().skip(i + 1).take(self.word_ngrams - 1) {
                    h = h
                        .wrapping_mul(NGRAM_MULTIPLIER)
                        .wrapping_add(next as i64 as u64);
                    sc.ids.push(self.nwords + (h % self.bucket) as i32 as usize);
                }
            }
        }
    }

    /// Softmax probabilities of every label for one line (empty if it has no input).
    pub fn probabilities(&self, line: &[u8]) -> Vec<f32> {
        let mut sc = Scratch::default();
        self.ids_into(line, Prep::Line, &mut sc);
        self.probabilities_into(&mut sc);
        sc.probs
    }

    /// `sc.probs` from `sc.ids` (left empty if there are no ids).
    fn probabilities_into(&self, sc: &mut Scratch) {
        sc.probs.clear();
        if sc.ids.is_empty() {
            return;
        }
        let rows = Rows {
            data: &self.input,
            dim: self.dim,
            avx: self.avx,
        };
        rows.sum(&sc.ids, &mut sc.hidden);
        let scale = (1.0f64 / sc.ids.len() as f64) as f32;
        let hidden = &mut sc.hidden;
        for h in hidden.iter_mut() {
            *h *= scale;
        }
        sc.probs
            .extend(self.output.chunks_exact(self.dim).map(|row| {
                let mut acc = 0f32;
                for (&w, &h) in row.iter().zip(hidden.iter()) {
                    acc += w * h;
                }
                acc
            }));
        let out = &mut sc.probs;
        let max = out.iter().fold(out[0], |m, &v| if v > m { v } else { m });
        let mut z = 0f32;
        for v in out.iter_mut() {
            *v = (*v - max).exp();
            z += *v;
        }
        for v in out.iter_mut() {
            *v /= z;
        }
    }

    /// DCLM's score of one line: the reported top-1 probability `p` if the top label
    /// is `positive`, else `1 - p`, with `p` as `FastText::predictLine` reports it.
    pub fn score(&self, line: &[u8], positive: usize) -> f64 {
        self.score_batch(&[line], positive, Prep::Line)[0]
    }

    /// [`Self::score`] of each text, read as `prep` says (one set of buffers for the batch).
    pub fn score_batch<T: AsRef<[u8]>>(
        &self,
        texts: &[T],
        positive: usize,
        prep: Prep,
    ) -> Vec<f64> {
        let mut sc = Scratch::default();
        texts
            .iter()
            .map(|t| {
                self.ids_into(t.as_ref(), prep, &mut sc);
                self.probabilities_into(&mut sc);
                dclm_score(&sc.probs, positive)
            })
            .collect()
    }
}

/// DCLM's score from the probabilities: the top-1 probability as `FastText::predictLine`
/// reports it (`expf((float) log(p + 1e-5))`) if the top label is `positive`, else one minus
/// it; 0.0 without any (a text with no input).
fn dclm_score(probs: &[f32], positive: usize) -> f64 {
    // fastText's findKBest keeps, among equal log-probabilities, the later label.
    let mut top = 0;
    let mut top_log = f32::NAN;
    for (i, &p) in probs.iter().enumerate() {
        let l = ((p as f64) + 1e-5).ln() as f32;
        if i == 0 || l >= top_log {
            top = i;
            top_log = l;
        }
    }
    if probs.is_empty() {
        return 0.0;
    }
    let reported = top_log.exp() as f64;
    if top == positive {
        reported
    } else {
        1.0 - reported
    }
}

/// Reusable buffers of a scoring loop.
#[derive(Default)]
struct Scratch {
    tokens: Vec<Token>,
    hashes: Vec<i32>,
    ids: Vec<usize>,
    hidden: Vec<f32>,
    probs: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::vocab::fnv1a;
    use super::*;
    use proptest::prelude::*;

    /// A tiny model written in fastText's layout: 2 words, 2 labels, dim 2, bucket 3.
    fn tiny_model(loss: i32, maxn: i32) -> Vec<u8> {
        let mut b = Vec::new();
        let i32s = |b: &mut Vec<u8>, v: &[i32]| v.iter().for_each(|x| b.extend(x.to_le_bytes()));
        i32s(
            &mut b,
            &[MAGIC, 12, 2, 5, 5, 1, 5, 2, loss, 3, 3, 0, maxn, 100],
        );
        b.extend(1e-4f64.to_le_bytes());
        i32s(&mut b, &[4, 2, 2]);
        b.extend(10i64.to_le_bytes());
        b.extend((-1i64).to_le_bytes());
        for (w, t) in [
            ("good", 0u8),
            ("</s>", 0),
            ("__label__hq", 1),
            ("__label__cc", 1),
        ] {
            b.extend(w.as_bytes());
            b.push(0);
            b.extend(1i64.to_le_bytes());
            b.push(t);
        }
        b.push(0);
        b.extend(5i64.to_le_bytes());
        b.extend(2i64.to_le_bytes());
        for v in [1.0f32, 0.0, 0.0, 0.0, 0.5, 0.5, -0.5, 0.5, 0.0, 1.0] {
            b.extend(v.to_le_bytes());
        }
        b.push(0);
        b.extend(2i64.to_le_bytes());
        b.extend(2i64.to_le_bytes());
        for v in [2.0f32, 0.0, -2.0, 0.0] {
            b.extend(v.to_le_bytes());
        }
        b
    }

    #[test]
    fn tokens_and_ngrams_follow_fasttext() {
        let m = FastTextModel::from_bytes(&tiny_model(LOSS_SOFTMAX, 0), "tiny").expect("valid");
        assert_eq!(m.labels(), ["__label__hq", "__label__cc"]);
        // "good", OOV "bad", a label token (skipped), then </s>: words 0 and 1 + 2 bigrams
        let ids = m.line_ids(b"good\tbad __label__cc");
        assert_eq!(&ids[..2], &[0, 1]);
        assert_eq!(ids.len(), 4);
        assert!(ids[2..].iter().all(|&i| (2..5).contains(&i)));
        let h = [fnv1a(b"good"), fnv1a(b"bad")];
        let first = (h[0] as i32 as i64 as u64)
            .wrapping_mul(NGRAM_MULTIPLIER)
            .wrapping_add(h[1] as i32 as i64 as u64);
        assert_eq!(ids[2], 2 + (first % 3) as usize);
    }

    #[test]
    fn refuses_other_models_and_damage() {
        let bytes = tiny_model(2, 0);
        let err = FastTextModel::from_bytes(&bytes, "ns")
            .unwrap_err()
            .to_string();
        assert!(err.contains("softmax"), "{err}");
        let err = FastTextModel::from_bytes(&tiny_model(LOSS_SOFTMAX, 6), "sub").unwrap_err();
        assert!(err.to_string().contains("character n-grams"));
        let good = tiny_model(LOSS_SOFTMAX, 0);
        let err = FastTextModel::from_bytes(&good[..good.len() - 3], "cut").unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        let err = FastTextModel::from_bytes(b"GIF89a...", "gif").unwrap_err();
        assert!(err.to_string().contains("magic"));
    }

    proptest! {
        #[test]
        fn scores_are_probabilities(text in "[a-z </>_\t\n]{0,60}") {
            let m = FastTextModel::from_bytes(&tiny_model(LOSS_SOFTMAX, 0), "tiny").expect("valid");
            let p = m.probabilities(text.as_bytes());
            prop_assert_eq!(p.len(), 2);
            prop_assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            let s = m.score(text.as_bytes(), 0);
            prop_assert!((-1e-5..=1.0 + 1e-5).contains(&s));
        }
    }
}
