"""Writes the labeled corpora for `chatdlp eval` (deterministic; run from the repo root):

    python tests/data/make_corpora.py

- dev.jsonl        chat at work with labeled PII/PHI/secrets and hard negatives (seed 1, templates A)
- technical.jsonl  technical chat with nothing sensitive (seed 2, templates A and B)
- heldout.jsonl    the same kinds of content from other templates, names and values (seed 3,
                   templates B); never used for tuning

Every value is fictitious: names are drawn from pools, numbers are random with
valid checksums where the format has one, credentials come from secret_formats.py.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from secret_formats import FORMATS, pick

HERE = Path(__file__).parent

FIRST_A = ["Dana", "Marcus", "Linda", "Robert", "Emily", "Kevin", "Sarah", "Thomas", "Laura", "Brian",
           "Nicole", "Gregory", "Rachel", "Patrick", "Megan", "Raymond", "Olivia", "Walter", "Hannah", "Carl"]
LAST_A = ["Whitfield", "Garcia", "Thompson", "Nguyen", "Patel", "Kowalski", "Brennan", "Okafor", "Lindqvist",
          "Marsh", "Delgado", "Fischer", "Hartley", "Moreau", "Castellano", "Pruitt", "Adeyemi", "Novak"]
FIRST_B = ["Ingrid", "Tobias", "Yusuf", "Marisol", "Declan", "Priya", "Anselm", "Beatriz", "Kofi", "Ilse",
           "Rafferty", "Soraya", "Emeka", "Griselda", "Lorcan", "Zofia", "Thaddeus", "Wren"]
LAST_B = ["Oyelaran", "Solberg", "Wierzbicki", "Ramaswamy", "Achterberg", "Quintanilla", "Fairbairn",
          "Mbeki", "Haraldsen", "Villanueva", "Szabo", "Eriksen", "Ferreira", "Abernathy", "Kuznetsova"]
CITIES_A = ["Seattle", "Denver", "Portland", "Chicago", "Austin", "Boston", "Phoenix"]
CITIES_B = ["Tacoma", "Spokane", "Fresno", "Albany", "Savannah", "Duluth", "Eugene"]
HOSPITALS_A = ["St. Mary's Hospital", "Mercy General Hospital", "Lakeside Medical Center",
               "Riverside Community Hospital", "Northgate Clinic"]
HOSPITALS_B = ["Good Samaritan Regional Medical Center", "Cedar Valley Health Clinic",
               "Providence Memorial Hospital", "Harborview Family Clinic"]
TEST_CARDS = ["4111 1111 1111 1111", "4242 4242 4242 4242", "5555 5555 5555 4444", "378282246310005"]


def luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def card(rng: random.Random, spaced: bool = True) -> str:
    number = luhn_complete(rng, rng.choice(["4", "51", "53", "6011"]), 16)
    return " ".join(number[i:i + 4] for i in range(0, 16, 4)) if spaced else number


def ssn(rng: random.Random) -> str:
    return f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"


def iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    for check in range(2, 99):
        raw = f"DE{check:02d}{bban}"
        rearranged = raw[4:] + raw[:4]
        if int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1:
            return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    raise AssertionError


def phone(rng: random.Random) -> str:
    area, mid, end = rng.choice([206, 303, 312, 415, 512, 617, 702]), rng.randrange(201, 989), rng.randrange(1000, 9999)
    if mid == 555:
        mid = 556
    return rng.choice([f"({area}) {mid}-{end}", f"{area}-{mid}-{end}", f"+1 {area} {mid} {end}"])


def ip(rng: random.Random) -> str:
    return f"{rng.choice([81, 92, 145, 172, 10])}.{rng.randrange(1, 254)}.{rng.randrange(1, 254)}.{rng.randrange(1, 254)}"


def npi(rng: random.Random) -> str:
    while True:
        body = "1" + "".join(rng.choice("0123456789") for _ in range(8))
        full = luhn_complete(rng, "80840" + body, 15)
        return full[5:]


def dea(rng: random.Random) -> str:
    d = [rng.randrange(10) for _ in range(6)]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return rng.choice("ABFM") + rng.choice("ABCDHKLMRSTW") + "".join(map(str, d)) + str(check)


def date(rng: random.Random) -> str:
    m, d, y = rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(1935, 2024)
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"]
    return rng.choice([f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}", f"{months[m - 1]} {d}, {y}", f"{y}-{m:02d}-{d:02d}"])


class Doc:
    """Text built piece by piece; spans recorded as values are appended."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: list[dict[str, object]] = []

    def add(self, *parts: object) -> Doc:
        for part in parts:
            if isinstance(part, tuple):
                value, label = part
                start = len(self.text)
                self.text += value
                if label:
                    self.spans.append({"start": start, "end": len(self.text), "label": label})
            else:
                self.text += str(part)
        return self


