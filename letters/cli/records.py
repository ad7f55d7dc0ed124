"""Records: check, lookup, sample-data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from letters.cli.app import cli
from letters.cli.options import (
    CAMPAIGN,
    VEHICLES_OPTION,
    as_of_option,
    files_options,
    json_option,
)
from letters.errors import InputError


@cli.command()
@click.argument("campaign", type=CAMPAIGN)
@files_options
@as_of_option
@json_option
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every record that is not mailed, with its reason, to this CSV.",
)
def check(campaign: str, vehicles: Path | None, owners: Path | None, as_of: date | None, revision: str | None,
          as_json: bool, rejects: Path | None) -> None:  # fmt: skip
    """Reconcile vehicle and owner records: every record read ends in exactly one outcome."""
    from letters.report import check_records

    report = check_records(campaign, vehicles, owners, as_of, rejects, revision)
    data = report.as_json()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for warning in data["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{data['campaign']} as of {data['as_of']}: {data['records_read']:,} records read")
    for name, count in data["outcomes"].items():
        if count:
            click.echo(f"  {name:<24}{count:>10,}")
    click.echo(f"  {'total':<24}{sum(data['outcomes'].values()):>10,}")
    click.echo("phase  covered  mailable  pending  campaign approx.")
    for p in data["phases"]:
        approx = f"~{p['campaign_approx']:,}" if p["campaign_approx"] else "TBD"
        click.echo(f"{p['phase']:>5}{p['covered']:>9,}{p['mailable']:>10,}{p['pending']:>9,}  {approx}")
    for reason, count in data["not_covered_reasons"].items():
        click.echo(f"not covered ({count:,}): {reason}")
    for name, v in data["vehicle_values"].items():
        span = f"{v['min']} to {v['max']}" if v["min"] != v["max"] else f"{v['min']}"
        click.echo(f"{v['title']} ({name}, {v['source']} {v['type']}): {span} over {v['letters_with_value']:,} letters")
    if rejects:
        click.echo(f"wrote {rejects}")


@cli.command()
@click.argument("campaign", type=CAMPAIGN)
@click.argument("vins", nargs=-1, required=True)
@VEHICLES_OPTION
@as_of_option
@json_option
def lookup(campaign: str, vins: tuple[str, ...], vehicles: Path | None, as_of: date | None, revision: str | None,
           as_json: bool) -> None:  # fmt: skip
    """Show what a dealer's VIN lookup shows: coverage, phase, remedy timing, mailing month."""
    from letters.report import lookup_vins

    results = lookup_vins(campaign, list(vins), vehicles, as_of, revision)
    if as_json:
        click.echo(json.dumps([r.as_json() for r in results], indent=2))
    else:
        if results and results[0].as_of:
            click.echo(f"{campaign} as of {results[0].as_of.isoformat()}:")
        for r in results:
            if r.valid:
                click.echo(r.describe())
    bad = [r for r in results if not r.valid]
    if len(bad) == 1:
        raise InputError(bad[0].reason)
    if bad:
        raise InputError(
            f"{len(bad)} of {len(results)} given are not valid VINs:\n" + "\n".join(f"  - {r.reason}" for r in bad)
        )


@cli.command("sample-data")
@click.argument("campaign", type=CAMPAIGN)
@click.option(
    "--vehicles", "count", type=click.IntRange(1), default=3000, show_default=True, help="Vehicle records to make."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; the same seed gives the same files.")
@click.option("--with-errors", is_flag=True, help="Mix in a known share of every kind of bad record.")
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Folder to write (default: output/sample)."
)
@click.option(
    "--make-vin-list",
    is_flag=True,
    help="VIN-list campaigns: first write the covered-VIN list (from the descriptors) where there is none.",
)
@json_option
def sample_data(campaign: str, count: int, seed: int, with_errors: bool, output: Path | None, make_vin_list: bool,
                as_json: bool) -> None:  # fmt: skip
    """Write realistic synthetic vehicle and owner CSVs for CAMPAIGN."""
    from letters.sample import generate_files

    files = generate_files(campaign, output, count, seed, with_errors, make_vin_list)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "vehicles": str(files.vehicles),
                    "owners": str(files.owners),
                    "vehicle_rows": files.vehicle_rows,
                    "owner_rows": files.owner_rows,
                    "defects": files.defects,
                    "vin_list": str(files.vin_list) if files.vin_list else None,
                },
                indent=2,
            )
        )
        return
    if files.vin_list:
        click.echo(f"wrote the covered-VIN list {files.vin_list}")
    click.echo(f"wrote {files.vehicles} ({files.vehicle_rows:,} rows) and {files.owners} ({files.owner_rows:,} rows)")
    for kind, n in files.defects.items():
        click.echo(f"  defect {kind}: {n}")
