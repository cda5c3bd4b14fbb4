"""Rendering and checking the plan's messages, in this process or in worker processes.

Each message is filled and checked exactly as ``channels.services.template_render`` does it:
the template's syntax for its audience, the placeholders filled, and the whole text (subject
and body) through the content checker for the template's audience and language. A refusal
gives the rules that found something. The content checker takes a fraction of a millisecond a
text, which is seconds for the tens of thousands of messages of a large book's day, so a big
plan gives the texts to worker processes, started at the beginning of the plan (they load the
rules while the plan reads the database) and rendering while the plan gates and queues.

The workers are plain ``python -m autocollect.strategy.rendering`` processes reading one JSON
line of jobs and answering one JSON line of results: no multiprocessing machinery (which would
re-import the caller's main script, and which a daemonic worker may not use), no Django, no
database. Any failure falls back to rendering here.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from autocollect.channels.templating import check_template_text, lint_language, substitute
from autocollect.compliance.content import lint_text

logger = logging.getLogger(__name__)

# Below this many texts a worker's round trip costs more than it saves.
MIN_JOBS = 1_000


@dataclass(frozen=True, slots=True)
class RenderJob:
    subject: str
    body: str
    values: Mapping[str, str]
    audience: str
    language: str


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    # Content rules that found something (the text must not be sent), or () when clean.
    refused: tuple[str, ...] = ()
    # The template's own text was not usable (unknown variable, stray syntax).
    broken: bool = False


def render_one(job: RenderJob) -> Rendered:
    """``channels.services.template_render`` for one message, as a value instead of raising."""
    try:
        check_template_text(job.subject, field="subject", audience=job.audience)
        check_template_text(job.body, field="body", audience=job.audience)
        subject = substitute(job.subject, job.values, field="subject")
        body = substitute(job.body, job.values, field="body")
    except Exception:  # TemplateTextError and anything a broken template raises
        return Rendered("", "", broken=True)
    text = f"{subject}\n{body}" if subject else body
    result = lint_text(text, audience=job.audience, lang=lint_language(job.language))
    return Rendered(subject, body, tuple(sorted({f.rule for f in result.findings})))


def render_chunk(jobs: Sequence[RenderJob]) -> list[Rendered]:
    return [render_one(job) for job in jobs]


def _warm_up() -> None:
    for lang in ("zh", "en"):
        lint_text("预热 warm up", audience="borrower", lang=lang)


def _encode_jobs(jobs: Sequence[RenderJob]) -> bytes:
    rows = [[j.subject, j.body, dict(j.values), j.audience, j.language] for j in jobs]
    return json.dumps(rows, ensure_ascii=False).encode("utf-8") + b"\n"


def _decode_results(line: bytes) -> list[Rendered]:
    return [Rendered(s, b, tuple(r), bool(x)) for s, b, r, x in json.loads(line)]


def serve() -> None:
    """The worker: warm up, then answer each line of jobs with a line of results."""
    _warm_up()
    for line in sys.stdin.buffer:
        jobs = [RenderJob(*row) for row in json.loads(line)]
        out = [[r.subject, r.body, list(r.refused), r.broken] for r in render_chunk(jobs)]
        sys.stdout.buffer.write(json.dumps(out, ensure_ascii=False).encode("utf-8") + b"\n")
        sys.stdout.buffer.flush()


class Renderer:
    """Renders in ``processes`` worker processes, or in this process when there are none."""

    def __init__(self, processes: int) -> None:
        self.workers: list[subprocess.Popen[bytes]] = []
        if processes <= 0:
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            for _ in range(processes):
                self.workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "autocollect.strategy.rendering"],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        env=env,
                    )
                )
        except OSError as exc:
            logger.warning("rendering in-process: no worker processes (%s)", exc)
            self.close()

    def submit(self, jobs: Sequence[RenderJob]) -> Pending:
        """Start rendering ``jobs`` in the workers and return at once; ``Pending.result()``
        waits for them (this process renders them there when there are no workers)."""
        if not self.workers or len(jobs) < MIN_JOBS:
            return Pending(self, jobs, started=False)
        size = -(-len(jobs) // len(self.workers))
        try:
            for k, worker in enumerate(self.workers):
                assert worker.stdin is not None
                worker.stdin.write(_encode_jobs(jobs[k * size : (k + 1) * size]))
                worker.stdin.flush()
        except OSError as exc:
            logger.warning("rendering in-process: a worker failed (%s)", exc)
            self.close()
            return Pending(self, jobs, started=False)
        return Pending(self, jobs, started=True)

    def render(self, jobs: Sequence[RenderJob]) -> list[Rendered]:
        return self.submit(jobs).result()

    def close(self) -> None:
        for worker in self.workers:
            if worker.stdin is not None:
                worker.stdin.close()
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if worker.stdout is not None:
                worker.stdout.close()
        self.workers = []


class Pending:
    """Texts being rendered: by the workers (``started``), or here on ``result()``."""

    def __init__(self, owner: Renderer, jobs: Sequence[RenderJob], *, started: bool) -> None:
        self.owner = owner
        self.jobs = jobs
        self.started = started

    def result(self) -> list[Rendered]:
        if not self.started:
            return render_chunk(self.jobs)
        results: list[Rendered] = []
        try:
            for worker in self.owner.workers:
                assert worker.stdout is not None
                results += _decode_results(worker.stdout.readline())
        except (OSError, ValueError, TypeError) as exc:
            # A worker died (out of memory, killed) or answered nonsense: the same work, here.
            logger.warning("rendering in-process after a worker failed (%s)", exc)
            self.owner.close()
            return render_chunk(self.jobs)
        if len(results) != len(self.jobs):
            logger.warning("rendering in-process: the workers answered %s texts", len(results))
            self.owner.close()
            return render_chunk(self.jobs)
        return results


@contextmanager
def renderer(processes: int) -> Iterator[Renderer]:
    pool = Renderer(processes)
    try:
        yield pool
    finally:
        pool.close()


if __name__ == "__main__":
    serve()