class Corpus:
    def __init__(self, name: str, seed: int, names: tuple[list[str], list[str]], cities: list[str],
                 hospitals: list[str]) -> None:
        self.name, self.rng = name, random.Random(seed)
        self.first, self.last = names
        self.cities, self.hospitals = cities, hospitals
        self.records: list[dict[str, object]] = []

    def person(self) -> str:
        return f"{self.rng.choice(self.first)} {self.rng.choice(self.last)}"

    def emit(self, kind: str, doc: Doc) -> None:
        self.records.append({"id": f"{self.name}-{len(self.records):04d}", "kind": kind,
                             "text": doc.text, "spans": doc.spans})

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as out:
            for record in self.records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


# ---- secrets in context ---------------------------------------------------------------------------
ENV = {"aws_secret_access_key": "AWS_SECRET_ACCESS_KEY", "twilio_auth_token": "TWILIO_AUTH_TOKEN",
       "datadog_api": "DD_API_KEY", "datadog_app": "DD_APP_KEY", "okta": "OKTA_API_TOKEN",
       "paypal_client_secret": "PAYPAL_CLIENT_SECRET", "generic_secret": "SERVICE_API_SECRET",
       "password": "DB_PASSWORD"}
SKIP_PLAIN = {"gcp_private_key", "gcp_client_email", "azure_sas_signature", "database_url_password",
              "basic_auth_password", "azure_storage_key", "sentry_dsn"}


def secret_doc(c: Corpus, fmt: str, style: str) -> Doc:
    rng, v = c.rng, FORMATS[fmt](c.rng)
    s = (v, "SECRET")
    var = ENV.get(fmt, fmt.upper() + ("_TOKEN" if "token" not in fmt else ""))
    if fmt == "gcp_private_key":
        return Doc().add('here is the key file, why does auth fail?\n{\n  "type": "service_account",\n'
                         '  "project_id": "acme-data",\n  "private_key": "', s, '",\n  "client_email": "',
                         (FORMATS["gcp_client_email"](rng), "SECRET"), '"\n}')
    if fmt == "gcp_client_email":
        return Doc().add('"client_email": "', s, '", is that the right account?')
    if fmt == "azure_storage_key":
        return Doc().add("conn = \"DefaultEndpointsProtocol=https;AccountName=stacme;AccountKey=", s,
                         ";EndpointSuffix=core.windows.net\"")
    if fmt == "azure_sas_signature":
        return Doc().add("the download link https://stacme.blob.core.windows.net/r/a.csv?sv=2022-11-02&sp=r&se=2026-02-01&sig=",
                         s, " gives 403")
    if fmt == "database_url_password":
        scheme = rng.choice(["postgres", "mysql", "mongodb+srv", "redis"])
        return Doc().add(f"{'DATABASE_URL=' if style == 'A' else 'my connection string is '}{scheme}://svc_app:",
                         s, f"@db{rng.randrange(9)}.internal.acme.net:5432/orders")
    if fmt == "basic_auth_password":
        return Doc().add("curl -X POST https://deployer:", s, "@jenkins.acme.net/job/release/build")
    if fmt == "sentry_dsn":
        key = pick(rng, "0123456789abcdef", 32)
        return Doc().add("sentry_sdk.init(dsn=\"https://", (key, "SECRET"),
                         f"@o{rng.randrange(10**5, 10**6)}.ingest.sentry.io/{rng.randrange(10**6, 10**7)}\")")
    if fmt in {"rsa_private_key", "ec_private_key", "openssh_private_key", "pgp_private_key"}:
        return Doc().add("ssh keeps asking for a passphrase with this key, is it malformed?\n", s, "\n")
    if fmt == "password":
        templates_a = [("db password: ", " please fix the login"), ('{"user": "svc", "pwd": "', '"}'),
                       ("PASSWORD=", "")]
        templates_b = [("my new password is ", " but the portal rejects it"), ("password = \"", "\"  # TODO move"),
                       ("login with admin / pw: ", "")]
        before, after = rng.choice(templates_a if style == "A" else templates_b)
        return Doc().add(before, s, after)
    if style == "A":
        before, after = rng.choice([(f"{var}={v and ''}", ""), (f'"{var.lower()}": "', '"'),
                                    (f"export {var}=", "")])
    else:
        before, after = rng.choice([(f"{var.lower()}: ", "\n# rotated last week"),
                                    (f"I set {var} to ", " but it still says unauthorized"),
                                    (f"os.environ[\"{var}\"] = \"", "\"")])
    return Doc().add(before, s, after)


