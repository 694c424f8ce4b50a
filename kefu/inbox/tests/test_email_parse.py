"""Parsing raw mail: charsets (bodies and encoded-word headers), HTML-only mail, quoted history
in English and Chinese, attachments and inline images, automatic mail, and broken mail that
must never raise."""

from __future__ import annotations

import base64

import pytest

from kefu.inbox.adapters.email.parse import (
    clean_subject,
    decode_header,
    html_to_text,
    normalise_address,
    normalise_message_id,
    parse_email,
    trim_reply,
)
from kefu.inbox.tests.email_corpus import PDF, PNG, dsn, encoded_word, mail

LIMIT = 1_000_000


def parse(raw: bytes):
    return parse_email(raw, attachment_limit=LIMIT)


CHARSET_CASES = [
    ("utf-8", "我的充值没有到账，请帮忙查一下。", "base64"),
    ("gb2312", "我的充值没有到账，请帮忙查一下。", "base64"),
    ("gbk", "我的充值沒有到賬，请帮忙查一下。", "8bit"),  # traditional forms exist only in GBK
    ("gb18030", "充值未到账 𠀀", "quoted-printable"),
    ("big5", "我的充值沒有到賬，請幫忙查一下。", "base64"),
    ("iso-2022-jp", "入金が反映されていません。", "7bit"),
    ("windows-1251", "Мой депозит не пришёл.", "quoted-printable"),
    ("windows-1252", "Dépôt non crédité – merci “beaucoup”", "quoted-printable"),
    ("iso-8859-2", "Vklad nepřišel, děkuji.", "8bit"),
    ("iso-8859-1", "Le dépôt n'est pas arrivé.", "8bit"),
    ("koi8-r", "Депозит не пришёл", "base64"),
]


@pytest.mark.parametrize(("charset", "text", "cte"), CHARSET_CASES)
def test_body_and_subject_in_each_charset(charset, text, cte):
    parsed = parse(mail(body=text, subject=text[:12], charset=charset, cte=cte))
    assert parsed.text == text
    assert parsed.subject == text[:12].strip()
    assert "undecodable bytes replaced" not in parsed.warnings


def test_gb2312_declared_text_with_gbk_only_characters_is_read_as_gb18030():
    # Outlook labels GBK text "gb2312"; strict GB2312 would fail on 沒/賬.
    parsed = parse(
        mail(body="沒有到賬", charset="gbk").replace(b'charset="gbk"', b"charset=gb2312")
    )
    assert parsed.text == "沒有到賬"


def test_encoded_words_split_inside_a_character_and_mixed_charsets():
    data = "充值问题".encode("gb2312")
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()
    value = f"=?GB2312?B?{first}?= =?GB2312?B?{second}?= and {encoded_word('Ü', 'iso-8859-1', 'Q')}"
    assert decode_header(value) == "充值问题 and Ü"


def test_unknown_charset_and_raw_8bit_headers_never_raise():
    assert (
        decode_header("=?x-made-up?B?" + base64.b64encode("你好".encode()).decode() + "?=")
        == "你好"
    )
    assert decode_header("=?utf-8?B?!!!notbase64?=") != ""
    raw = mail(subject="充值", subject_raw=True, charset="gbk")
    assert parse(raw).subject == "充值"


def test_undecodable_bytes_are_replaced_and_flagged():
    raw = mail(body="ok").replace(b"\r\n\r\nok", b"\r\n\r\nok \xff\xfe\xfd \x81")
    parsed = parse(raw)
    assert parsed.text.startswith("ok ")
    assert "\ufffd" in parsed.text
    assert "undecodable bytes replaced" in parsed.warnings


