"""PII recognizers: a regex proposes candidates, then checksums, ranges and context decide.

Every recognizer returns :class:`Hit` s with the *normalised* value (what is hashed), so two
spellings of the same value hash alike: emails lower-cased, phones reduced to their national
significant number, cards/SSNs to digits, IBANs upper-cased without spaces, IPs compressed.
"""

from __future__ import annotations

import ipaddress
import itertools
import operator
import re
import sys

from .base import Hit

PII_TYPES = ("email", "phone", "card", "ssn", "iban", "ipv4", "ipv6")
_END = sys.maxsize

# ---------------------------------------------------------------------------------------------
# email

_EMAIL = re.compile(
    r"(?<![\w.%+\-'/])([A-Za-z0-9](?:[A-Za-z0-9._%+\-']{0,62}[A-Za-z0-9_%+\-])?)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))"
    r"(?![\w\-]|\.[A-Za-z0-9]|:[\w/])"  # not "git@host:org/repo", an SSH remote
)
# "logo@2x.png" and friends: file names, not addresses.
_FILE_SUFFIXES = frozenset(
    "png jpg jpeg gif svg webp ico bmp tif tiff pdf txt js css htm html json xml yaml yml lock "  # noqa: SIM905
    "log zip gz tar exe dll csv mp3 mp4 mov wav".split()
)
# Role accounts are a business's own addresses: echoing them is not a leak of the customer's PII.
ROLE_LOCAL_PARTS = frozenset(
    "support help helpdesk info contact contactus sales billing accounts noreply no-reply "  # noqa: SIM905
    "donotreply do-not-reply privacy security abuse postmaster webmaster admin hello team service "
    "customerservice customer-service customercare care feedback returns orders press media legal "
    "compliance dpo careers jobs hr office enquiries inquiries".split()
)


def find_emails(text: str, pos: int = 0, endpos: int = _END) -> list[Hit]:
    out = []
    for m in _EMAIL.finditer(text, pos, endpos):
        local, tld = m.group(1), m.group(3).lower()
        if ".." in local or tld in _FILE_SUFFIXES:
            continue
        out.append(Hit("pii", "email", m.start(), m.end(), m.group(0).lower()))
    return out


# ---------------------------------------------------------------------------------------------
# context words before a number: "order 0207 946 0958" is an order, "call 0207 946 0958" a phone

_PHONE_WORDS = frozenset(
    "phone tel telephone mobile cell cellphone call calls text sms whatsapp fax ring reach "  # noqa: SIM905
    "reachable contact dial teléfono telefono móvil movil celular téléphone portable telefon "
    "handy rufnummer cellulare telefone".split()
)
_NUMBER_WORDS = frozenset(
    "order orders invoice inv ref reference tracking track ticket case account acct sku serial "  # noqa: SIM905
    "confirmation conf booking po transaction txn receipt policy member membership claim parcel "
    "shipment package item part model product pedido commande bestellung factura facture rechnung "
    "auftrag isbn imei iccid barcode upc ean code batch lot version build release reservation "
    "voucher coupon gift routing swift bic zip postcode ssn social".split()
)
# words that sit between a label and its number: "order number is 123", "call me at 555…"
_BETWEEN = frozenset("number no nr num id # is was are at on me us to the my your our of:".split())  # noqa: SIM905
_LABEL_STRIP = ".,;:()[]!?\"'=-"
_SSN_WORDS = re.compile(r"\b(?:ssn|social\s+security|soc\.?\s*sec|ss\s*#|ss\s+no|taxpayer)", re.IGNORECASE)


def _label(text: str, start: int) -> str | None:
    """What the words just before a number call it: 'pos' (a phone), 'neg' (an order, invoice…) or None.

    The nearest word that is not a connector ("number", "is", "at", "me"…) decides, within 32
    characters: "order number 555…" is an order, "call me at 555…" a phone, "placed with 555…" neither.
    """
    words = text[max(0, start - 32) : start].lower().replace("#", " # ").split()
    for i in range(len(words) - 1, -1, -1):
        w = words[i].strip(_LABEL_STRIP) or words[i]
        if w == "number" and i > 0 and words[i - 1] == "my":
            return "pos"
        if w in _BETWEEN:
            continue
        if w in _NUMBER_WORDS:
            return "neg"
        return "pos" if w in _PHONE_WORDS else None
    return None