# ---- kinds of messages ----------------------------------------------------------------------------
def chat_pii(c: Corpus, style: str) -> Doc:
    rng, p = c.rng, c.person()
    d = Doc()
    which = rng.randrange(7)
    if style == "A":
        if which == 0:
            d.add("Can you draft a reply to ", (p, "PERSON"), "? Her email is ",
                  (f"{p.split()[0].lower()}.{p.split()[1].lower()}@{rng.choice(['contoso.com', 'fabrikam.com'])}", "EMAIL"),
                  " and she wants a refund.")
        elif which == 1:
            d.add("Customer ", (p, "PERSON"), " called from ", (phone(rng), "PHONE"), " about card ",
                  (card(rng), "CREDIT_CARD"), ", charged twice.")
        elif which == 2:
            d.add("Fill the W-4 for ", (p, "PERSON"), ", SSN ", (ssn(rng), "SSN"), ", who moved to ",
                  (rng.choice(c.cities), "LOCATION"), " in May.")
        elif which == 3:
            d.add("Please wire the deposit to IBAN ", (iban(rng), "IBAN"), " (account holder ", (p, "PERSON"), ").")
        elif which == 4:
            d.add("The VPN logs show logins for ", (p, "PERSON"), " from ", (ip(rng), "IP"), " at 3am, is that suspicious?")
        elif which == 5:
            d.add("Rewrite this more politely: Mr. ", (p.split()[1], "PERSON"), " has missed three deadlines.")
        else:
            d.add("Summarize: ", (p, "PERSON"), " (", (f"{p.split()[0][0].lower()}{p.split()[1].lower()}@northwind.com", "EMAIL"),
                  ", ", (phone(rng), "PHONE"), ") asked to move the review.")
    else:
        if which == 0:
            d.add("hey, quick one - how do I tell ", (p, "PERSON"), " that the contract at ",
                  (f"{p.split()[1].lower()}@{rng.choice(['tailspin.io', 'litware.net'])}", "EMAIL"), " bounced")
        elif which == 1:
            d.add("My card number is ", (card(rng, spaced=False), "CREDIT_CARD"), " and the billing phone is ",
                  (phone(rng), "PHONE"), ", why was it declined?")
        elif which == 2:
            d.add("translate to Spanish: my social security number is ", (ssn(rng), "SSN"),
                  " and I live in ", (rng.choice(c.cities), "LOCATION"))
        elif which == 3:
            d.add("Is ", (iban(rng).replace(" ", ""), "IBAN"), " a valid IBAN? It's for ", (p, "PERSON"), "'s payroll.")
        elif which == 4:
            d.add("firewall blocked ", (ip(rng), "IP"), " again, the user is ", (p, "PERSON"), " from finance")
        elif which == 5:
            d.add("Write a performance note for ", (p, "PERSON"), ", who joined us from ",
                  (rng.choice(c.cities), "LOCATION"), " last year.")
        else:
            d.add("Dear ", (p, "PERSON"), ",\nThanks for the update. Please call me on ", (phone(rng), "PHONE"),
                  ".\nBest,\n", (c.person(), "PERSON"))
    return d