def test_html_only_mail_becomes_safe_text():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Hello&nbsp;team,</p><p>My <b>withdrawal</b> is stuck.<br>TX: 0xabc</p>"
        '<ul><li>one</li><li>two</li></ul><a href="https://example.com/x">link</a>'
        '<div class="gmail_quote">On Sat, Dec 5, 2026 at 9:00 AM Support wrote:'
        "<blockquote>old text</blockquote></div></body></html>"
    )
    parsed = parse(mail(body="", html=html))
    assert "alert" not in parsed.text
    assert "color" not in parsed.text
    assert "<" not in parsed.text
    assert "Hello team," in parsed.text
    assert "withdrawal is stuck." in parsed.text
    assert "- one" in parsed.text
    assert "https://example.com/x" in parsed.text
    assert "old text" not in parsed.text
    assert "old text" in parsed.full_text


QUOTED = [
    (
        "Thanks, it arrived.\n\nOn Sat, Dec 5, 2026 at 9:00 AM Kefu Support <support@localhost>"
        " wrote:\n> We are checking.\n> Regards",
        "Thanks, it arrived.",
    ),
    (
        "Thanks, it arrived.\n\nOn Sat, Dec 5, 2026 at 9:00 AM Kefu Support\n<support@localhost>"
        " wrote:\n> We are checking.",
        "Thanks, it arrived.",
    ),
    (
        "Still missing.\n\n-----Original Message-----\nFrom: Support\nSent: Saturday\nTo: me",
        "Still missing.",
    ),
    (
        "Still missing.\n\n________________________________\nFrom: Kefu Support "
        "<support@localhost>\nSent: Saturday, December 5, 2026 9:00 AM\nSubject: Re: help",
        "Still missing.",
    ),
    ("Got it.\n\nFrom: Support <s@x>\nDate: Sat\nSubject: Re", "Got it."),
    (
        "收到了，谢谢。\n\n在 2026年12月5日 周六 09:00，Kefu Support <support@localhost> 写道：\n"
        "> 我们正在查",
        "收到了，谢谢。",
    ),
    (
        '还没到账。\n\n------------------ 原始邮件 ------------------\n发件人: "Support"\n'
        "发送时间: 2026年12月5日\n主题: 回复：充值",
        "还没到账。",
    ),
    ("还没到账。\n\n发件人: Support\n发送时间: 2026年12月5日\n收件人: 我", "还没到账。"),
    ("Please check.\n\n-- \nAnn Lee\nCEO, Example Ltd", "Please check."),
    ("Please check.\n\nSent from my iPhone", "Please check."),
    ("请查一下。\n\n发自我的iPhone", "请查一下。"),
    ("Answer inline.\n\n> old line\n> older line\n", "Answer inline."),
]


@pytest.mark.parametrize(("text", "expected"), QUOTED)
def test_quoted_history_and_signatures_are_trimmed(text, expected):
    assert trim_reply(text) == expected


def test_trimming_never_leaves_an_empty_message():
    assert trim_reply("> only a quote") == "> only a quote"


def test_attachments_and_inline_images_are_kept():
    parsed = parse(
        mail(
            body="see attached",
            attachments=[("statement.pdf", "application/pdf", PDF)],
            inline_image=True,
        )
    )
    assert [(a.name, a.content, a.inline) for a in parsed.attachments] == [
        ("statement.pdf", PDF, False),
        ("logo.png", PNG, True),
    ]
    assert parsed.text == "see attached"


def test_an_attachment_over_the_limit_is_marked_not_read():
    big = b"x" * 40_000
    parsed = parse_email(
        mail(attachments=[("big.bin", "application/octet-stream", big)]), attachment_limit=10_000
    )
    assert [(a.name, a.too_large, a.content) for a in parsed.attachments] == [
        ("big.bin", True, b"")
    ]


def test_encoded_attachment_name():
    name = encoded_word("对账单.pdf", "utf-8")
    raw = mail(attachments=[("X", "application/pdf", PDF)]).replace(
        b'filename="X"', b'filename="' + name.encode() + b'"'
    )
    assert parse(raw).attachments[0].name == "对账单.pdf"