# ---------------------------------------------------------------------------------------------
# payment cards

_CARD = re.compile(r"(?<![\w.\-/@$€£¥])\d(?:[ \-]?\d){12,18}(?![\w]|[.\-/,]\d)", re.ASCII)
_CARD_SEP = re.compile(r"[ \-]")
_MAESTRO = frozenset({5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763})


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The card network for a known IIN prefix and a length that network issues, else None."""
    n = len(digits)
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return "visa" if n in (13, 16, 19) else None
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return "mastercard" if n == 16 else None
    if p2 in (34, 37):
        return "amex" if n == 15 else None
    if p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925:
        return "discover" if 16 <= n <= 19 else None
    if 3528 <= p4 <= 3589:
        return "jcb" if 16 <= n <= 19 else None
    if p2 == 36 or 300 <= p3 <= 305 or p2 in (38, 39):
        return "diners" if 14 <= n <= 19 else None
    if p2 == 62:
        return "unionpay" if 16 <= n <= 19 else None
    if p4 in _MAESTRO:
        return "maestro" if 12 <= n <= 19 else None
    if 2200 <= p4 <= 2204:
        return "mir" if 16 <= n <= 19 else None
    return None


def find_cards(text: str, pos: int = 0, endpos: int = _END) -> list[Hit]:
    out = []
    for m in _CARD.finditer(text, pos, endpos):
        raw = m.group(0)
        groups = _CARD_SEP.split(raw)
        if len(groups) > 1 and min(len(g) for g in groups) < 3:
            continue
        digits = "".join(groups)
        if not (card_brand(digits) and luhn_ok(digits)):
            continue
        if len(groups) == 1 and _label(text, m.start()) == "neg":
            continue  # "EAN 4006381333931", "order 4000…": an unformatted number called something else
        out.append(Hit("pii", "card", m.start(), m.end(), digits))
    return out


# ---------------------------------------------------------------------------------------------
# US social security numbers

_SSN = re.compile(r"(?<![\w\-/.#$])(\d{3})([\- ]?)(\d{2})\2(\d{4})(?![\w]|[\-/.,]\d)", re.ASCII)
_NOT_ISSUED = frozenset({"078051120", "219099999"})  # famous sample cards, published and void


def ssn_ok(area: str, group: str, serial: str) -> bool:
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


def find_ssns(text: str, pos: int = 0, endpos: int = _END) -> list[Hit]:
    out = []
    for m in _SSN.finditer(text, pos, endpos):
        area, sep, group, serial = m.groups()
        digits = area + group + serial
        if not ssn_ok(area, group, serial) or digits in _NOT_ISSUED:
            continue
        window = text[max(0, m.start() - 40) : m.start()]
        if sep == "-":
            if _label(text, m.start()) == "neg" and not _SSN_WORDS.search(window):
                continue
        elif not _SSN_WORDS.search(window):
            continue  # "123 45 6789" or a bare 9-digit run is an SSN only when called one
        out.append(Hit("pii", "ssn", m.start(), m.end(), digits))
    return out


# ---------------------------------------------------------------------------------------------
# IBAN

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

_IBAN_HINT = re.compile(r"[A-Za-z]{2}[0-9]{2}")
_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:\ ?[A-Za-z0-9]){10,32}", re.ASCII)


def iban_ok(compact: str) -> bool:
    """Country length and the ISO 7064 mod-97 check of an upper-case IBAN without spaces."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    if not compact[4:].isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def find_ibans(text: str, pos: int = 0, endpos: int = _END) -> list[Hit]:
    out = []
    while m := _IBAN.search(text, pos, endpos):
        pos = m.start() + 1  # candidates run on into the next words: never skip past one
        want = IBAN_LENGTHS.get(text[m.start() : m.start() + 2].upper())
        if want is None:
            continue
        end = _iban_end(text, m.start(), m.end(), want)
        if end is None:
            continue
        compact = text[m.start() : end].replace(" ", "").upper()
        if iban_ok(compact):
            out.append(Hit("pii", "iban", m.start(), end, compact))
            pos = end
    return out


