"""PII recognizers: valid values, broken checksums and the near misses that must not fire."""

from __future__ import annotations

import pytest

from console.core.detectors import pii
from console.core.detectors.hashing import normalise


def found(text: str) -> list[tuple[str, str]]:
    return [(h.type, text[h.start : h.end]) for h in pii.find_all(text)]


def types(text: str) -> set[str]:
    return {t for t, _ in found(text)}


@pytest.mark.parametrize(
    "text, value",
    [
        ("mail john.doe@example.com now", "john.doe@example.com"),
        ("<Jose.Alvarez+billing@Example.COM>", "Jose.Alvarez+billing@Example.COM"),
        ("write to o'brien@example.ie", "o'brien@example.ie"),
        ("end of sentence a.b@sub.example.co.uk.", "a.b@sub.example.co.uk"),
    ],
)
def test_email(text, value):
    assert found(text) == [("email", value)]


@pytest.mark.parametrize(
    "text",
    [
        "logo@2x.png",
        "react@18.2.0",
        "git clone git@github.invalid:org/repo.git",
        "user@localhost",
        "@handle",
        "https://ghp_token@github.com/x",
    ],
)
def test_email_look_alikes(text):
    assert "email" not in types(text)


@pytest.mark.parametrize(
    "written, key",
    [
        ("+44 20 7946 0958", "2079460958"),
        ("(415) 555-2671", "4155552671"),
        ("415-555-2671", "4155552671"),
        ("415.555.2671", "4155552671"),
        ("+1 415 555 2671", "4155552671"),
        ("+1 (415) 555-2671", "4155552671"),
        ("020 7946 0958", "2079460958"),
        ("+44 (0)20 7946 0958", "2079460958"),
        ("0044 20 7946 0958", "2079460958"),
        ("+49 30 901820", "30901820"),
        ("+33 1 42 68 53 00", "142685300"),
        ("01 42 68 53 00", "142685300"),
        ("+81 3-1234-5678", "312345678"),
        ("07700 900123", "7700900123"),
        ("1-800-555-0199", "8005550199"),
    ],
)
def test_phone_forms_and_normalisation(written, key):
    hits = pii.find_all(f"call {written} please")
    assert [(h.type, h.value) for h in hits] == [("phone", key)]
    assert normalise("phone", written) == key


def test_bare_digits_are_a_phone_only_after_a_phone_word():
    assert found("call me on 4155552671") == [("phone", "4155552671")]
    assert found("my number is 4155552671") == [("phone", "4155552671")]
    assert found("my order number is 4155552671") == []
    assert found("4155552671") == []


@pytest.mark.parametrize(
    "text",
    [
        "Order 2026-03-15 arrived on 15.03.2026 at 10:30",
        "version 10.0.19041.1",
        "Total: $1,299.00 for 10 000 units",
        "Opening hours 09:00-17:00",
        "invoice 020 7946 0958 is unpaid",
        "Order 415-555-2671 is delayed",
        "ticket #415-555-2671",
        "ISBN 978-3-16-148410-0",
        "Tracking number 7712 3456 7890",
        "Timestamp 1700000000123",
        "SSN 043-88-0000",
        "123e4567-e89b-12d3-a456-426614174000",
        "Coordinates 51.5074, -0.1278",
    ],
)
def test_phone_near_misses(text):
    assert "phone" not in types(text)


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1111",
        "4012888888881881",
        "3782 822463 10005",
        "5555-5555-5555-4444",
        "2223 0031 2200 3222",
        "6011 1111 1111 1117",
        "3056 930902 5904",
        "3530111333300000",
    ],
)
def test_cards(number):
    assert found(f"card {number} exp 09/28") == [("card", number)]


def test_card_checks():
    assert pii.luhn_ok("4111111111111111") and not pii.luhn_ok("4111111111111112")
    assert pii.card_brand("4111111111111111") == "visa"
    assert pii.card_brand("378282246310005") == "amex"
    assert pii.card_brand("1234567812345670") is None  # Luhn-valid, no network starts with 1
    assert pii.card_brand("37828224631000") is None  # Amex prefix, wrong length


