"""Fake credentials in the real formats of ~60 providers, for the labeled corpora.

Every value is drawn from a seeded random generator: it has the shape of a real
credential (prefix, length, alphabet, checksum where one exists) and belongs to
no account. Used by make_corpora.py; the secrets pack's examples were drawn
from the same generators (seed 7).
"""

from __future__ import annotations

import base64
import random
import string
import zlib
from collections.abc import Callable

UP = string.ascii_uppercase
LOW = string.ascii_lowercase
DIG = string.digits
ALNUM = UP + LOW + DIG
HEX = "0123456789abcdef"
B32 = UP + "234567"
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"


def pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _base62_crc(rng: random.Random, prefix: str, body: int) -> str:
    """GitHub-style token: prefix, random body, base62 CRC32 of the body (6 chars)."""
    core = pick(rng, ALNUM, body)
    crc = zlib.crc32(core.encode())
    digits = ""
    for _ in range(6):
        crc, r = divmod(crc, 62)
        digits = (DIG + UP + LOW)[r] + digits
    return prefix + core + digits


def _pem(rng: random.Random, kind: str, lines: int = 4, sep: str = "\n") -> str:
    body = sep.join(pick(rng, B64, 64) for _ in range(lines))
    return f"-----BEGIN {kind}-----{sep}{body}{sep}{pick(rng, B64, 20)}=={sep}-----END {kind}-----"


def _jwt(rng: random.Random) -> str:
    def seg(d: str) -> str:
        return base64.urlsafe_b64encode(d.encode()).decode().rstrip("=")

    header = seg('{"alg":"HS256","typ":"JWT"}')
    sub, iat = rng.randrange(10**6), rng.randrange(1600000000, 1800000000)
    payload = seg('{"sub":"' + str(sub) + '","iat":' + str(iat) + '}')
    return f"{header}.{payload}.{pick(rng, URLSAFE, 43)}"


def _password(rng: random.Random) -> str:
    return pick(rng, UP, 2) + pick(rng, LOW, 4) + rng.choice("!#%&*@^") + pick(rng, DIG, 3) + pick(rng, ALNUM, 3)


Gen = Callable[[random.Random], str]