def clinical(c: Corpus, style: str, caps: bool) -> Doc:
    rng, p, doc_name = c.rng, c.person(), c.person().split()[1]
    age = rng.randrange(91, 103) if rng.random() < 0.3 else rng.randrange(25, 88)
    age_span = (str(age), "AGE" if age > 89 else "")
    mrn = str(rng.randrange(10**6, 10**8))
    d = Doc()
    if style == "A":
        d.add("Patient: ", (p, "PERSON"), "\nDOB: ", (date(rng), "DATE"), "\nMRN: ", (mrn, "ID"),
              "\nAdmitted to ", (rng.choice(c.hospitals), "LOCATION"), " on ", (date(rng), "DATE"),
              ". ", age_span, " y/o with history of ", ("E11.9", "ICD10"), ", seen by Dr. ", (doc_name, "PERSON"),
              ". Call back number ", (phone(rng), "PHONE"), ". NPI ", (npi(rng), "ID"), ".")
    else:
        d.add("Discharge summary. ", (p, "PERSON"), " is a ", age_span, " year old patient from ",
              (rng.choice(c.cities), "LOCATION"), ", discharged from ", (rng.choice(c.hospitals), "LOCATION"),
              " on ", (date(rng), "DATE"), ". Medical record number ", (mrn, "ID"),
              ". Attending: ", (c.person(), "PERSON"), ", DEA ", (dea(rng), "ID"),
              ". Member ID ", (f"XK{rng.randrange(10**8, 10**9)}", "ID"), ". Follow up in 2 weeks.")
    if caps:
        d.text = d.text.upper()
    return d


def email_msg(c: Corpus, style: str) -> Doc:
    rng, sender, to = c.rng, c.person(), c.person()
    d = Doc()
    if style == "A":
        d.add("Fix the tone of this email:\n\nFrom: ", (sender, "PERSON"), " <",
              (f"{sender.split()[1].lower()}@contoso.com", "EMAIL"), ">\nTo: ", (to, "PERSON"),
              "\nSubject: Q3 budget\n\nHi ", (to.split()[0], "PERSON"), ",\nthe numbers are attached.\n\nRegards,\n",
              (sender, "PERSON"), "\n", (phone(rng), "PHONE"))
    else:
        d.add("can you make this shorter? \"", (to.split()[0], "PERSON"), " - following up on the onboarding for ",
              (c.person(), "PERSON"), ". Ping me at ", (f"{sender.split()[0].lower()}@fabrikam.com", "EMAIL"),
              ". Cheers, ", (sender.split()[0], "PERSON"), "\"")
    return d


def csv_msg(c: Corpus) -> Doc:
    rng = c.rng
    d = Doc().add("why does pandas fail to parse this?\nid,name,email,phone\n")
    for i in range(3):
        p = c.person()
        d.add(f"{i + 1},", (p, "PERSON"), ",", (f"{p.split()[0].lower()}.{p.split()[1].lower()}@contoso.com", "EMAIL"),
              ",", (phone(rng), "PHONE"), "\n")
    return d


