"""The stages, in the order a run goes through them: the one list the pipeline, the command
line, the report and the state records read."""
from __future__ import annotations

from jobs import clip, curate, dedup, export, extract, images, ingest, mmc4, report
from jobs.config import ConfigError
from jobs.stage import Stage

STAGES: tuple[Stage, ...] = tuple(m.STAGE for m in (ingest, extract, dedup, images, clip, mmc4, curate, export,
                                                     report))
NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)
BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}


def parse_stages(text: str) -> list[Stage]:
    """The stages a ``--stages`` comma list names, in run order."""
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in BY_NAME]
    if unknown:
        raise ConfigError(f"unknown stage {unknown[0]!r}; stages are {', '.join(NAMES)}")
    if not chosen:
        raise ConfigError("--stages names no stage")
    return [s for s in STAGES if s.name in chosen]