# name -> value generator. The "value" is what a labeled span covers.
FORMATS: dict[str, Gen] = {
    "aws_access_key_id": lambda r: "AKIA" + pick(r, B32, 16),
    "aws_secret_access_key": lambda r: pick(r, B64, 40),
    "gcp_private_key": lambda r: _pem(r, "PRIVATE KEY", 3, "\\n"),
    "gcp_client_email": lambda r: f"{pick(r, LOW, 6)}-sa@{pick(r, LOW, 7)}-{pick(r, DIG, 6)}.iam.gserviceaccount.com",
    "google_api_key": lambda r: "AIza" + pick(r, URLSAFE, 35),
    "google_oauth_secret": lambda r: "GOCSPX-" + pick(r, URLSAFE, 28),
    "azure_storage_key": lambda r: pick(r, B64, 86) + "==",
    "azure_sas_signature": lambda r: pick(r, ALNUM, 43) + "%3D",
    "azure_client_secret": lambda r: pick(r, ALNUM, 3) + r.choice(DIG) + "Q~" + pick(r, ALNUM + "_~.-", 34),
    "github_pat": lambda r: _base62_crc(r, "ghp_", 30),
    "github_oauth": lambda r: _base62_crc(r, "gho_", 30),
    "github_app": lambda r: _base62_crc(r, r.choice(["ghs_", "ghu_", "ghr_"]), 30),
    "github_fine_grained": lambda r: "github_pat_" + pick(r, ALNUM, 22) + "_" + pick(r, ALNUM, 59),
    "gitlab_pat": lambda r: "glpat-" + pick(r, URLSAFE, 20),
    "gitlab_runner": lambda r: "glrt-" + pick(r, URLSAFE, 20),
    "gitlab_trigger": lambda r: "glptt-" + pick(r, HEX, 40),
    "slack_bot": lambda r: f"xoxb-{pick(r, DIG, 12)}-{pick(r, DIG, 13)}-{pick(r, ALNUM, 24)}",
    "slack_user": lambda r: f"xoxp-{pick(r, DIG, 12)}-{pick(r, DIG, 12)}-{pick(r, DIG, 13)}-{pick(r, HEX, 32)}",
    "slack_app": lambda r: f"xapp-1-A{pick(r, UP + DIG, 10)}-{pick(r, DIG, 13)}-{pick(r, HEX, 64)}",
    "slack_webhook": lambda r: (
        f"https://hooks.slack.com/services/T{pick(r, UP + DIG, 10)}/B{pick(r, UP + DIG, 10)}/{pick(r, ALNUM, 24)}"
    ),
    "stripe_secret": lambda r: "sk_live_" + pick(r, ALNUM, 99 if r.random() < 0.5 else 24),
    "stripe_restricted": lambda r: "rk_live_" + pick(r, ALNUM, 24),
    "stripe_webhook": lambda r: "whsec_" + pick(r, ALNUM, 32),
    "openai": lambda r: "sk-" + r.choice(["proj-", "svcacct-", ""]) + pick(r, URLSAFE, 20) + "T3BlbkFJ" + pick(r, URLSAFE, 20),
    "anthropic": lambda r: "sk-ant-api03-" + pick(r, URLSAFE, 93) + "AA",
    "twilio_api_key": lambda r: "SK" + pick(r, HEX, 32),
    "twilio_auth_token": lambda r: pick(r, HEX, 32),
    "sendgrid": lambda r: "SG." + pick(r, URLSAFE, 22) + "." + pick(r, URLSAFE, 43),
    "npm": lambda r: "npm_" + pick(r, ALNUM, 36),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + pick(r, URLSAFE, 70),
    "mailgun": lambda r: "key-" + pick(r, HEX, 32),
    "shopify": lambda r: r.choice(["shpat_", "shpss_", "shpca_", "shppa_"]) + pick(r, HEX, 32),
    "square_access": lambda r: "EAAA" + pick(r, URLSAFE, 60),
    "square_oauth_secret": lambda r: "sq0csp-" + pick(r, URLSAFE, 43),
    "braintree": lambda r: f"access_token$production${pick(r, LOW + DIG, 16)}${pick(r, HEX, 32)}",
    "paypal_client_secret": lambda r: "E" + pick(r, URLSAFE, 79),
    "discord_bot": lambda r: r.choice("MN") + pick(r, ALNUM, 25) + "." + pick(r, URLSAFE, 6) + "." + pick(r, URLSAFE, 38),
    "discord_webhook": lambda r: f"https://discord.com/api/webhooks/{pick(r, DIG, 18)}/{pick(r, URLSAFE, 68)}",
    "telegram_bot": lambda r: f"{pick(r, DIG, 10)}:AA{pick(r, URLSAFE, 33)}",
    "heroku": lambda r: "HRKU-AA" + pick(r, URLSAFE, 58),
    "digitalocean": lambda r: r.choice(["dop_v1_", "doo_v1_", "dor_v1_"]) + pick(r, HEX, 64),
    "databricks": lambda r: "dapi" + pick(r, HEX, 32),
    "vault": lambda r: "hvs." + pick(r, URLSAFE, 90),
    "doppler": lambda r: r.choice(["dp.pt.", "dp.st.", "dp.sa.", "dp.ct."]) + pick(r, ALNUM, 43),
    "postman": lambda r: f"PMAK-{pick(r, HEX, 24)}-{pick(r, HEX, 34)}",
    "atlassian": lambda r: "ATATT3xFfGF0" + pick(r, URLSAFE, 174) + "=" + pick(r, HEX.upper(), 8),
    "okta": lambda r: "00" + pick(r, URLSAFE, 40),
    "datadog_api": lambda r: pick(r, HEX, 32),
    "datadog_app": lambda r: pick(r, HEX, 40),
    "newrelic": lambda r: "NRAK-" + pick(r, UP + DIG, 27),
    "sentry_dsn": lambda r: f"https://{pick(r, HEX, 32)}@o{pick(r, DIG, 6)}.ingest.sentry.io/{pick(r, DIG, 7)}",
    "sentry_token": lambda r: "sntryu_" + pick(r, HEX, 64),
    "firebase_fcm": lambda r: "AAAA" + pick(r, URLSAFE, 7) + ":APA91b" + pick(r, URLSAFE, 134),
    "jwt": _jwt,
    "rsa_private_key": lambda r: _pem(r, "RSA PRIVATE KEY"),
    "ec_private_key": lambda r: _pem(r, "EC PRIVATE KEY", 2),
    "openssh_private_key": lambda r: _pem(r, "OPENSSH PRIVATE KEY"),
    "pgp_private_key": lambda r: _pem(r, "PGP PRIVATE KEY BLOCK"),
    "huggingface": lambda r: "hf_" + pick(r, UP + LOW, 34),
    "linear": lambda r: "lin_api_" + pick(r, ALNUM, 40),
    "notion": lambda r: "ntn_" + pick(r, DIG, 11) + pick(r, ALNUM, 35),
    "airtable": lambda r: "pat" + pick(r, ALNUM, 14) + "." + pick(r, HEX, 64),
    "grafana": lambda r: "glsa_" + pick(r, ALNUM, 32) + "_" + pick(r, HEX, 8),
    "pulumi": lambda r: "pul-" + pick(r, HEX, 40),
    "terraform_cloud": lambda r: pick(r, ALNUM, 14) + ".atlasv1." + pick(r, URLSAFE, 67),
    "dockerhub": lambda r: "dckr_pat_" + pick(r, URLSAFE, 27),
    "mailchimp": lambda r: pick(r, HEX, 32) + "-us" + str(r.randrange(1, 21)),
    "age_secret": lambda r: "AGE-SECRET-KEY-1" + pick(r, UP.replace("B", "").replace("I", "").replace("O", "") + "023456789", 58),
    "alibaba": lambda r: "LTAI" + pick(r, ALNUM, 20),
    "rubygems": lambda r: "rubygems_" + pick(r, HEX, 48),
    "planetscale": lambda r: "pscale_tkn_" + pick(r, URLSAFE, 43),
    "supabase": lambda r: "sbp_" + pick(r, HEX, 40),
    "dynatrace": lambda r: f"dt0c01.{pick(r, UP + DIG, 24)}.{pick(r, UP + DIG, 64)}",
    "contentful": lambda r: "CFPAT-" + pick(r, URLSAFE, 43),
    "mapbox": lambda r: "sk.eyJ1Ijoi" + pick(r, ALNUM, 30) + "." + pick(r, URLSAFE, 22),
    "flutterwave": lambda r: f"FLWSECK-{pick(r, HEX, 32)}-X",
    "razorpay": lambda r: "rzp_live_" + pick(r, ALNUM, 14),
    "password": _password,
    "database_url_password": _password,
    "basic_auth_password": _password,
    "generic_secret": lambda r: pick(r, ALNUM, 32),
}
