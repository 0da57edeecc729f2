"""Text out of an uploaded file's bytes.

Uploaded spreadsheets, documents and text files are where bulk personal data
leaks (../shared/reference/compliance-api.md). Read here: plain text and text
formats (csv, json, markdown, html, ...), the Office Open XML formats (docx,
xlsx, pptx: ZIP archives of XML, read with the standard library) and PDFs
(pypdf, the first ``MAX_PDF_PAGES`` pages). Not read (the caller counts them):
images, audio, legacy binary Office files, encrypted PDFs. Sizes are capped, for
the download, for each archive member and for the text, so a crafted file cannot
exhaust memory.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

MAX_TEXT_CHARS = 5_000_000
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 500

TEXT_SUFFIXES = frozenset({
    ".txt", ".text", ".csv", ".tsv", ".md", ".markdown", ".json", ".jsonl", ".ndjson", ".xml",
    ".html", ".htm", ".log", ".yaml", ".yml", ".ini", ".cfg", ".conf", ".toml", ".sql",
    ".py", ".js", ".ts", ".java", ".rb", ".go", ".rs", ".c", ".h", ".cpp", ".cs", ".sh",
    ".eml", ".vcf", ".ics", ".rtf", ".tex",
})
OOXML_SUFFIXES = frozenset({".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm"})


class NotExtracted(Exception):
    """The file holds no text this module can read; ``reason`` says why (no content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def suffix_of(name: str | None) -> str:
    if not name or "." not in name:
        return ""
    return "." + name.rsplit(".", 1)[-1].lower()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _xml_text(data: bytes, cell_values: bool = False) -> list[str]:
    """Text of an OOXML part: paragraphs (``p``) and rows (``row``) end a line."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise NotExtracted(f"malformed XML ({exc.code})") from None
    lines: list[str] = []
    current: list[str] = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("p", "row", "si") and current:
            lines.append("".join(current))
            current = []
        if tag == "t" and element.text:
            current.append(element.text)
        elif tag == "v" and cell_values and element.text:
            current.append(element.text + " ")
        elif tag == "tab":
            current.append("\t")
    if current:
        lines.append("".join(current))
    return [line for line in lines if line.strip()]


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MEMBER_BYTES:
        raise NotExtracted("an archive member is too large")
    with archive.open(info) as stream:
        data = stream.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise NotExtracted("an archive member is too large")
    return data


def _ooxml(data: bytes, suffix: str) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise NotExtracted("not a readable Office Open XML archive") from None
    with archive:
        names = sorted(archive.infolist(), key=lambda info: info.filename)
        if suffix.startswith(".doc"):
            parts = [i for i in names if i.filename.startswith("word/") and i.filename.endswith(
                ".xml") and any(k in i.filename for k in ("document", "header", "footer",
                                                           "footnotes", "comments"))]
        elif suffix.startswith(".xls"):
            parts = [i for i in names if i.filename == "xl/sharedStrings.xml"
                     or (i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml"))]
        else:
            parts = [i for i in names if i.filename.startswith(("ppt/slides/", "ppt/notesSlides/"))
                     and i.filename.endswith(".xml")]
        lines: list[str] = []
        for info in parts:
            # a worksheet's <v> values hold numbers (card numbers, ids); shared strings
            # are in sharedStrings.xml, a cell with t="s" holds only an index into it
            sheet = info.filename.startswith("xl/worksheets/")
            lines.extend(_sheet_text(_member(archive, info)) if sheet else
                         _xml_text(_member(archive, info)))
    return "\n".join(lines)


def _sheet_text(data: bytes) -> list[str]:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise NotExtracted(f"malformed XML ({exc.code})") from None
    lines: list[str] = []
    for row in root.iter():
        if row.tag.rsplit("}", 1)[-1] != "row":
            continue
        cells: list[str] = []
        for cell in row:
            if cell.tag.rsplit("}", 1)[-1] != "c" or cell.get("t") == "s":
                continue
            cells.extend(t for t in (e.text for e in cell.iter()
                                     if e.tag.rsplit("}", 1)[-1] in ("v", "t")) if t)
        if cells:
            lines.append("\t".join(cells))
    return lines


def extract_text(name: str | None, data: bytes, content_type: str | None = None) -> str:
    """The text of a file; :class:`NotExtracted` when its type holds none readable here."""
    suffix = suffix_of(name)
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if suffix in OOXML_SUFFIXES or (data.startswith(b"PK\x03\x04") and suffix in (
        ".docx", ".xlsx", ".pptx"
    )):
        text = _ooxml(data, suffix)
    elif suffix in TEXT_SUFFIXES or (not suffix and mime.startswith("text/")) or mime in (
        "application/json", "application/xml", "text/csv"
    ):
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise NotExtracted("binary content in a text file")
        text = _decode(data)
    elif suffix == ".pdf" or mime == "application/pdf" or data.startswith(b"%PDF-"):
        text = _pdf_text(data)
    else:
        raise NotExtracted(f"file type {suffix or mime or 'unknown'} holds no text read here")
    return text[:MAX_TEXT_CHARS]


def _pdf_text(data: bytes) -> str:
    import pypdf  # only when a PDF is read
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise NotExtracted("an encrypted PDF")
        pages: list[str] = []
        size = 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_PDF_PAGES or size >= MAX_TEXT_CHARS:
                break
            text = page.extract_text() or ""
            pages.append(text)
            size += len(text)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise NotExtracted(f"a PDF that cannot be read ({type(exc).__name__})") from None
    return "\n\n".join(pages)
