"""Each validator with positives, negatives and near misses."""

import pytest

from chatdlp.policy.validators import VALIDATORS, shannon_entropy

TABLE = {
    "phone_digits": (["450 0840", "+1 206 342 8871", "51 516 33 75"], ["12345", "000 0000", "1234567890123456"]),
    "card_network": (["4539 1488 0343 6467", "2221000000000009", "6759649826438453", "3530111333300000",
                      "6200000000000005", "30569309025904", "378282246310005"],
                     ["1234567890123456", "7000000000000000", "41111111111111", "37828224631000"]),
    "luhn": (["4539 1488 0343 6467", "5200821093482772"], ["4539 1488 0343 6468", "1"]),
    "iban": (["DE44 5001 0517 5407 3249 31", "FR1420041010050500013M02606"],
             ["DE45 5001 0517 5407 3249 31", "DE44"]),
    "us_ssn": (["536-22-8714"], ["000-12-3456", "666-12-3456", "900-12-3456", "536-00-8714",
                                 "536-22-0000", "123-45-6789", "111-11-1111"]),
    "npi": (["1234567893"], ["1234567890", "123456789"]),
    "dea": (["BB1388568", "AB1234563"], ["BB1388569", "B1388568"]),
    "aba": (["011000015", "0110-0001-5"], ["011000016", "01100001"]),
    "nl_bsn": (["111222333"], ["111222334", "000000000"]),
    "fr_nir": (["2 85 06 75 123 456 39"], ["2 85 06 75 123 456 38", "3 85 06 75 123 456 39"]),
    "high_entropy": (["q8Zr2Lp0Xk7Vn4Tm9Bw3Hy6Jd1Fs5Gc8", "3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e"],
                     ["aaaaaaaaaaaaaaaaaaaaaaaa", "YOUR_API_KEY_GOES_HERE", "short1A"]),
    "not_repeated": (["00482913", "AKIAZYATW67TOOUETUI3"], ["AKIAXXXXXXXXXXXXXXXX", "0000000", "********"]),
    "password_value": (["Prl23Db#@", "exord13Paw64", "n84ASM54y4", "d37Yt1Jnv0-z"],
                       ["securepassword", "mydatabaseuser", "password123", "P@ssw0rd", "changeme", "${DB_PASS}",
                        "os.environ['PW']", "DB_PASSWORD", "********", "hunter2", "admin2024!", "abc123456"]),
    "token_value": (["zh3806p4zrwquz0el", "Ce7shE0ENPiBlE_EdEose0cBAA", "0602041496537198"],
                    ["bert-base-uncased", "getPagesInConfluenceSpace", "3f2c1a9e-5b7d-4c8e-a1f0-9d2b6e4c8a7f",
                     "YOUR_API_KEY_HERE", "process.env.API_KEY", "xxxxxxxxxxxxxxxx", "abcdefghijklmnop12"]),
    "userinfo_value": (["deploy:Xq7vL2mR9k", "root:dkb82VddSD"], ["username:password", "$USER:$PASS", "nopassword"]),
    "basic_auth_value": (["ZGVwbG95OnE3V3pMMnhSOWs="], ["dXNlcjpwYXNzd29yZA==", "not base64!", "aGVsbG8="]),
    "not_placeholder": (["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", "7rBynGo0b1cAAAAAAAAAAc72L3T6rQK51mB5a06ij"],
                        ["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AKIAIOSFODNN7EXAMPLE", "sk_abcdefghijklmnop",
                         "GR134894112312312312312312312"]),
    "userinfo_or_token": (["deploy:Xq7vL2mR9k", ":Xq7vL2mR9k"], ["admin:", ":", "username:password"]),
    "base64_private_key": (["LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3c="], ["LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUVvdw==", "@@@"]),
    "atlassian_pat": (["NDE3MjA1ODgzNTU5OgcICQoLDA0ODxAREhMUFRYXGBka"], ["MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3", "OTI2"]),
    "encoded_secret_data": (["VHE4cld6TG00dk5wOWI="], ["YmFyCg==", "mysecret"]),
    "byte_array_value": (["201, 9, 100, 114, 245, 164, 134, 217"], ["0, 1, 2, 3, 4, 5, 6, 7", "1, 2, 3"]),
    "sentry_org_token": (["sntrys_eyJpYXQiOjE3NjQ3MjAwMDAuMjUsIm9yZyI6ImNvbnRvc28ifQ_aEhWzjRci8hIoTWijVcQdioIUCHAnLfhbX84zvmnvzx"], ["sntrys_eyJpYXQiOjE3NjQ3MjAwMDAuMjUsIm9yZyI6ImNvbnRvc28ifQ_short", "sntrys_eyJ"]),
    "bedrock_short_lived": (["bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbg=="], ["bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY294", "bedrock-api-key-"]),
}


def test_every_validator_has_a_table() -> None:
    assert set(TABLE) == set(VALIDATORS)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_validator_table(name: str) -> None:
    good, bad = TABLE[name]
    check = VALIDATORS[name].check
    for value in good:
        assert check(value), (name, value)
    for value in bad:
        assert not check(value), (name, value)


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
