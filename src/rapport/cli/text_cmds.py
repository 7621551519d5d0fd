"""``rapport text train | rescore | classify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rapport.cli._common import console, friendly_errors, load_settings, open_database, progress_bar

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


@text_app.command("classify")
def classify(texts: Annotated[list[str], typer.Argument(help="Comments to classify.")]) -> None:
    """Print the emotions the default model reads in each text."""
    from rapport.text import load_model

    with friendly_errors():
        model = load_model()
        for text, p in zip(texts, model.predict(texts), strict=True):
            console.print(f"[bold]{text}[/]\n  {p}", highlight=False)


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