AUTO = [
    ({"Auto-Submitted": "auto-replied"}, "auto-submitted"),
    ({"Precedence": "bulk"}, "precedence: bulk"),
    ({"Precedence": "auto_reply"}, "precedence: auto_reply"),
    ({"X-Autoreply": "yes"}, "X-Autoreply"),
    ({"X-Autorespond": "Out of office"}, "X-Autorespond"),
    ({"X-Auto-Response-Suppress": "All"}, "X-Auto-Response-Suppress"),
    ({"List-Id": "<news.example.com>"}, "mailing list"),
    ({"List-Unsubscribe": "<mailto:u@example.com>"}, "mailing list"),
    ({"Return-Path": "<>"}, "empty Return-Path"),
    ({"X-Kefu-Loop": "abc"}, "X-Kefu-Loop"),
]


@pytest.mark.parametrize(("headers", "reason"), AUTO)
def test_automatic_mail_is_recognised(headers, reason):
    assert reason in parse(mail(headers=headers)).auto_reason


def test_auto_submitted_no_and_normal_mail_are_not_automatic():
    assert parse(mail(headers={"Auto-Submitted": "no"})).auto_reason == ""
    assert parse(mail()).auto_reason == ""


def test_mailer_daemon_and_dsn():
    parsed = parse(dsn(original_message_id="kefu.5.abc@localhost"))
    assert parsed.auto_reason
    assert parsed.bounce_of == "kefu.5.abc@localhost"
    assert "5.1.1" in parsed.bounce_reason
    assert "Recipient address rejected" in parsed.bounce_reason
    assert "bounce" in parse(mail(sender="MAILER-DAEMON@mx.example.net")).auto_reason


MALFORMED = [
    mail(message_id=None, date=None),
    mail(sender=""),
    mail(sender="not an address"),
    b'From: a@example.com\r\nContent-Type: multipart/mixed; boundary="nope"\r\n\r\nno parts',
    b"Content-Type: multipart/mixed\r\n\r\n--x\r\nbroken",
    b"\x00\x01\x02\xff\xfe binary blob" * 50,
    b"",
    mail(body="x").replace(b'charset="utf-8"', b'charset="no-such-charset"'),
    mail(headers={"Date": "yesterday-ish"}, date=None),
    mail(message_id="<no-at-sign>"),
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_mail_never_raises(raw):
    parsed = parse(raw)
    assert isinstance(parsed.text, str)


def test_missing_headers_are_flagged():
    parsed = parse(mail(message_id=None, date=None))
    assert {"no Message-ID", "no Date"} <= set(parsed.warnings)
    assert "malformed Message-ID" in parse(mail(message_id="<no-at-sign>")).warnings
    assert "no From header" in parse(mail(sender="")).warnings


def test_broken_boundary_keeps_the_text_and_flags_it():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="nope"\r\n\r\nplease help'
    )
    parsed = parse(raw)
    assert "please help" in parsed.text
    assert any("MIME defects" in w for w in parsed.warnings)


def test_addresses_and_ids_are_normalised():
    assert normalise_address("Ann.Lee@EXAMPLE.com") == "ann.lee@example.com"
    assert normalise_address("user@bücher.example") == "user@xn--bcher-kva.example"
    assert normalise_address("no-at-sign") == ""
    assert normalise_address("a b@example.com") == ""
    assert normalise_message_id(" <ABC.123@Mail.Example.COM> ") == "abc.123@mail.example.com"
    assert normalise_message_id("<broken") == ""


def test_subject_cleaning():
    assert clean_subject("Re: RE: Fwd: [KF-000012] Deposit") == "Deposit"
    assert clean_subject("回复：答复: 充值问题 [KF-000012]") == "充值问题"


def test_html_to_text_handles_garbage():
    assert html_to_text("<p>unclosed <b>tags &amp; <<>> stuff").startswith("unclosed")


def test_a_30_mb_attachment_is_not_decoded_and_marked_too_large():
    huge = b"\x00" * (30 * 1024 * 1024)
    raw = mail(body="bank statement", attachments=[("statement.zip", "application/zip", huge)])
    parsed = parse_email(raw, attachment_limit=10 * 1024 * 1024)
    assert parsed.text == "bank statement"
    [attachment] = parsed.attachments
    assert (attachment.name, attachment.too_large, attachment.content) == (
        "statement.zip",
        True,
        b"",
    )
