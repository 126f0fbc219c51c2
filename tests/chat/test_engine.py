"""The chat engine: KV-cache generation equals recomputation, sampling controls, tool calls."""

from __future__ import annotations

import pytest
import torch

from fineweb_kit.chat.calculator import evaluate
from fineweb_kit.chat.engine import Engine, filter_logits
from fineweb_kit.train.config import ModelConfig
from fineweb_kit.train.model import GPT


def random_model(dtype=torch.float32, max_seq_len=128) -> GPT:
    torch.manual_seed(0)
    cfg = ModelConfig(n_layer=2, n_head=2, n_embd=32, vocab_size=268, max_seq_len=max_seq_len)
    model = GPT(cfg).to(dtype).eval()
    with torch.no_grad():  # sharper than the init's near-uniform logits
        for p in model.parameters():
            p.mul_(6) if p.dim() > 1 else None
    return model


def prompts(tok) -> list[list[int]]:
    start = [tok.special_tokens["<|bos|>"], tok.special_tokens["<|user_start|>"]]
    end = [tok.special_tokens["<|user_end|>"], tok.special_tokens["<|assistant_start|>"]]
    texts = ["What is 12+30?", "Hi", "A longer question about apples and 7 pears?"]
    return [start + tok.encode_ordinary(t) + end for t in texts]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_kv_cache_generation_equals_recompute_token_for_token(mini_template, dtype):
    engine = Engine(random_model(dtype), mini_template)
    ps = prompts(mini_template.tokenizer)
    fast = engine.generate(ps, 60, temperature=0.0)
    slow = engine.generate(ps, 60, temperature=0.0, use_cache=False)
    for a, b in zip(fast, slow, strict=True):
        assert a[0].ids == b[0].ids and a[0].mask == b[0].mask
        assert len(a[0].ids) > 10
    # a prompt alone gets what it gets in the batch
    alone = engine.generate([ps[2]], 60, temperature=0.0)
    assert alone[0][0].ids == fast[2][0].ids


def test_sampling_is_seeded_and_top_k_1_is_greedy(mini_template):
    engine = Engine(random_model(), mini_template)
    ps = prompts(mini_template.tokenizer)[:2]
    a = engine.generate(ps, 30, temperature=1.0, num_samples=3, seed=5)
    b = engine.generate(ps, 30, temperature=1.0, num_samples=3, seed=5)
    assert [[c.ids for c in g] for g in a] == [[c.ids for c in g] for g in b]
    assert len(a) == 2 and all(len(g) == 3 for g in a)
    assert len({tuple(c.ids) for c in a[0]}) > 1  # samples differ
    greedy = engine.generate(ps, 30, temperature=0.0)
    topk1 = engine.generate(ps, 30, temperature=0.9, top_k=1, seed=9)
    assert [g[0].ids for g in greedy] == [g[0].ids for g in topk1]
    tiny_p = engine.generate(ps, 30, temperature=0.9, top_p=1e-6, seed=9)
    assert [g[0].ids for g in greedy] == [g[0].ids for g in tiny_p]


def test_filter_logits_top_p_keeps_the_smallest_nucleus():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    kept = torch.isfinite(filter_logits(logits, top_p=0.7))
    assert kept.tolist() == [[True, True, False, False]]
    kept = torch.isfinite(filter_logits(logits, top_k=3, top_p=0.99))
    assert kept.tolist() == [[True, True, True, False]]


class ScriptedModel(torch.nn.Module):
    """A GPT whose next token follows a script (per position after the prompt): makes the
    engine see exactly the tool calls a test wants."""

    def __init__(self, script: list[int], prompt_len: int) -> None:
        super().__init__()
        self.gpt = random_model(max_seq_len=256)
        self.cfg = self.gpt.cfg
        self.script, self.prompt_len = script, prompt_len

    def forward(self, idx, targets=None, doc_ids=None, cache=None, last_only=False):
        logits, _ = self.gpt(idx, doc_ids=doc_ids, cache=cache, last_only=last_only)
        total = cache.pos if cache is not None else idx.shape[1]
        k = min(total - self.prompt_len, len(self.script) - 1)
        out = torch.full_like(logits, -1e9)
        out[:, -1, self.script[k]] = 0.0
        return out, None


@pytest.mark.parametrize(
    ("expr", "result"),
    [
        ("48/2", "24"),
        ("1/0", "error: division by zero"),
        ("__import__('os').system('touch PWNED')", "error: unexpected character '_'"),
        ("1+" * 60 + "1", "error: expression longer than 100 characters"),
    ],
)
@pytest.mark.parametrize("use_cache", [True, False])
def test_tool_call_forces_the_calculator_output(
    mini_template, expr, result, use_cache, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert evaluate(expr).startswith(result)
    result = evaluate(expr)
    tok = mini_template.tokenizer
    sid = mini_template.special_id
    call = [sid("<|tool_call_start|>"), *tok.encode_ordinary(expr), sid("<|tool_call_end|>")]
    forced = [
        sid("<|tool_output_start|>"),
        *tok.encode_ordinary(result),
        sid("<|tool_output_end|>"),
    ]
    after = [*tok.encode_ordinary(" so 24."), sid("<|assistant_end|>")]
    script = call + [0] * len(forced) + after  # the model's choices at forced steps are unused
    prompt = prompts(tok)[0]
    engine = Engine(ScriptedModel(script, len(prompt)), mini_template)
    [[c]] = engine.generate([prompt], 400, temperature=0.0, use_cache=use_cache)
    assert c.ids == call + forced + after
    assert c.mask == [1] * len(call) + [0] * len(forced) + [1] * len(after)
    assert c.finished and not c.truncated and c.tool_calls == 1
    assert c.text == expr + " so 24."
    assert not (tmp_path / "PWNED").exists()


def test_truncation_at_max_new_tokens_and_context(mini_template):
    tok = mini_template.tokenizer
    never_ends = [ord("a")] * 500
    prompt = prompts(tok)[0]
    engine = Engine(ScriptedModel(never_ends, len(prompt)), mini_template)
    [[c]] = engine.generate([prompt], 10, temperature=0.0)
    assert len(c.ids) == 10 and c.truncated and not c.finished and c.text == "a" * 10
    [[c]] = engine.generate([prompt], 1000, temperature=0.0)
    assert len(prompt) + len(c.ids) == 256 and c.truncated  # the model's max_seq_len
