"""The one way pipvet hides credentials: the userinfo of every URL becomes ``***``.

Private indexes and mirrors take their credentials in the URL (``https://user:token@host``);
pip, the policy and the environment pass such URLs around, and pipvet must use them without
ever showing them. Every message, report, ``-o`` file and cache file goes through
``mask_userinfo`` before it is written. Pure: strings in, strings out; imported by every layer.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "mask_userinfo"]

MASK = "***"

# scheme://userinfo@host: the userinfo runs to the last "@" before the host's end (a "/", "?",
# "#", whitespace or a quote), so an unencoded "@" inside a password is hidden too.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s'\"<>]*@")


def mask_userinfo(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``
    (``https://user:token@host/x`` -> ``https://***@host/x``); anything else unchanged."""
    if "@" not in text or "://" not in text:  # nearly every string: skip the regex scan
        return text
    return _USERINFO.sub(rf"\1{MASK}@", text)
