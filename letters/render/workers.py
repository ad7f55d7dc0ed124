"""Which renderer a worker process uses (full or fast, one per campaign and revision) and the batch entry point."""

from __future__ import annotations

import os
import resource
from dataclasses import replace

from letters import paths
from letters.render.pieces import BatchJob, BatchOutput, BatchRenderer, FullRenderer
from letters.usage import Clock

_RENDERERS: dict[tuple[str, str, str, str], BatchRenderer] = {}


def renderer_for(campaign: str, revision: str, kind: str) -> BatchRenderer:
    """One renderer per process, project, campaign and revision: stylesheets and fonts load once."""
    key = (str(paths.home()), campaign, revision, kind)
    if key not in _RENDERERS:
        if kind == "full":
            _RENDERERS[key] = FullRenderer(campaign, revision)
        elif kind == "fast":
            from letters.render.fast import FastRenderer

            _RENDERERS[key] = FastRenderer(campaign, revision)
        else:
            raise ValueError(f"unknown renderer {kind!r}")
    return _RENDERERS[key]


def existing(campaign: str, revision: str, kind: str) -> BatchRenderer | None:
    """This process's renderer for the campaign and revision, if it made one (none is made)."""
    return _RENDERERS.get((str(paths.home()), campaign, revision, kind))


def render_batch(job: BatchJob, kind: str = "full") -> BatchOutput:
    """Worker entry point: render ``job`` with the ``kind`` renderer."""
    # Workers outlive the environment they started in (a fork server): take the job's project.
    os.environ["LETTERS_HOME"] = job.home
    clock = Clock()
    renderer = renderer_for(job.campaign, job.revision.isoformat(), kind)
    clock.lap("setup")  # the first batch of a process loads the campaign, stylesheets and fonts
    out = renderer.render_batch(job)
    timings = {**out.timings, **clock.laps}
    return replace(out, peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, timings=timings)
