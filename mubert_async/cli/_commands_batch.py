"""``mubert batch FILE``: generate a JSON Lines file of requests, resumably."""

from __future__ import annotations

import pathlib
from typing import Any

import click

from .._redaction import error_message
from ._batch_run import BatchRunner, Job
from ._commands_tracks import progress_enabled
from ._context import CliError, State, run_async
from ._generate import Outcome, Progress, exit_code_for
from ._manifest import MANIFEST_NAME, BatchLine, Manifest, make_entry, read_batch_file
from ._options import format_option, pass_state, run_options
from ._out import out_option, out_target

__all__ = ["batch"]


@click.command(short_help="Generate a JSON Lines file of requests, resumably.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@out_option("A directory for the files and manifest.jsonl (created if missing).")
@click.option(
    "-d",
    "--duration",
    type=int,
    metavar="SECONDS",
    help="Duration for lines that do not give one (seconds).",
)
@format_option("Format for lines that do not give one.")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Make a new track for lines whose track failed on the server (a new track is billed).",
)
@run_options
@pass_state
def batch(
    state: State,
    file: pathlib.Path,
    out: pathlib.Path,
    duration: int | None,
    format_: str | None,
    retry_failed: bool,
    concurrency: int | None,
    timeout: float | None,
    no_progress: bool,
) -> int:
    """Generate every request of a JSON Lines FILE into a directory, resumably.

    Each non-blank line of FILE is one JSON object with the fields of a track
    request: duration, and exactly one of prompt, playlist_index or image (a
    path, relative to FILE's directory), plus optionally bitrate, format,
    intensity, mode, bpm and key.

    \b
        {"prompt": "calm piano", "duration": 30}
        {"playlist_index": "1.0.0", "duration": 60, "bpm": 120, "format": "wav"}

    Each track is saved as DIR/<track id>.<format>. DIR/manifest.jsonl gets one
    entry per input line: line, request, status, track_id, file (relative to
    DIR), error_type, error_message, sent_at and updated_at. Each step is written
    (and synced) before the next: "sending" just before a create, "created" with
    the track id the moment it returns, then "ok" or "error". An invalid line
    becomes an error entry; it never stops the batch.

    Run the same command again to resume (also after Ctrl-C). A line is never
    billed twice: lines that are ok, for the same request, with their file, are
    skipped; a line with a track id is waited for and downloaded, not created
    again; a line whose create got no answer is first looked for among the
    customer's tracks made since it was sent (same parameters) and adopted. Only
    a line whose track failed on the server is given a new track, and only with
    --retry-failed.

    Exit code 4 when some lines failed and the others are done.
    """
    defaults: dict[str, Any] = {"duration": duration, "format": format_}
    try:
        lines = read_batch_file(file, defaults)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise CliError(f"cannot read {str(file)!r}: {reason}") from None
    out_dir = out_target(out, allow_file=False).path
    manifest = Manifest(out_dir)
    manifest.load()
    output = state.out

    skipped: list[BatchLine] = []
    invalid: list[BatchLine] = []
    todo: list[Job] = []
    for line in lines:
        if line.request is None:
            invalid.append(line)
        elif manifest.done(line) is not None:
            skipped.append(line)
        else:
            track_id, sent_at = manifest.resume(line, retry_failed=retry_failed)
            todo.append(Job(len(todo), line, line.request, track_id=track_id, sent_at=sent_at))

    def shown(name: str) -> str:
        return str(out_dir / name)

    for line in skipped:
        output.line(
            f"line {line.line}: skipped, done earlier: {shown(manifest.entries[line.line]['file'])}"
        )
    for line in invalid:
        assert line.error is not None
        error = {"type": type(line.error).__name__, "message": error_message(line.error)}
        manifest.record(make_entry(line, error=error))
        output.line(f"line {line.line}: error: {error['type']}: {error['message']}")

    def report(outcome: Outcome) -> None:
        line = todo[outcome.index].line
        if outcome.ok:
            output.line(f"line {line.line}: ok: {outcome.file}")
        else:
            error = outcome.error_fields()
            output.line(f"line {line.line}: error: {error['type']}: {error['message']}")

    async def main() -> list[Outcome]:
        progress = Progress(
            output, len(todo), enabled=progress_enabled(state, no_progress), desc="batch"
        )
        try:
            async with state.public_client() as client:
                runner = BatchRunner(
                    client,
                    manifest,
                    out_dir,
                    concurrency=concurrency,
                    timeout=timeout,
                    progress=progress,
                    on_outcome=report,
                )
                return await runner.run(todo)
        finally:
            progress.close()

    try:
        outcomes = run_async(main) if todo else []
    finally:
        manifest.rewrite(lines)

    ok = len(skipped) + sum(1 for o in outcomes if o.ok)
    failed = len(lines) - ok
    if output.json_mode:
        skipped_lines = {line.line for line in skipped}
        output.json(
            {
                "manifest": str(manifest.path.resolve()),
                "out_dir": str(out_dir.resolve()),
                "total": len(lines),
                "ok": ok,
                "skipped": len(skipped),
                "failed": failed,
                "entries": [
                    {**manifest.entries[line.line], "skipped": line.line in skipped_lines}
                    for line in lines
                    if line.line in manifest.entries
                ],
            }
        )
    else:
        output.note(
            f"batch: {ok} of {len(lines)} line(s) done ({len(skipped)} skipped, "
            f"{failed} failed); manifest: {out_dir / MANIFEST_NAME}"
        )
    failures = [line.error for line in invalid] + [o.error for o in outcomes]
    return exit_code_for(failures, ok)
