"""Secret recognizers: each format, the placeholders docs are full of, JWT and PEM validation, canaries."""

from __future__ import annotations

import base64

import pytest

from console.core.detectors import DetectorSet, Origin

D = DetectorSet(hash_key=b"test", canary_tokens=["CANARY-7f3a9c2e41"])


def secrets(text: str) -> list[tuple[str, str]]:
    return [(h.type, text[h.start : h.end]) for h in D.hits(text, Origin("other")) if h.category == "secret"]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "type_, value",
    [
        ("aws_access_key", "AKIAZ7Q3WXYB4PLM2KDN"),
        ("aws_access_key", "ASIAQ4L8M2N6P0R3T7V9"),
        ("github_token", "ghp_R8nXq2LmT4vB7cZ1kP9sD3fG6hJ0wY5eA2uV"),
        ("github_token", "gho_R8nXq2LmT4vB7cZ1kP9sD3fG6hJ0wY5eA2uV"),
        (
            "github_token",
            "github_pat_11ABCDEFG0123456789abc_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqR",
        ),
        ("slack_token", "xoxb-284756102938-4827561029384-q8Wm2ZkX9rT4vLp7Nc3Hd6Ys"),
        ("slack_token", "xoxp-284756102938-4827561029384-4827561029385-0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
        ("stripe_key", "sk_live_51Hq2RtL8mN4pX7vB2cD9fG3hJ6k"),
        ("stripe_key", "rk_live_51Hq2RtL8mN4pX7vB2cD9fG3hJ6k"),
        ("google_api_key", "AIzaSyD3kL9mN2pQ5rT8vW1xY4zA7bC0dE6fG9h"),
        ("gitlab_token", "glpat-xK9mP2qR5tV8wY1zB4cD"),
        ("npm_token", "npm_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"),
        ("sendgrid_key", "SG.aB3dE5fG7hI9jK1lM3nO5p.aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9d"),
        ("huggingface_token", "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"),
    ],
)
def test_vendor_formats(type_, value):
    assert secrets(f"here: {value} (oops)") == [(type_, value)]


@pytest.mark.parametrize(
    "text",
    [
        "AKIAIOSFODNN7EXAMPLE from the AWS docs",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "SLACK_TOKEN=xoxb-your-token-here",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc is a test-mode key",
        "STRIPE_SECRET_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX",
        "the ghp_ prefix marks a token",
        "task-based access, ask-me-anything, xoxo",
        "snake_case_name and api_version",
        "password_reset_token_ttl = 3600",
        "I forgot my password, can you reset it?",
        "Your password must be at least 8 characters long.",
        "password: ********",
        "pwd: /home/jane/projects",
        "password reset link: https://example.com/reset?u=12",
        "the Bearer token is sent in the Authorization header",
        "API key rotation policy: rotate every 90 days",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ],
)
def test_look_alikes(text):
    assert secrets(text) == []


def test_private_keys_not_certificates():
    body = "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8tq0Xk5e2v1zKQ1Q5u8c7d9e0f1g2"
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    assert secrets(f"cat id_rsa\n{key}\nok") == [("private_key", key)]
    escaped = key.replace("\n", "\\n")  # inside a JSON string
    assert secrets(f'{{"private_key": "{escaped}"}}') == [("private_key", escaped)]
    truncated = f"-----BEGIN PRIVATE KEY-----\n{body}"
    assert secrets(truncated) == [("private_key", truncated)]
    for kind in ("CERTIFICATE", "PUBLIC KEY"):
        assert secrets(f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----") == []


def test_jwt_header_must_decode_with_alg():
    payload = b64(b'{"sub":"42"}')
    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    token = f"{header}.{payload}.{'s' * 20}Ab3"
    assert secrets(f"Authorization: Bearer {token}") == [("jwt", token)]
    unsigned = b64(b'{"alg":"none"}') + f".{payload}."
    assert secrets(f"cookie={unsigned};") == [("jwt", unsigned)]
    no_alg = b64(b'{"typ":"note"}') + f".{payload}.c2lnbmF0dXJlLWhlcmU"
    assert secrets(no_alg) == []
    not_json = f"eyJub3QganNvbg.{payload}.c2lnbmF0dXJlLWhlcmU"
    assert secrets(not_json) == []


def test_credentials_by_name():
    assert secrets("my password is Tr0ub4dor&3") == [("password", "Tr0ub4dor&3")]
    assert secrets("Passwort: Sommer2026!") == [("password", "Sommer2026!")]
    assert secrets("pwd=Summer9974$") == [("password", "Summer9974$")]
    assert secrets("api_key=9f8e7d6c5b4a39281706f5e4d3c2b1a0Zq") == [
        ("api_key", "9f8e7d6c5b4a39281706f5e4d3c2b1a0Zq")
    ]
    value = "9drTJvcXLB89Qx3kPzV7mYqL0B3hP+NBv5tpoYwL"
    assert secrets(f"aws_secret_access_key = {value}") == [("aws_secret_key", value)]


def test_canary_tokens_exact_match():
    assert secrets("the doc says CANARY-7f3a9c2e41 internally") == [("canary", "CANARY-7f3a9c2e41")]
    assert secrets("CANARY-7f3a9c2e4 is one character short") == []
    assert DetectorSet(hash_key=b"k").hits("CANARY-7f3a9c2e41") == ()  # not configured there