@pytest.mark.parametrize(
    "text",
    [
        "order 4111 1111 1111 1112",
        "reference 1234 5678 9012 3456",
        "EAN 4006381333931",
        "1111 2222 3333 4444",
        "account 12345678901234567890",
        "IMEI 356938035643809",
    ],
)
def test_card_near_misses(text):
    assert "card" not in types(text)


@pytest.mark.parametrize(
    "area, group, serial, ok",
    [
        ("536", "22", "1234", True),
        ("000", "22", "1234", False),
        ("666", "22", "1234", False),
        ("900", "22", "1234", False),
        ("999", "22", "1234", False),
        ("899", "22", "1234", True),
        ("536", "00", "1234", False),
        ("536", "22", "0000", False),
        ("001", "01", "0001", True),
    ],
)
def test_ssn_rules(area, group, serial, ok):
    assert pii.ssn_ok(area, group, serial) is ok
    assert (types(f"SSN {area}-{group}-{serial}") == {"ssn"}) is ok


def test_ssn_needs_a_label_without_dashes():
    assert found("ssn 536 22 1234") == [("ssn", "536 22 1234")]
    assert found("SSN 536221234") == [("ssn", "536221234")]
    assert found("ref 536 22 1234") == []
    assert found("the famous card 078-05-1120") == []  # published and void
    assert found("part number 123-45-6789") == []


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "CH9300762011623852957",
        "NO9386011117947",
        "MT84MALT011000012345MTLCAST001S",
        "IT60X0542811101000000123456",
        "ES9121000418450200051332",
        "es9121000418450200051332",
    ],
)
def test_iban_countries(iban):
    assert found(f"refund to {iban}, thanks") == [("iban", iban)]


def test_iban_checks():
    assert pii.iban_ok("DE89370400440532013000")
    assert not pii.iban_ok("DE89370400440532013001")  # mod-97 fails
    assert not pii.iban_ok("DE8937040044053201300")  # German IBANs have 22 characters
    assert not pii.iban_ok("XX89370400440532013000")  # no such country
    assert found("IBAN DE89 3704 0044 0532 0130 01") == []
    assert found("two: DE89370400440532013000 and GB82 WEST 1234 5698 7654 32 ok") == [
        ("iban", "DE89370400440532013000"),
        ("iban", "GB82 WEST 1234 5698 7654 32"),
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("from 203.0.113.45 at noon", [("ipv4", "203.0.113.45")]),
        ("server 10.12.0.7", [("ipv4", "10.12.0.7")]),
        ("client 2001:db8:85a3::8a2e:370:7334 ok", [("ipv6", "2001:db8:85a3::8a2e:370:7334")]),
        ("mapped ::ffff:192.0.2.128", [("ipv6", "::ffff:192.0.2.128")]),
        ("version 1.2.3.4", []),
        ("upgrade to 4.19.2.1", []),
        ("section 3.2.1.4 of the terms", []),
        ("999.12.1.1 and 1.2.3", []),
        ("localhost 127.0.0.1, 0.0.0.0 and ::1", []),
        ("netmask 255.255.255.0", []),
        ("at 10:30:45, MAC 00:1A:2B:3C:4D:5E, std::vector", []),
    ],
)
def test_ip_addresses(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "md5 9e107d9d372bb6826bd81d3542a419d6",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "2026-03-15T10:30:00Z and 1700000000",
        "Tracking: 1Z999AA10123456784",
        "USPS 9400 1000 0000 0000 0000 00",
    ],
)
def test_hashes_ids_and_timestamps_are_not_pii(text):
    assert found(text) == []


def test_overlaps_keep_the_checksummed_value():
    # a card number also looks like a run of digits a phone or IBAN recognizer might take
    assert found("card 4111-1111-1111-1111") == [("card", "4111-1111-1111-1111")]
