"""Secret recognizers: vendor token formats, PEM private keys, JWTs, credential assignments, canaries.

Each format has a fixed prefix or a checkable structure; placeholders (``ghp_xxxx…``,
``AKIA…EXAMPLE``) are dropped, since docs and runbooks are full of them.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterable

import orjson

from .base import Hit

# Vendor formats: (type, regex). The value is group "v" when present, else the whole match.
_FORMATS: tuple[tuple[str, str], ...] = (
    ("aws_access_key", r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    (
        "github_token",
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,120})(?![A-Za-z0-9_])",
    ),
    (
        "slack_token",
        r"(?<![A-Za-z0-9\-])(?:xox[abposre]-(?:\d{6,}-){1,3}[A-Za-z0-9]{8,}|xapp-\d-[A-Z0-9]{8,}-\d{8,}-[a-f0-9]{32,})",
    ),
    ("slack_webhook", r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}"),
    ("stripe_key", r"(?<![A-Za-z0-9_])(?:sk|rk)_live_[0-9A-Za-z]{20,247}(?![A-Za-z0-9_])"),
    ("google_api_key", r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])"),
    (
        "openai_key",
        r"(?<![A-Za-z0-9_\-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,}",
    ),
    ("anthropic_key", r"(?<![A-Za-z0-9_\-])sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,}"),
    ("gitlab_token", r"(?<![A-Za-z0-9_\-])glpat-[0-9A-Za-z_\-]{20,}(?![A-Za-z0-9_\-])"),
    ("npm_token", r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])"),
    ("pypi_token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
    ("sendgrid_key", r"(?<![A-Za-z0-9_\-])SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])"),
    ("huggingface_token", r"(?<![A-Za-z0-9_])hf_[A-Za-z]{34}(?![A-Za-z0-9_])"),
    ("azure_storage_key", r"AccountKey=(?P<v>[A-Za-z0-9+/]{86}==)"),
    ("private_key", r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
    ("jwt", r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*"),
)
# Credentials written next to a word that names them: only tried when the text has such a word.
_CREDENTIALS: tuple[tuple[str, str], ...] = (
    (
        "aws_secret_key",
        r"(?i:aws)[\w .\-]{0,20}?(?i:secret)[\w .\-]{0,20}?[\"']?\s*[:=]\s*[\"']?"
        r"(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    ),
    (
        "password",
        r"(?i:\b(?:password|passwd|passwort|contraseña|pwd)\b)(?:\s+(?:is|was|ist|es)\b)?\s*[:=]?\s*"
        r"[\"'“]?(?P<v>[^\s\"'”]{6,64})",
    ),
    (
        "api_key",
        r"(?i:\b(?:api[_\- ]?key|secret[_\- ]?key|client[_\- ]?secret|access[_\- ]?token|auth[_\- ]?token|"
        r"private[_\- ]?token|bearer))\b[\"']?\s*[:=]?\s*[\"']?(?P<v>[A-Za-z0-9_\-./+=]{20,200})",
    ),
)
CREDENTIAL_WORDS = ("passw", "pwd", "contrase", "token", "secret", "bearer", "api")

SECRET_TYPES = (*(t for t, _ in _FORMATS + _CREDENTIALS), "canary")


def _alternation(table: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """One pass finds every entry of ``table``; the named group says which one matched."""
    return re.compile("|".join(f"(?P<{t}>{rx.replace('(?P<v>', f'(?P<{t}_v>')})" for t, rx in table))


_ANY = _alternation(_FORMATS)
_CREDS = _alternation(_CREDENTIALS)
_WITH_VALUE = frozenset(t for t, rx in _FORMATS + _CREDENTIALS if "(?P<v>" in rx)
_PEM_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = re.compile(r"(?:[A-Za-z0-9+/=:\- \t\r\n]|\\n|\\r)*")

# The cheap test run on every string, written to follow a first character in
# ``TRIGGER_CHARS``: the regex engine skips straight to those characters, and the look-behinds
# check the tell-tale prefix around them.
TRIGGER_CHARS = r"_\-JKSGz/"
TRIGGER = (
    r"(?<=_)(?:(?<=gh[pousr]_)|(?<=github_pat_)|(?<=_live_)|(?<=npm_)|(?<=hf_))(?=\w)"  # ghp_, sk_live_ …
    r"|(?<=-)(?:(?<=xox.-)|(?<=xapp-)|(?<=sk-)|(?<=glpat-)|(?<=pypi-)|(?=----BEGIN ))"
    r"|(?<=eyJ)|(?<=AK)(?=IA)|(?<=AS)(?=IA)|(?<=AIz)(?=a)|(?<=SG)(?=\.)|(?<=tK)(?=ey=)|(?<=/)(?=services/T)"
)

_PLACEHOLDER = re.compile(r"(?i)example|x{6}|\*{4}|0{8}|1234567890|your|redacted|placeholder|<|>")


def _looks_placeholder(value: str) -> bool:
    """``ghp_xxxx…``, ``sk_live_XXXX…``, ``…EXAMPLE``, ``<your-token>``: documentation, not a secret."""
    return len(set(value[-16:])) < 6 or bool(_PLACEHOLDER.search(value))


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _jwt_ok(token: str) -> bool:
    header, _, rest = token.partition(".")
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        return False
    if not isinstance(decoded, dict) or "alg" not in decoded:
        return False
    signature = rest.partition(".")[2]
    return str(decoded["alg"]).lower() == "none" or len(signature) >= 16


def _password_ok(value: str) -> bool:
    """A credential, not prose: letters with digits or symbols, no code, URL or masking."""
    if any(c in value for c in "()[]{}<>/\\") or value[0] in "~.$%":
        return False  # code, a template, a variable, a path or a URL: not a password
    has_alpha = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    return (has_alpha and (has_digit or has_symbol)) or (has_digit and len(value) >= 6 and not has_alpha)


def _api_key_ok(value: str) -> bool:
    has_alpha = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    return has_alpha and has_digit and _entropy(value) >= 3.5 and "://" not in value


def _private_key_span(text: str, header_end: int) -> tuple[int, str]:
    """End offset and normalised body of a PEM block (to its END line, or as far as its body runs)."""
    end_m = _PEM_END.search(text, header_end, header_end + 20_000)
    if end_m is not None:
        end = end_m.end()
        body = text[header_end : end_m.start()]
    else:
        body_m = _PEM_BODY.match(text, header_end)
        end = body_m.end() if body_m else header_end
        body = text[header_end:end]
    compact = re.sub(r"\\[nr]|\s", "", body)
    return end, compact


def find_secrets(text: str) -> list[Hit]:
    """Vendor-format secrets (the caller saw a ``TRIGGER``)."""
    return _find(_ANY, text)


def find_credentials(text: str) -> list[Hit]:
    """Passwords and keys written after a word naming them (the caller saw a ``CREDENTIAL_WORDS``)."""
    return _find(_CREDS, text)


def _find(regex: re.Pattern[str], text: str) -> list[Hit]:
    out: list[Hit] = []
    pos = 0
    while m := regex.search(text, pos):
        type_ = m.lastgroup or ""
        pos = m.end()
        vstart, vend = m.span(f"{type_}_v" if type_ in _WITH_VALUE else type_)
        value = text[vstart:vend]
        if type_ == "private_key":
            vend, value = _private_key_span(text, m.end())
            pos = vend
            if len(value) < 32:
                continue
        elif type_ == "jwt":
            if not _jwt_ok(value):
                continue
        elif type_ in _WITH_VALUE and _ANY.match(text, vstart) is not None:
            continue  # "Bearer eyJ…", "password: ghp_…": the format scan reports the token itself
        elif type_ == "password":
            value = value.rstrip(".,;")
            vend = vstart + len(value)
            if len(value) < 6 or not _password_ok(value) or _looks_placeholder(value):
                continue
        elif type_ == "api_key":
            if not _api_key_ok(value) or _looks_placeholder(value):
                continue
        elif _looks_placeholder(value):
            continue
        out.append(Hit("secret", type_, vstart, vend, value))
    return out


class Canaries:
    """Configured canary tokens: planted strings whose appearance anywhere is an exfiltration."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens = tuple(sorted({t for t in tokens if t}, key=len, reverse=True))

    def find(self, text: str) -> list[Hit]:
        out = []
        for token in self.tokens:
            i = text.find(token)
            while i >= 0:
                out.append(Hit("secret", "canary", i, i + len(token), token, "configured canary token"))
                i = text.find(token, i + len(token))
        return out


def normalise(type_: str, raw: str) -> str:
    if type_ == "private_key":
        return re.sub(r"\\[nr]|\s", "", raw)
    return raw.strip()
