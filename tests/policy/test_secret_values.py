"""Placeholder, template and dictionary-word checks behind the secret validators."""

import pytest

from chatdlp.policy.secret_values import (
    has_sequence,
    identifier_words,
    is_placeholder,
    made_of_words,
    password_value,
    token_value,
)

TEMPLATES = [
    "${{ secrets.TOKEN }}", "${{secrets.DB_PASSWORD}}", "{{ .Values.password }}", "${DB_PASSWORD}", "$DB_PASSWORD",
    "%DB_PASSWORD%", "<your-token>", "os.environ['TOKEN']", "os.getenv(\"TOKEN\")", "process.env.API_KEY",
    "config.password", "settings.SECRET_KEY", "get_secret()", "ENV['TOKEN']", "DB_PASSWORD", "***", "xxxxxx",
    "...", "null", "None", "#{password}", "%(password)s",
]


@pytest.mark.parametrize("value", TEMPLATES)
def test_templates_and_references_are_placeholders(value: str) -> None:
    assert is_placeholder(value)
    assert not password_value(value) and not token_value(value)


@pytest.mark.parametrize("value", ["Prl23Db#@", "q4c1a2oPd", "zh3806p4zrwquz0el", "Ve7ks9Q2mXwL4pRt8nZb"])
def test_real_looking_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)
    assert password_value(value)


@pytest.mark.parametrize("value", ["securepassword", "mydatabaseuser", "password123", "P@ssw0rd!", "SuperSecret1",
                                   "letmein", "adminpass2024", "MyDatabaseUser"])
def test_tutorial_values_are_made_of_words(value: str) -> None:
    assert made_of_words(value)
    assert not password_value(value)


@pytest.mark.parametrize("value", ["FlUgeGeHeImEn03", "exord13Paw64", "Kx9mQ2vLp7"])
def test_near_misses_of_words_are_passwords(value: str) -> None:
    assert not made_of_words(value)
    assert password_value(value)


def test_sequences_and_identifiers() -> None:
    assert has_sequence("lin_api_abcdefgiRuRk") and has_sequence("x123456y") and has_sequence("QWERTYuiop")
    assert not has_sequence("Zq7ruLm2vXe")
    assert identifier_words("bert-base-uncased") and identifier_words("utf8Encoder")
    assert not identifier_words("jpyzm51om1obpnpk0ox92olsn3vo87fa")


def test_identifier_check_is_linear() -> None:
    # A long lower-case run once made a backtracking regex take minutes.
    import time

    started = time.perf_counter()
    for _ in range(50):
        token_value("a" * 40 + "b" * 40 + "1")
        identifier_words("ab" * 300 + "!")
    assert time.perf_counter() - started < 1.0


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def test_base64_private_key_needs_a_private_pem_inside() -> None:
    from chatdlp.policy.secret_values import base64_private_key

    body = b"MHcCAQEEIOaVjT7zW6poSkxt8F3RuqKLy2NeQM7wBh5zZdcAZCqpoAoGCCqGSM49\n"
    assert base64_private_key(_b64(b"config: |\n  -----BEGIN EC PRIVATE KEY-----\n  " + body))
    assert not base64_private_key(_b64(b"-----BEGIN CERTIFICATE-----\n" + body))  # public
    assert not base64_private_key(_b64(b"-----BEGIN PUBLIC KEY-----\n" + body))  # near miss
    assert not base64_private_key("not base64 at all!")


def test_atlassian_pat_is_an_id_colon_and_random_bytes() -> None:
    from chatdlp.policy.secret_values import atlassian_pat

    random_bytes = bytes(range(7, 27))
    assert atlassian_pat(_b64(b"417205883559:" + random_bytes))
    assert not atlassian_pat(_b64(b"0123456789abcdefghijklmnopqrstuvw"))  # no id and colon
    assert not atlassian_pat(_b64(b"41720:" + random_bytes + b"1234567"))  # id too short
    assert not atlassian_pat(_b64(b"417205883559:" + random_bytes[:8]))  # too little after it


