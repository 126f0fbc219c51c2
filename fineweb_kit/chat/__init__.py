"""Post-training data: conversations, the chat template and its special tokens.

>>> from fineweb_kit.chat import ChatTemplate, from_gsm8k, with_chat_specials
>>> tok = with_chat_specials(Tokenizer.from_tiktoken("r50k_base.tiktoken", "r50k_base"))
>>> ids, mask = ChatTemplate(tok).render(from_gsm8k({"question": q, "answer": a}))
"""

from fineweb_kit.chat.formats import PARSERS, from_gsm8k, from_hh, from_openai, from_sharegpt
from fineweb_kit.chat.messages import ConversationError, plain_text, validate
from fineweb_kit.chat.specials import CHAT_SPECIALS, has_chat_specials, with_chat_specials
from fineweb_kit.chat.template import ChatTemplate, Rendered, RenderedBatch, render_plain

__all__ = [
    "CHAT_SPECIALS",
    "PARSERS",
    "ChatTemplate",
    "ConversationError",
    "Rendered",
    "RenderedBatch",
    "from_gsm8k",
    "from_hh",
    "from_openai",
    "from_sharegpt",
    "has_chat_specials",
    "plain_text",
    "render_plain",
    "validate",
    "with_chat_specials",
]