def _iban_end(text: str, start: int, stop: int, want: int) -> int | None:
    """Where the ``want``-th non-space character ends, if that is also the end of a word."""
    taken = 0
    for i in range(start, stop):
        if text[i] != " ":
            taken += 1
            if taken == want:
                end = i + 1
                return None if end < len(text) and text[end].isalnum() else end
    return None


# ---------------------------------------------------------------------------------------------
# IP addresses

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.\-]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w\-]|\.\d)", re.ASCII)
# "version 1.2.3.4", "section 4.1.2.3": numbered things, not hosts.
_NUMBERED = re.compile(
    r"(?:\b(?:version|ver|v|release|build|firmware|fw|rev|revision|update|upgrade[ds]?\s+to|"
    r"patch|section|sec|chapter|ch|clause|step|figure|fig|table|article|art|rule|paragraph|para|"
    r"appendix|item|versión|versao|versione)\.?|§)\s*$",
    re.IGNORECASE,
)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:])", re.ASCII)


def find_ipv4(text: str, pos: int = 0, endpos: int = _END) -> list[Hit]:
    out = []
    for m in _IPV4.finditer(text, pos, endpos):
        if _NUMBERED.search(text, max(0, m.start() - 24), m.start()):
            continue
        addr = ipaddress.IPv4Address(m.group(0))
        if addr.is_loopback or addr.is_unspecified or m.group(0).startswith("255."):
            continue  # localhost, 0.0.0.0 and netmasks identify nobody
        out.append(Hit("pii", "ipv4", m.start(), m.end(), str(addr)))
    return out


def find_ipv6(text: str, pos: int = 0, endpos: int = _END) -> list[Hit]:
    out = []
    for m in _IPV6.finditer(text, pos, endpos):
        raw = m.group(0).rstrip(":")
        if raw.count(":") < 2:
            continue
        try:
            addr = ipaddress.IPv6Address(raw)
        except ValueError:
            continue
        if addr.is_loopback or addr.is_unspecified:
            continue
        out.append(Hit("pii", "ipv6", m.start(), m.start() + len(raw), addr.compressed))
    return out


# ---------------------------------------------------------------------------------------------
# phone numbers

# Digit groups joined by what phone numbers are written with: a space, "-", ".", parentheses
# around an area code, and combinations like ") " or " - ". Its shape is judged below. The
# separator is never empty: two groups with nothing between them would let a long digit run be
# split in exponentially many ways when the match fails.
_SEP = r"(?=[ \u00a0\-.()])\)?[ \u00a0]?[\-.]?[ \u00a0]?\(?"
_PHONE = re.compile(
    rf"(?<![\w+#$€£¥@/.:,\-])(?:\+|00)?\(?[0-9]{{1,12}}(?:{_SEP}[0-9]{{1,12}}){{0,7}}\)?(?=[^0-9]|$)"
)
_DIGITS = re.compile(r"[0-9]+")

_CC_1 = frozenset("17")
_CC_2 = frozenset(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 "  # noqa: SIM905
    "65 66 81 82 84 86 90 91 92 93 94 95 98".split()
)
_CC_3_ZONES = frozenset(
    "21 22 23 24 25 26 29 35 37 38 42 50 59 67 68 69 85 88 96 97 99".split()  # noqa: SIM905
)
_TOLL_FREE = ("800", "833", "844", "855", "866", "877", "888", "808")


def split_country(digits: str) -> tuple[str, str] | None:
    """(country code, national significant number) of an international number, if plausible."""
    if digits[0] in _CC_1:
        cc = digits[0]
    elif digits[:2] in _CC_2:
        cc = digits[:2]
    elif digits[:2] in _CC_3_ZONES:
        cc = digits[:3]
    else:
        return None
    nsn = digits[len(cc) :]
    if cc == "1":
        return (cc, nsn) if nanp_ok(nsn) else None
    return (cc, nsn) if 6 <= len(nsn) <= 13 else None


