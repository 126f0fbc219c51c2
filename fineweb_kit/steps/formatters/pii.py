"""PIIFormatter: replaces e-mail addresses and public IP addresses (FineWeb's PII step).

As datatrove's ``PIIFormatter`` (used by ``examples/fineweb.py``): e-mail addresses become
``email@example.com`` / ``firstname.lastname@example.org`` and public IPv4 addresses one of six
unused addresses, in turn (the same replacement lists, so output looks like FineWeb's). Only
addresses that Python's ``ipaddress`` calls global are replaced (private, loopback, reserved
ranges are not personal). Differences, all to avoid false positives datatrove has:

- an IP must stand alone: not inside a longer dotted number (``10.0.19041.1``, ``1.2.3.4.5``)
  nor glued to letters or digits;
- a dotted quad right after a version word (``version``, ``v``, ``ver.``, ``release``,
  ``build``, ``firmware``, ``rev``, ``update``) is a version number, not an address;
- octets with leading zeros (``01.02.03.04``) are not addresses (``ipaddress`` refuses them);
- ``name@2x.png``-style file names (an image or code extension as "top-level domain") are not
  e-mail addresses.
Dates (``12.10.2023``, ``2023-10-12``) have three parts and never match.
"""

from __future__ import annotations

import ipaddress
import itertools
import re

from fineweb_kit.steps.base import Params
from fineweb_kit.steps.formatters.base import Formatter
from fineweb_kit.steps.params import ParamError

EMAIL = re.compile(
    r"\b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
)
OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]|0[0-9]{1,2})"
IPV4 = re.compile(rf"(?<![\w.]){OCTET}(?:\.{OCTET}){{3}}(?![\w]|\.[0-9])")
VERSION_WORD = re.compile(
    r"(?:\b(?:version|ver\.?|v|release|build|firmware|rev\.?|revision|update)\s*:?\s*)$",
    re.IGNORECASE,
)
FILE_TLDS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "ico", "bmp", "pdf"}
EMAIL_REPLACEMENTS = ("email@example.com", "firstname.lastname@example.org")
IP_REPLACEMENTS = (
    "22.214.171.124",
    "126.96.36.199",
    "188.8.131.52",
    "184.108.40.206",
    "220.127.116.11",
    "18.104.22.168",
)


class PIIFormatter(Formatter):
    """Replaces e-mail addresses and public IPv4 addresses."""

    abstract = False

    def __init__(
        self,
        remove_emails: bool = True,
        remove_ips: bool = True,
        only_remove_public_ips: bool = True,
        email_replacement: list[str] | None = None,
        ip_replacement: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.remove_emails = remove_emails
        self.remove_ips = remove_ips
        self.only_public = only_remove_public_ips
        emails = tuple(email_replacement or EMAIL_REPLACEMENTS)
        ips = tuple(ip_replacement or IP_REPLACEMENTS)
        self._emails = itertools.cycle(emails)
        self._ips = itertools.cycle(ips)

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        given = (params["email_replacement"] or []) + (params["ip_replacement"] or [])
        if not all(isinstance(x, str) for x in given):
            raise ParamError("email_replacement", "replacements must be strings")

    def format(self, text: str) -> str:
        if self.remove_emails and "@" in text:
            text = EMAIL.sub(self._email, text)
        if self.remove_ips and "." in text:
            text = IPV4.sub(self._ip, text)
        return text

    def _email(self, m: re.Match[str]) -> str:
        if m.group(0).rsplit(".", 1)[-1].lower() in FILE_TLDS:
            return m.group(0)
        self.stats.add("emails_replaced")
        return next(self._emails)

    def _ip(self, m: re.Match[str]) -> str:
        found = m.group(0)
        if VERSION_WORD.search(m.string, max(0, m.start() - 16), m.start()):
            return found
        try:
            ip = ipaddress.ip_address(found)
        except ValueError:
            return found
        if self.only_public and not ip.is_global:
            return found
        self.stats.add("ips_replaced")
        return next(self._ips)
