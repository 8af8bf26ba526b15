# %% [markdown]
# # Batch-generate tracks in a notebook
#
# A percent-format notebook: open it in Jupyter (with jupytext) or VS Code and run the
# cells, or run it as a plain script. It shows:
#
# * `client.tracks.generate_many(requests, progress=True)`: a dozen generations at once,
#   inside the customer's concurrency limit, with a progress bar;
# * each finished `Track` shown inline: in a notebook it renders as a card with an audio
#   player, in a terminal as one line;
# * `client.tracks.download(track, folder)`: each file streamed to disk atomically;
# * a summary of what failed (`generate_many` never raises for one item: each result has
#   either `.track` or `.error`).
#
# It runs on the built-in simulator (no credentials, no network) unless
# `MUBERT_CUSTOMER_ID` / `MUBERT_ACCESS_TOKEN` are set, in which case it uses the real
# API (and is billed for each track). The simulator fails about one generation in
# ten, so that the failure summary has something to show.
#
#     python examples/notebook_batch.py [--out DIR]    # DIR defaults to a new temp dir
#
# The progress bar needs tqdm, and ipywidgets to be a widget in a notebook:
# `pip install "mubert-async[notebook]"`.

# %%
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mubert_async import BatchProgress, GenerationResult, MubertClient, Track, TrackRequest
from mubert_async.testing import FakeMubert

# %% [markdown]
# ## Settings

# %%
PROMPTS = [
    "calm piano in the rain",
    "lofi hip hop beats to study to",
    "epic orchestral battle theme",
    "retro synthwave night drive",
    "ambient drones for deep focus",
    "upbeat acoustic guitar morning",
    "dark techno warehouse",
    "jazzy café with brushed drums",
    "tropical house sunset",
    "meditative singing bowls",
    "8-bit video game adventure",
    "cinematic strings, slow build",
]
DURATION = 10  # seconds of music per track
FORMAT = "wav"


def output_dir() -> Path:
    """``--out DIR`` when run as a script; otherwise a fresh temporary directory."""
    parser = argparse.ArgumentParser(description="Batch-generate tracks and download them.")
    parser.add_argument("--out", type=Path, help="where to download (default: a temp dir)")
    args, _ = parser.parse_known_args()  # a notebook kernel has arguments of its own
    out: Path = args.out or Path(tempfile.mkdtemp(prefix="mubert-batch-"))
    out.mkdir(parents=True, exist_ok=True)
    return out


OUT_DIR = output_dir()

# %% [markdown]
# ## Connect
#
# With `MUBERT_CUSTOMER_ID` / `MUBERT_ACCESS_TOKEN` set, `MubertClient()` talks to the
# real API. Without them, a `FakeMubert` answers in-process: generations take half a
# second and about one in ten fails.


# %%
def connect() -> MubertClient:
    if os.environ.get("MUBERT_CUSTOMER_ID"):
        return MubertClient()  # MUBERT_CUSTOMER_ID / MUBERT_ACCESS_TOKEN
    fake = FakeMubert(generation_time=0.5, failure_rate=0.1, seed=6)
    customer = fake.add_customer("notebook-user")
    return MubertClient(customer.id, customer.access_token, transport=fake.transport())


# %% [markdown]
# ## Show a track
#
# In a notebook `display(track)` renders the track's `_repr_html_`: a card with an
# `<audio>` player. Outside IPython, print one line.


# %%
def show(track: Track) -> None:
    ipython = sys.modules.get("IPython")  # already imported when running in a notebook
    if ipython is not None and ipython.get_ipython() is not None:
        ipython.display.display(track)
    else:
        print(f"done   {track.id}  {track.duration:>3} s  {track.prompt}")


def progress_option() -> bool | Callable[[BatchProgress], None]:
    """A tqdm progress bar when tqdm is installed, else a line per finished track."""
    if importlib.util.find_spec("tqdm") is not None:
        return True

    def report(progress: BatchProgress) -> None:
        print(f"  {progress.done + progress.failed}/{progress.total or '?'} finished")

    return report


# %% [markdown]
# ## Generate, show and download
#
# Results arrive as generations finish (pass `ordered=True` for input order). Each
# one is downloaded as soon as it is done, while the rest keep generating.


# %%
async def generate_all(client: MubertClient, prompts: list[str]) -> list[GenerationResult]:
    requests = [TrackRequest(DURATION, prompt=prompt, format=FORMAT) for prompt in prompts]
    results: list[GenerationResult] = []
    async for result in client.tracks.generate_many(requests, progress=progress_option()):
        results.append(result)
        if result.track is not None:
            show(result.track)
            await client.tracks.download(result.track, OUT_DIR)
    return sorted(results, key=lambda result: result.index)


# %% [markdown]
# ## Summary


# %%
def summarise(results: list[GenerationResult]) -> None:
    failed = [result for result in results if not result.ok]
    print(f"{len(results) - len(failed)} of {len(results)} tracks done, {len(failed)} failed")
    for result in failed:
        asked = result.request.prompt if result.request is not None else result.item
        print(f"failed #{result.index} {asked!r}: {result.error}")
    files = sorted(OUT_DIR.glob(f"*.{FORMAT}"))
    print(f"{len(files)} files in {OUT_DIR}")


# %% [markdown]
# ## Run
#
# A notebook allows top-level `await`: the next cell runs the batch and fills in as
# tracks finish. As a script, the cell after it runs it with `asyncio.run` instead
# (jupytext keeps each cell to its side: `active="ipynb"`, `active="py"`).


# %%
async def main() -> list[GenerationResult]:
    async with connect() as client:
        results = await generate_all(client, PROMPTS)
    summarise(results)
    return results


# %% active="ipynb"
# results = await main()

# %% active="py"
if __name__ == "__main__":
    asyncio.run(main())