def nanp_ok(ten: str) -> bool:
    """A North American number: 10 digits, area and exchange not starting 0/1, area not N11."""
    return len(ten) == 10 and ten[0] not in "01" and ten[3] not in "01" and ten[1:3] != "11"


def phone_key(raw: str) -> str:
    """The national significant number of a phone number as written: what we hash and compare.

    ``+44 20 7946 0958``, ``0044 20 7946 0958`` and ``020 7946 0958`` all give ``2079460958``;
    ``+1 (415) 555-2671`` and ``415.555.2671`` give ``4155552671``.
    """
    s = raw.strip().replace("(0)", "")
    digits = "".join(ch for ch in s if ch.isdigit())
    if s.startswith("+") or s.startswith("00"):
        body = digits[2:] if s.startswith("00") else digits
        parts = split_country(body)
        return parts[1] if parts else body
    if digits.startswith("0"):
        return digits[1:]
    if len(digits) == 11 and digits[0] == "1":
        return digits[1:]
    return digits


def is_business_phone(key: str) -> bool:
    return key.startswith(_TOLL_FREE)


def _phone_shape(groups: list[str], dotted: bool, prefix: str) -> str | None:
    """The normalised key when these digit groups form a phone number, else None."""
    digits = "".join(groups)
    if prefix:
        if not 8 <= len(digits) <= 15:
            return None
        parts = split_country(digits)
        return parts[1] if parts else None
    lens = [len(g) for g in groups]
    if lens == [3, 3, 4] or (lens == [1, 3, 3, 4] and groups[0] == "1"):
        return digits[-10:] if nanp_ok(digits[-10:]) else None
    if dotted:
        return None  # dots only in the 3.3.4 form: dotted quads are IPs, dotted dates dates
    national = len(groups) >= 2 and 9 <= len(digits) <= 12 and digits[0] == "0" and digits[1] != "0"
    if national and all(len(g) >= 2 for g in groups[1:]) and lens != [3, 2, 4]:  # 3-2-4 is an SSN's shape
        return digits[1:]
    return None


def _bare_phone(digits: str, text: str, start: int) -> str | None:
    """Ten or eleven digits with no separators count only after a phone word ("call 4155552671")."""
    if _label(text, start) != "pos":
        return None
    if len(digits) == 11 and digits[0] == "1" and nanp_ok(digits[1:]):
        return digits[1:]
    if len(digits) == 10 and nanp_ok(digits):
        return digits
    if digits[0] == "0" and digits[1] != "0":
        return digits[1:]
    return None


def find_phones(text: str, pos: int = 0, endpos: int = _END) -> list[Hit]:
    out = []
    for m in _PHONE.finditer(text, pos, endpos):
        run = m.group(0)
        if len(run) < 7:
            continue  # no phone number is that short
        prefix = "+" if run[0] == "+" else "00" if run.startswith("00") else ""
        found = list(_DIGITS.finditer(run, len(prefix)))
        groups = [g.group(0) for g in found]
        if not groups:
            continue
        if prefix == "+" and len(groups) > 2 and groups[1] == "0" and "(0)" in run:
            del found[1], groups[1]  # "+44 (0)20 …": the trunk 0 is not dialled
        elif prefix == "00" and len(groups[0]) > 3:
            prefix, groups[0] = "", "00" + groups[0]  # "0012 3456": no country code, a national run
        start = m.start()
        # the whole run, then without trailing groups ("call 415 555 2671 2 times")
        for n in range(len(groups), 0, -1):
            end = found[n - 1].end()
            key = _phone_shape(groups[:n], "." in run[:end], prefix)
            if key is None and n == 1 and not prefix and len(groups[0]) in (10, 11, 12):
                key = _bare_phone(groups[0], text, start)
            if key is None:
                continue
            if prefix != "+" and _label(text, start) == "neg":
                break
            if run[end : end + 1] == ")" and run.count("(", 0, end) > run.count(")", 0, end):
                end += 1  # a closing parenthesis belongs to the number
            out.append(Hit("pii", "phone", start, start + end, key))
            break
    return out


# ---------------------------------------------------------------------------------------------
# all of them, overlaps resolved

