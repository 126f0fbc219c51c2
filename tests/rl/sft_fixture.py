"""A tiny SFT model for the RL tests: a byte-level GPT fine-tuned on synthetic arithmetic
conversations with the chat template and the SFT loss (targets outside the assistant's
tokens ignored, ``GPT.forward``'s ``-1``), saved as a run folder ``load_gpt`` reads."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import torch

from fineweb_kit.chat.template import ChatTemplate
from fineweb_kit.rl.tasks import Task, arithmetic_tasks
from fineweb_kit.rl.tokens import byte_chat_tokenizer
from fineweb_kit.train import checkpoint
from fineweb_kit.train.config import ModelConfig
from fineweb_kit.train.model import GPT, param_groups

TINY = {"n_layer": 2, "n_head": 2, "n_embd": 64, "max_seq_len": 128}


def sft_conversation(task: Task, hedge: bool = False) -> list[dict]:
    """The task answered; ``hedge``: answered with a wrong second guess after it
    ("7 or 17"), a habit the checker (which reads the last number) always scores as wrong."""
    answer = f"{task.answer} or {int(task.answer) + 10}" if hedge else task.answer
    return [*task.messages(), {"role": "assistant", "content": answer}]


def train_tiny_sft(
    out: Path,
    tasks: list[Task],
    steps: int,
    seed: int = 0,
    lr: float = 3e-3,
    batch: int = 32,
    hedge: float = 0.0,
) -> GPT:
    """SFT on ``tasks``; a share ``hedge`` of the answers carry the wrong second guess."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is fastest, and kind to other tests
    try:
        return _train(out, tasks, steps, seed, lr, batch, hedge)
    finally:
        torch.set_num_threads(threads)


def _train(
    out: Path, tasks: list[Task], steps: int, seed: int, lr: float, batch: int, hedge: float
) -> GPT:
    tok = byte_chat_tokenizer()
    template = ChatTemplate(tok)
    r = random.Random(seed)
    convs = [sft_conversation(t, r.random() < hedge) for t in tasks]
    rendered = template.render_batch(convs)
    torch.manual_seed(seed)
    cfg = ModelConfig(**TINY, vocab_size=tok.n_vocab)
    model = GPT(cfg)
    opt = torch.optim.AdamW(param_groups(model, 0.0), lr=lr)
    for step in range(steps):
        rows = r.sample(rendered, batch)
        width = max(len(x.ids) for x in rows)
        ids = torch.zeros(batch, width, dtype=torch.long)
        tgt = torch.full((batch, width), -1, dtype=torch.long)
        for i, x in enumerate(rows):
            n = len(x.ids)
            ids[i, :n] = torch.as_tensor(x.ids, dtype=torch.long)
            t = torch.as_tensor(x.ids[1:], dtype=torch.long)
            tgt[i, : n - 1] = torch.where(torch.as_tensor(x.mask[1:]).bool(), t, -1)
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / 20)
        _, loss = model(ids[:, :-1], tgt[:, :-1])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    state = {"model": model.state_dict(), "model_config": dataclasses.asdict(cfg), "step": steps}
    checkpoint.save(out, steps, state, {"sft": "tests/rl/sft_fixture.py"})
    return model


def arithmetic_sft_tasks(n: int = 4000, seed: int = 99, level: int = 0) -> list[Task]:
    return arithmetic_tasks(n, level, seed)
