"""FTFYFormatter: fixes mojibake and broken Unicode with the ``ftfy`` package.

Settings as datatrove's ``FTFYFormatter`` (used by FineWeb): fix encoding errors (mojibake,
inconsistent UTF-8, C1 controls, surrogates, lossy sequences), unescape HTML entities when the
text looks like it has them, remove terminal escapes and control characters; and do *not*
enforce a style (no ligature splitting, width folding, quote uncurling, line-break or Unicode
normalisation), so models still see the characters people write.
"""

from __future__ import annotations

from typing import Any

from fineweb_kit.steps.formatters.base import Formatter


class FTFYFormatter(Formatter):
    """Fixes mojibake with ``ftfy.fix_text``."""

    abstract = False
    requires = (("ftfy", "ftfy"),)

    def __init__(
        self,
        fix_encoding: bool = True,
        unescape_html: bool | str = "auto",
        remove_terminal_escapes: bool = True,
        remove_control_chars: bool = True,
        fix_latin_ligatures: bool = False,
        fix_character_width: bool = False,
        uncurl_quotes: bool = False,
        fix_line_breaks: bool = False,
    ) -> None:
        super().__init__()
        from ftfy import TextFixerConfig

        self.config: Any = TextFixerConfig(
            unescape_html=unescape_html,
            remove_terminal_escapes=remove_terminal_escapes,
            fix_encoding=fix_encoding,
            restore_byte_a0=True,
            replace_lossy_sequences=True,
            decode_inconsistent_utf8=True,
            fix_c1_controls=True,
            fix_latin_ligatures=fix_latin_ligatures,
            fix_character_width=fix_character_width,
            uncurl_quotes=uncurl_quotes,
            fix_line_breaks=fix_line_breaks,
            fix_surrogates=True,
            remove_control_chars=remove_control_chars,
            normalization=None,
        )

    def format(self, text: str) -> str:
        import ftfy

        return ftfy.fix_text(text, config=self.config)
