"""Document-aware attention and the KV cache give the logits of the plain forward pass."""

from __future__ import annotations

import pytest
import torch

from fineweb_kit.train.config import ModelConfig
from fineweb_kit.train.model import GPT, KVCache, positions_in_documents

# float32 on CPU: the packed/cached computations sum in another order; measured max |diff|
# 1.2e-7 on logits of magnitude ~1.
ATOL = 1e-5


def tiny(pos_emb: str) -> GPT:
    torch.manual_seed(0)
    cfg = ModelConfig(
        n_layer=2, n_head=2, n_embd=32, vocab_size=300, max_seq_len=96, pos_emb=pos_emb
    )
    model = GPT(cfg).eval()
    with torch.no_grad():  # larger weights than the init, so logits differ visibly per token
        for p in model.parameters():
            p.mul_(5) if p.dim() > 1 else None
    return model


def test_positions_restart_per_document():
    ids = torch.tensor([[0, 0, 0, 1, 1, 2, 2, 2, 2]])
    assert positions_in_documents(ids).tolist() == [[0, 1, 2, 0, 1, 0, 1, 2, 3]]


@pytest.mark.parametrize("pos_emb", ["rope", "learned"])
def test_conversation_alone_equals_packed(pos_emb):
    model = tiny(pos_emb)
    g = torch.Generator().manual_seed(1)
    docs = [torch.randint(0, 300, (1, n), generator=g) for n in (17, 30, 9, 25)]
    packed = torch.cat(docs, dim=1)
    doc_ids = torch.cat([torch.full((1, d.shape[1]), i) for i, d in enumerate(docs)], dim=1)
    with torch.no_grad():
        out, _ = model(packed, doc_ids=doc_ids)
        start = 0
        for d in docs:
            alone, _ = model(d)
            n = d.shape[1]
            torch.testing.assert_close(out[:, start : start + n], alone, rtol=0, atol=ATOL)
            start += n
        # without document ids the later documents see the earlier ones: logits differ
        mixed, _ = model(packed)
        assert (mixed[:, 17:47] - out[:, 17:47]).abs().max() > 1e-2


def test_one_document_id_is_the_plain_causal_forward():
    model = tiny("rope")
    x = torch.randint(0, 300, (3, 40))
    with torch.no_grad():
        plain, _ = model(x)
        same, _ = model(x, doc_ids=torch.zeros_like(x))
    torch.testing.assert_close(plain, same, rtol=0, atol=ATOL)


def test_masked_targets_never_count():
    model = tiny("rope")
    x = torch.randint(0, 300, (2, 20))
    y = torch.randint(0, 300, (2, 20))
    keep = torch.rand(2, 20) < 0.4
    with torch.no_grad():
        logits, loss = model(x, torch.where(keep, y, -1))
        per_token = torch.nn.functional.cross_entropy(logits[keep], y[keep])
    torch.testing.assert_close(loss, per_token)


@pytest.mark.parametrize("pos_emb", ["rope", "learned"])
def test_kv_cache_matches_full_forward_with_left_padding(pos_emb):
    model = tiny(pos_emb)
    g = torch.Generator().manual_seed(2)
    seq = [torch.randint(0, 300, (n,), generator=g) for n in (50, 35)]
    with torch.no_grad():
        full = [model(s[None])[0][0] for s in seq]
        prompt = 20
        pad = 15  # row 1 is 15 tokens shorter: left-padded
        x = torch.stack([seq[0][:prompt], torch.cat([torch.zeros(pad).long(), seq[1][:5]])])
        cache = KVCache(model, 2, 60, start=torch.tensor([0, pad]))
        logits = [model(x, cache=cache)[0]]
        for i in range(30):
            step = torch.stack([seq[0][prompt + i], seq[1][5 + i]])[:, None]
            logits.append(model(step, cache=cache)[0])
        out = torch.cat(logits, dim=1)
    torch.testing.assert_close(out[0], full[0][: prompt + 30], rtol=0, atol=ATOL)
    torch.testing.assert_close(out[1, pad:], full[1], rtol=0, atol=ATOL)
    assert cache.pos == 50


def test_cache_refuses_to_overflow():
    model = tiny("rope")
    cache = KVCache(model, 1, 8)
    with pytest.raises(ValueError, match="KV cache full"):
        model(torch.zeros(1, 9, dtype=torch.long), cache=cache)
    with pytest.raises(ValueError, match="max_seq_len"):
        KVCache(model, 1, 97)


def test_token_logprobs_agree_with_the_model_loss():
    from fineweb_kit.train.logprobs import masked_mean_nll, sequence_logprobs, token_logprobs

    model = tiny("rope")
    x = torch.randint(0, 300, (2, 21))
    mask = (torch.rand(2, 21) < 0.5).long()
    targets = torch.where(mask[:, 1:].bool(), x[:, 1:], -1)
    with torch.no_grad():
        _, loss = model(x[:, :-1], targets)
        lp = token_logprobs(model, x[:, :-1], targets)
        torch.testing.assert_close(masked_mean_nll(lp, targets), loss)
        torch.testing.assert_close(sequence_logprobs(model, x, mask), lp)
    assert (lp[targets == -1] == 0).all() and (lp[targets != -1] < 0).all()


def test_generation_head_copy_follows_weight_updates():
    """The transposed head copy used without autograd on CPU gives the head's logits and is
    made again after an in-place update (an optimizer step between two generations)."""
    model = tiny("rope")
    h = torch.randn(2, 1, 32)
    with torch.no_grad():
        first = model.logits(h)
        torch.testing.assert_close(first, model.head(h)[..., :300], rtol=0, atol=ATOL)
        model.head.weight.mul_(2)  # tied: the embedding changes too
        torch.testing.assert_close(model.logits(h), 2 * first, rtol=0, atol=ATOL)