def test_encoded_secret_data() -> None:
    from chatdlp.policy.secret_values import encoded_secret_data

    assert encoded_secret_data(_b64(b"Tq8rWzLm4vNp9b"))
    assert encoded_secret_data(_b64(bytes(range(40, 72))))  # a binary key
    assert not encoded_secret_data(_b64(b"bar\n"))  # too short
    assert not encoded_secret_data(_b64(b"{{ .Values.password }}"))
    assert not encoded_secret_data(_b64(bytes(16)))  # zeros, not a key
    assert not encoded_secret_data("mysecret")  # a plain word decodes to noise


def test_byte_array_value() -> None:
    from chatdlp.policy.secret_values import byte_array_value

    assert byte_array_value("0x35, 0x34, 0x65, 0x9b, 0x1c, 0x2e, 023, 010, 041")
    assert byte_array_value("201, 9, 100, 114, 245, 164, 134, 217")
    assert not byte_array_value("0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07")  # counting
    assert not byte_array_value("0, 0, 0, 0, 0, 0, 0, 0, 0")
    assert not byte_array_value("2, 3, 5, 7, 11, 13, 17")  # seven: too few


def test_userinfo_or_token() -> None:
    from chatdlp.policy.secret_values import userinfo_or_token

    assert userinfo_or_token("deploy:Xq7vL2mR9k")
    assert userinfo_or_token(":Xq7vL2mR9k") and userinfo_or_token("Xq7vL2mR9kTz4W:")
    assert not userinfo_or_token("admin:") and not userinfo_or_token(":") and not userinfo_or_token(":password")
    assert not userinfo_or_token("username:password")


def test_sentry_org_token_claims_and_secret_length() -> None:
    from chatdlp.policy.secret_values import sentry_org_token

    claims = _b64(b'{"iat":1764720000.25,"url":"https://sentry.io","org":"contoso"}').rstrip("=")
    secret = "aEhWzjRci8hIoTWijVcQdioIUCHAnLfhbX84zvmnvzx"
    assert sentry_org_token(f"sntrys_{claims}_{secret}")
    assert not sentry_org_token(f"sntrys_{claims}_{secret[:-1]}")  # one short
    assert not sentry_org_token("sntrys_" + _b64(b'{"url":"https://sentry.io","org":"x"}') + "_" + secret)
    assert sentry_org_token("sntryu_" + "3f" * 32)


def test_bedrock_short_lived() -> None:
    from chatdlp.policy.secret_values import bedrock_short_lived

    assert bedrock_short_lived("bedrock-api-key-" + _b64(b"bedrock.amazonaws.com/?Action=CallWithBearerToken"))
    assert bedrock_short_lived("bedrock-api-key-" + _b64(bytes(range(100, 130))))  # opaque bytes
    assert not bedrock_short_lived("bedrock-api-key-" + _b64(b"bedrock.amazonaws.cox"))  # a look-alike
    assert not bedrock_short_lived("bedrock-api-key-")


def test_versioned_artifacts_are_not_tokens() -> None:
    assert not token_value("fast-jwt-core-3.12.0") and not token_value("jjwt-api-v0.11.5")
    assert token_value("Vz4Wp8TnB3sRk29XqLm7")


def test_a_real_dictionary_quiets_long_plain_word_values() -> None:
    from chatdlp.policy import secret_values
    from chatdlp.policy.secret_values import use_dictionary

    before = secret_values._dictionary  # a Detector built earlier in the session hands one in
    try:
        use_dictionary([])
        assert not made_of_words("peace_for_ukraine")  # words missing from the small list
        use_dictionary(["peace", "ukraine", "cackle", "hopkins", "clear", "text"])
        assert made_of_words("peace_for_ukraine") and not password_value("peace_for_ukraine")
        assert made_of_words("ClearTextPassword")
        assert not made_of_words("cackle!")  # one word: what real passwords are made of too
        assert not made_of_words("h0pk1ns~21s")  # leetspeak counts only the small list
        assert not made_of_words("peacezqukraine")  # near miss: a non-word inside
        use_dictionary([])
        assert not made_of_words("peace_for_ukraine")
    finally:
        use_dictionary(before)