# When two recognizers claim overlapping text the more specific (checksummed) one wins.
_PRIORITY = {"card": 0, "iban": 1, "email": 2, "ssn": 3, "phone": 4, "ipv6": 5, "ipv4": 6}
_START = operator.attrgetter("start")


def find_pii(
    text: str,
    digit_runs: list[tuple[int, int]],
    ats: list[tuple[int, int]],
    colons: list[tuple[int, int]],
    iban_starts: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> list[Hit]:
    """All PII around the hints a prefilter found: runs of digits, '@' signs, hex between colons.

    Recognizers search only windows around the hints (wide enough for the longest value that
    can start before or end after one), so a long text costs what its numbers cost.
    """
    hits: list[Hit] = []
    for s, e, digits, dotted in _windows(text, digit_runs, 18, 24):
        if digits >= 12:
            hits += find_cards(text, s, e)
        if _IBAN_HINT.search(text, s, e) is not None:
            hits += find_ibans(text, s, e)
        if digits >= 9:
            hits += find_ssns(text, s, e)
        hits += find_phones(text, s, e)
        if dotted:
            hits += find_ipv4(text, s, e)
    for s, e in _email_windows(text, ats):
        hits += find_emails(text, s, e)
    for s, e, _, _ in _windows(text, colons, 40, 40):
        hits += find_ipv6(text, s, e)
    for s, e, _, _ in _windows(text, iban_starts, 4, 40):
        hits += [h for h in find_ibans(text, s, e) if h not in hits]
    return _resolve_overlaps(hits) if len(hits) > 1 else hits


def _resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Keep hits in text order; where two overlap, the more specific (checksummed) one wins."""
    hits.sort(key=_START)
    if all(a.end <= b.start for a, b in itertools.pairwise(hits)):
        return hits
    hits.sort(key=lambda h: (_PRIORITY[h.type], h.start))
    kept: list[Hit] = []
    for h in hits:
        if all(h.end <= k.start or h.start >= k.end for k in kept):
            kept.append(h)
    kept.sort(key=_START)
    return kept


def find_all(text: str) -> list[Hit]:
    """Every PII value in ``text``, without a prefilter (tests and one-off use)."""
    whole = [(0, len(text))]
    ats = [(i, i + 1) for i, ch in enumerate(text) if ch == "@"]
    return find_pii(text, whole, ats, whole, whole)


def _email_windows(text: str, ats: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """An address sits inside one whitespace-delimited token: the tokens around the '@' signs, merged."""
    out: list[tuple[int, int]] = []
    for at, _ in ats:
        if out and at < out[-1][1]:
            continue  # already inside the previous window
        start = max(text.rfind(" ", max(0, at - 64), at), text.rfind("\n", max(0, at - 64), at), at - 65) + 1
        end = text.find(" ", at, at + 256)
        end = end if end > 0 else min(len(text), at + 256)
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _windows(
    text: str, spans: list[tuple[int, int]], before: int, after: int
) -> list[tuple[int, int, int, bool]]:
    """Merged search windows around hint spans, with the most digits a hint has and whether one has a dot."""
    n = len(text)
    out: list[tuple[int, int, int, bool]] = []
    for s, e in spans:
        run = text[s:e]
        digits = len(run) - run.count(" ") - run.count("-") - run.count(".") - run.count("(") - run.count(")")
        dotted = "." in run
        ws, we = max(0, s - before), min(n, e + after)
        if out and ws <= out[-1][1]:
            ps, pe, pd, pdot = out[-1]
            out[-1] = (ps, max(pe, we), max(pd, digits), pdot or dotted)
        else:
            out.append((ws, we, digits, dotted))
    return out


def normalise(type_: str, raw: str) -> str:
    """The normalised form of a raw PII value as its recognizer would hash it."""
    if type_ == "email":
        return raw.strip().lower()
    if type_ == "phone":
        return phone_key(raw)
    if type_ in ("card", "ssn"):
        return "".join(ch for ch in raw if ch.isdigit())
    if type_ == "iban":
        return raw.replace(" ", "").upper()
    if type_ in ("ipv4", "ipv6"):
        try:
            return ipaddress.ip_address(raw.strip()).compressed
        except ValueError:
            return raw.strip().lower()
    return raw.strip()
