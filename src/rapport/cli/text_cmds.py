"""``rapport text train | rescore | classify | themes``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rapport.cli._common import console, friendly_errors, load_settings, open_database, progress_bar

if TYPE_CHECKING:
    from rich.table import Table

    from rapport.text import EmotionPrediction

text_app = typer.Typer(
    help="Emotions in comments: train, re-score, classify.", no_args_is_help=True
)


@text_app.command("rescore")
def rescore() -> None:
    """Re-read every comment that the current emotion model has not analysed yet."""
    from rapport.services import comments

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow, progress_bar("Re-scoring comments", 0) as advance:
            done = comments.rescore(uow, advance)
    console.print(f"Re-scored {done} comments.")


@text_app.command("themes")
def themes(
    survey: Annotated[
        list[str] | None, typer.Option(help="Survey key (repeatable); default: every survey.")
    ] = None,
) -> None:
    """Find comment themes again where comments changed (run it from cron: pages show the
    latest themes found and otherwise find them in the background)."""
    from rapport.services import comment_explorer, metrics

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        ids = None
        if survey:
            with db.unit_of_work(readonly=True) as uow:
                known = {s.key: s.id for s in uow.surveys.all()}
            unknown = [k for k in survey if k not in known]
            if unknown:
                raise typer.BadParameter(f"no survey {', '.join(unknown)}", param_hint="--survey")
            ids = [known[k] for k in survey]
        found = comment_explorer.refresh_themes(db, metrics.policy_from_settings(settings), ids)
        with db.unit_of_work(readonly=True) as uow:
            keys = {s.id: s.key for s in uow.surveys.all()}
        db.dispose()
    for survey_id, shown in found.items():
        if shown is None or not shown.rows:
            console.print(f"{keys[survey_id]}: too few comments for themes")
        else:
            at = f"{shown.computed_at:%Y-%m-%d %H:%M} UTC" if shown.computed_at else "now"
            console.print(
                f"{keys[survey_id]}: {len(shown.rows)} themes in {shown.comments} "
                f"comments, found {at}"
            )


@text_app.command("classify")
def classify(
    texts: Annotated[list[str], typer.Argument(help="Comments to classify.")],
    top: Annotated[int, typer.Option(min=1, max=28, help="How many labels to show.")] = 3,
) -> None:
    """Print the emotions the default model reads in each text, as a table."""
    from rapport.text import load_model

    with friendly_errors():
        model = load_model()
        predictions = model.predict(texts)
    caption = f"✓ the label's threshold was reached · model {model.name} {model.version}"
    console.print(prediction_table(texts, predictions, top, caption))


def prediction_table(
    texts: Sequence[str], predictions: Sequence[EmotionPrediction], top: int, caption: str
) -> Table:
    """One row per text: its top labels with scores (✓ where the label's threshold was
    reached), the sentiment and the Ekman emotions the model settled on."""
    from rich.table import Table

    table = Table(title="Emotions read in each comment", caption=caption, show_lines=True)
    table.add_column("comment", overflow="fold", ratio=3)
    table.add_column(f"top {top} labels (score)", no_wrap=True)
    table.add_column("sentiment", no_wrap=True)
    table.add_column("Ekman", no_wrap=True)
    for text, p in zip(texts, predictions, strict=True):
        if not p.ok:
            reason = p.status.value.replace("_", " ")
            table.add_row(text, f"[dim]not read: {reason}[/]", "", "")
            continue
        labels = "\n".join(
            f"{'✓' if label in p.labels else ' '} {label} {score:.2f}"
            for label, score in p.top(top)
        )
        primary = p.primary_sentiment
        sentiment = (
            "–" if primary is None else f"{primary} {p.sentiment_scores.get(primary, 0):.2f}"
        )
        ekman = "\n".join(
            f"{e} {p.ekman_scores.get(e, 0):.2f}"
            for e in sorted(p.ekman, key=lambda e: -p.ekman_scores.get(e, 0))
        )
        table.add_row(text, labels, sentiment, ekman or "–")
    return table


@text_app.command("train")
def train(
    data_dir: Annotated[Path, typer.Option(help="Folder with GoEmotions train/dev TSVs.")] = Path(
        "data/goemotions"
    ),
    out: Annotated[Path | None, typer.Option(help="Where to write the artifact.")] = None,
    survey_dir: Annotated[
        Path, typer.Option(help="Folder with the in-domain survey sentences (train.tsv).")
    ] = Path("data/survey_comments"),
) -> None:
    """Train the default emotion model from GoEmotions and the survey sentences (run by hand;
    see docs)."""
    from rapport.text import training

    with friendly_errors():
        report = training.train(data_dir, out, survey_dir=survey_dir)
    console.print(f"Wrote {report.artifact}")