# ---- technical chat with nothing sensitive (also the hard negatives) --------------------------------
def technical(c: Corpus, style: str) -> Doc:
    rng = c.rng
    cls = rng.choice(["UserManager", "OrderService", "PaymentGateway", "Flask", "Django", "Pandas", "React",
                      "Kubernetes", "Spring Boot", "Celery", "FastAPI", "Redis", "Kafka", "PostgreSQL"])
    ver = f"{rng.randrange(1, 5)}.{rng.randrange(0, 20)}.{rng.randrange(0, 30)}"
    uuid = "-".join(pick(rng, "0123456789abcdef", n) for n in (8, 4, 4, 4, 12))
    sha = pick(rng, "0123456789abcdef", 40)
    order = f"ORD-{rng.randrange(10**6, 10**7)}"
    choices_a = [
        f"Why does {cls} throw a NullPointerException after upgrading to {ver}?",
        f"```python\nimport os.path\nfrom myapp.models import {cls}\n\nclass {cls}Test(TestCase):\n    def test_ok(self):\n"
        f"        self.assertEqual(os.path.join('a', 'b'), 'a/b')\n```\nthis test fails on CI",
        f"Traceback (most recent call last):\n  File \"/srv/app/{cls.lower()}.py\", line {rng.randrange(10, 400)}, in handle\n"
        f"    raise ValueError(\"bad state\")\nValueError: bad state\nwhat does that mean?",
        f"2024-05-0{rng.randrange(1, 9)} 10:4{rng.randrange(10)}:12 ERROR worker-{rng.randrange(9)} build {sha[:12]} failed "
        f"request_id={uuid}\nany idea?",
        f"Commit {sha} broke the build; revert it or bump the pin to {ver}?",
        f"The webhook test sends to https://api.example.com/hooks and the user dev@example.com, "
        f"server 192.0.2.{rng.randrange(1, 254)}, fine?",
        f"Use the Stripe test card {rng.choice(TEST_CARDS)} with any future date to try checkout.",
        "In the template, put {{ name }} where John Doe is in the example letter.",
        f"Order {order} shipped, tracking 1Z{pick(rng, '0123456789ABCDEF', 16)}. Can you write the status email?",
        f"Our support line in the docs is (206) 555-01{rng.randrange(10, 99)}; is that format fine?",
        f"docker run -p 8080:80 -e LOG_LEVEL=debug acme/{cls.lower()}:{ver}",
        f"What's the difference between {cls} and asyncio? Which one should I use for {rng.randrange(100)} workers?",
        "config.yaml:\nserver:\n  host: 0.0.0.0\n  port: 8080\nlogging:\n  level: INFO\n  format: json",
        "password = os.environ['DB_PASSWORD']\napi_key: YOUR_API_KEY_HERE\ntoken: ${GITHUB_TOKEN}",
        "Explain this regex: ^[A-Z]{2}\\d{4}$ and give three examples.",
    ]
    choices_b = [
        f"hey, {cls} keeps timing out in staging since v{ver}, logs say connection reset",
        f"  at com.acme.{cls.replace(' ', '').lower()}.Handler.process(Handler.java:{rng.randrange(20, 900)})\n"
        f"  at java.base/java.lang.Thread.run(Thread.java:833)\ncaused by what?",
        f"const client = new {cls.replace(' ', '')}Client({{ baseUrl: 'https://example.org/api', retries: 3 }});",
        f"SELECT id, status FROM orders WHERE id = '{uuid}' AND created_at > now() - interval '1 day';",
        f"Release notes for {ver}: fixed the memory leak in {cls}, bumped Jackson, build {rng.randrange(1000, 9999)}.",
        f"ping 198.51.100.{rng.randrange(1, 254)} works but curl to the service gives 502",
        "Generate ten fake users like Jane Doe <jane.doe@example.com> for the seed script.",
        f"The base64 blob is {pick(rng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 64)}= - how do I decode it?",
        f"Can {cls} stream a 2 GB CSV without loading it? Python 3.{rng.randrange(8, 13)} on Ubuntu 22.04.",
        f"sha256sum says {pick(rng, '0123456789abcdef', 64)}, does that match the release?",
        f"pip install {cls.lower().replace(' ', '-')}=={ver} fails with 'No matching distribution'",
        f"For the demo use card 4242 4242 4242 4242 and phone 555-01{rng.randrange(10, 99)}.",
    ]
    return Doc().add(rng.choice(choices_a if style == "A" else choices_b))


def build(name: str, seed: int, style: str, pools: tuple, cities: list[str], hospitals: list[str],
          sizes: dict[str, int]) -> Corpus:
    c = Corpus(name, seed, pools, cities, hospitals)
    secret_names = [f for f in FORMATS if f not in {"twilio_api_key"} or style == "A"]
    for _ in range(sizes.get("secret", 0)):
        c.emit("secret", secret_doc(c, c.rng.choice(secret_names), style))
    for _ in range(sizes.get("chat", 0)):
        c.emit("chat", chat_pii(c, style))
    for i in range(sizes.get("clinical", 0)):
        c.emit("clinical", clinical(c, style, caps=i % 3 == 0))
    for _ in range(sizes.get("email", 0)):
        c.emit("email", email_msg(c, style))
    for _ in range(sizes.get("csv", 0)):
        c.emit("csv", csv_msg(c))
    for _ in range(sizes.get("technical", 0)):
        mixed = name == "technical" and c.rng.random() < 0.3  # the technical corpus draws on both
        c.emit("technical", technical(c, "B" if mixed else style))
    return c


def main() -> None:
    build("dev", 1, "A", (FIRST_A, LAST_A), CITIES_A, HOSPITALS_A,
          {"secret": 160, "chat": 120, "clinical": 90, "email": 40, "csv": 20, "technical": 120}).write(HERE / "dev.jsonl")
    build("technical", 2, "A", (FIRST_A, LAST_A), CITIES_A, HOSPITALS_A,
          {"technical": 1000}).write(HERE / "technical.jsonl")
    build("heldout", 3, "B", (FIRST_B, LAST_B), CITIES_B, HOSPITALS_B,
          {"secret": 120, "chat": 90, "clinical": 60, "email": 30, "csv": 10, "technical": 90}).write(HERE / "heldout.jsonl")


if __name__ == "__main__":
    main()
