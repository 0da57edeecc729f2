"""``chatdlp edm``: build and describe indexes of the organisation's records (exact data match)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from chatdlp.errors import ConfigError


@click.group()
def edm() -> None:
    """Exact data match: find the organisation's own records (students, patients,
    customers, employees) in chats, from an index of keyed hashes."""


def _kinds(values: tuple[str, ...]) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for value in values:
        column, separator, kind = value.partition("=")
        if not separator or not column or not kind:
            raise ConfigError(f"--kind {value!r}: expected COLUMN=KIND (e.g. student_no=id)")
        kinds[column] = kind
    return kinds


def _columns(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


@edm.command("build")
@click.argument("records", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--name", required=True, help="The index's name: findings say edm.NAME.")
@click.option("--columns", metavar="LIST", default=None, help="Columns to index (default: all).")
@click.option("--key-columns", metavar="LIST", default=None,
              help="Columns that identify a person alone (default: ids, e-mails and phones).")
@click.option("--kind", "kinds", multiple=True, metavar="COLUMN=KIND",
              help="A column's kind when its name does not say: id, email, phone, date, name, text.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The index file to write (mode 0600).")
def edm_build(
    records: Path, name: str, columns: str | None, key_columns: str | None, kinds: tuple[str, ...],
    out: Path,
) -> None:
    """Index RECORDS.csv (a header row, then one record per row): only keyed hashes of
    normalised values are written, never a value.

    The key is CHATDLP_EDM_KEY when set, else the installation's fingerprint key;
    `scan --edm` must use the same one.

    \b
    Examples:
      chatdlp edm build students.csv --name students --out students.edm
      chatdlp edm build patients.csv --name patients --columns mrn,name,dob --kind mrn=id --out p.edm
    """
    from chatdlp.detect.edm import EdmIndex
    from chatdlp.pipeline.conversation import edm_secret

    secret = edm_secret()
    started = time.perf_counter()
    index = EdmIndex.build_csv(records, name, secret, _columns(columns), _columns(key_columns), _kinds(kinds))
    try:
        index.save(out, secret)
    except OSError as exc:
        raise ConfigError(f"cannot write the EDM index {out}: {exc.strerror}") from None
    described = ", ".join(f"{c.name} ({c.kind}{', identifying' if c.key else ''})" for c in index.columns)
    click.echo(
        f"chatdlp edm: {len(index):,} records of {records.name} -> {out} "
        f"({out.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s); columns: {described}",
        err=True,
    )


@edm.command("info")
@click.argument("index", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def edm_info(index: Path) -> None:
    """What an index holds: its name, record count and columns (no values: it has none)."""
    from chatdlp.detect.edm import read_header

    header = read_header(index)
    click.echo(f"name: {header['name']}\nrecords: {header['records']:,}\nversion: {header['version']}")
    for column in header["columns"]:
        key = ", identifying alone" if column["key"] else ""
        click.echo(f"column: {column['name']} ({column['kind']}{key})")
