"""Test doubles: the real extractors, except on marker pages, where they crash the process or
stall in a way no signal handler can interrupt (what a C parser can do on a hostile page).

Module-level classes, so that the extraction child process can import them."""

from __future__ import annotations

import ctypes
import os
import signal
import time

from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
from fineweb_kit.steps.extractors.trafilatura import Trafilatura

ABORT = "<!-- ABORT-THE-PARSER -->"
SEGFAULT = "<!-- SEGFAULT-THE-PARSER -->"
STUCK_IN_C = "<!-- STUCK-IN-NATIVE-CODE -->"
RAISE = "<!-- RAISE-AN-EXCEPTION -->"


def hostile(html: str) -> None:
    """Acts out a marker found in ``html``."""
    if RAISE in html:
        raise ValueError("a library bug on this page")
    if ABORT in html:
        os.abort()
    if SEGFAULT in html:
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    if STUCK_IN_C in html:
        # like a long C call: the timer signal is never handled while it runs
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)


class HostileResiliparse(ResiliparseExtractor):
    abstract = True  # not registered as a pipeline step

    def extract(self, html: str) -> str:
        hostile(html)
        return super().extract(html)


class HostileTrafilatura(Trafilatura):
    abstract = True

    def extract(self, html: str) -> str:
        hostile(html)
        return super().extract(html)
