"""``rapport import FORMAT DEFINITION``: surveys and responses from other survey tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database
from rapport.domain.org import SYSTEM


def import_survey(
    fmt: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT",
            help="surveyjs, google-forms, qualtrics, limesurvey or surveymonkey.",
        ),
    ],
    definition: Annotated[
        Path,
        typer.Argument(
            help="The tool's survey file (SurveyJS JSON, Qualtrics .qsf, LimeSurvey .lss/.lsa; "
            "for Google Forms and SurveyMonkey the responses export, .csv or SurveyMonkey "
            ".xlsx, which holds the questions too)."
        ),
    ],
    responses: Annotated[
        Path | None,
        typer.Option(
            help="The responses file (SurveyJS: a JSON list of results, or the CSV/.xlsx "
            "table SurveyJS Dashboard downloads)."
        ),
    ] = None,
    survey_key: Annotated[
        str | None, typer.Option(help="Key of the Rapport survey (default: from the title).")
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Unit of the responses (default: the root unit).")
    ] = None,
    audience: Annotated[str, typer.Option(help="customer or employee.")] = "customer",
    timezone: Annotated[
        str, typer.Option(help="Time zone of time stamps written without one (IANA name).")
    ] = "UTC",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    tags: Annotated[
        Path | None,
        typer.Option(
            help='JSON file of construct tags replacing the importer\'s: {"QUESTION_ID": '
            '["loyalty.recommend"], ...} (ids as in the report\'s mapping).'
        ),
    ] = None,
) -> None:
    """Import a survey (published) and its responses from another survey tool; re-importing
    the same files adds nothing."""
    from rapport.importers.formats import ReadOptions
    from rapport.services import tool_import

    with friendly_errors():
        if not definition.is_file():
            fail(f"no file {definition}")
        if responses is not None and not responses.is_file():
            fail(f"no file {responses}")
        if tags is not None and not tags.is_file():
            fail(f"no file {tags}")
        overrides = tool_import.read_tag_overrides(tags.read_bytes()) if tags else None
        options = ReadOptions(definition.stem, survey_key, audience, timezone)
        plan = tool_import.plan_files(
            SYSTEM,
            fmt,
            definition.read_bytes(),
            responses.read_bytes() if responses else None,
            options,
            overrides,
        )
        report = plan.summary()
        if not dry_run:
            settings = load_settings()
            db = open_database(settings)
            with db.unit_of_work() as uow:
                result = tool_import.import_plan(
                    uow, SYSTEM, plan, unit=unit, keep_original=settings.keep_original_comments
                )
            report["imported"] = tool_import.imported_report(result)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    _print(report, dry_run)


def _print(report: dict[str, Any], dry_run: bool) -> None:
    from rich.table import Table

    survey = report["survey"]
    console.print(
        f"{report['format']}: survey {survey['key']} ({survey['questions']} questions on "
        f"{survey['pages']} pages, languages {', '.join(survey['languages'])}), "
        f"{report['responses']} responses.",
        highlight=False,
        markup=False,
    )
    table = Table("source", "type", "tags")
    table.add_column("question", overflow="fold")
    for row in report["mapping"]:
        table.add_row(row["source"], row["type"], " ".join(row["tags"]), row["question_id"])
    console.print(table)
    for item in report["unsupported"]:
        console.print(
            f"not imported: {item['source']}: {item['feature']} — {item['what_happens']}",
            highlight=False,
            markup=False,
        )
    for warning in report["warnings"]:
        console.print(f"warning: {warning}", highlight=False, markup=False)
    done = report.get("imported")
    if dry_run or not isinstance(done, dict):
        console.print("Dry run: nothing was written.")
        return
    console.print(
        f"Imported survey {done['survey']} version {done['version']}: {done['responses']} "
        f"responses added, {done['skipped']} already there.",
        highlight=False,
        markup=False,
    )
