"""extract_text on files built here: plain text, csv, and Office Open XML archives."""

from __future__ import annotations

import io
import zipfile

import pytest

from chatdlp.sources.file_text import NotExtracted, extract_text
from tests.sources.builders import minimal_pdf

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'


def ooxml(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_text_and_csv_are_read_as_they_are() -> None:
    assert extract_text("notes.txt", b"Dana Whitfield\n") == "Dana Whitfield\n"
    assert extract_text("staff.csv", b"\xef\xbb\xbfname,email\nDana,d@contoso.com\n") == (
        "name,email\nDana,d@contoso.com\n")
    assert extract_text("u16.txt", "héllo".encode("utf-16")) == "héllo"
    assert extract_text(None, b"{}", "application/json") == "{}"


def test_a_docx_yields_its_paragraphs() -> None:
    document = (f'<w:document {W}><w:body><w:p><w:r><w:t>Patient: Dana</w:t></w:r>'
                '<w:r><w:t xml:space="preserve"> Whitfield</w:t></w:r></w:p>'
                '<w:p><w:r><w:t>MRN 123-45-678</w:t></w:r></w:p></w:body></w:document>')
    data = ooxml({"word/document.xml": document, "word/styles.xml": f"<w:styles {W}/>"})
    assert extract_text("letter.docx", data) == "Patient: Dana Whitfield\nMRN 123-45-678"


def test_an_xlsx_yields_shared_strings_and_cell_values() -> None:
    shared = f'<sst {S}><si><t>card</t></si><si><t>owner</t></si></sst>'
    sheet = (f'<worksheet {S}><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2"><v>4111111111111111</v></c>'
             '<c r="B2" t="inlineStr"><is><t>Dana</t></is></c></row></sheetData></worksheet>')
    data = ooxml({"xl/sharedStrings.xml": shared, "xl/worksheets/sheet1.xml": sheet})
    text = extract_text("cards.xlsx", data)
    assert text.splitlines() == ["card", "owner", "4111111111111111\tDana"]


def test_a_pptx_yields_its_slides() -> None:
    slide = f'<p:sld xmlns:p="urn:p" {A}><a:p><a:r><a:t>Q3 layoffs: Dana</a:t></a:r></a:p></p:sld>'
    assert extract_text("deck.pptx", ooxml({"ppt/slides/slide1.xml": slide})) == (
        "Q3 layoffs: Dana")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("scan.pdf", b"%PDF-1.7 ...", "a PDF that cannot be read (PdfStreamError)"),
        ("photo.png", b"\x89PNG\r\n", "file type .png holds no text read here"),
        ("fake.txt", b"ab\x00\x00cd", "binary content in a text file"),
        ("broken.docx", b"PK\x03\x04 not really", "not a readable Office Open XML archive"),
    ],
)
def test_what_is_not_read_says_why(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(NotExtracted) as caught:
        extract_text(name, data)
    assert caught.value.reason == reason


def test_a_pdf_yields_the_text_of_its_pages() -> None:
    data = minimal_pdf(["Patient Dana Whitfield", "SSN 536-22-8194"])
    assert extract_text("scan.pdf", data) == "Patient Dana Whitfield\nSSN 536-22-8194"
    # sniffed from the content when the name says nothing
    assert extract_text("upload", data, "application/octet-stream").startswith("Patient")
