"""Fuzz ``mubert sim`` with Schemathesis against the official OpenAPI document (every check).

Starts the simulator on a free loopback port, makes the data the path parameters
need (a track, a spare customer to rename and delete), and runs ``st run`` over
the 24 non-billing operations with the right credentials per directory. The
document is corrected only by the entries of ``exclusions.toml``. Prints one
summary line; exits 1 on any failure or error Schemathesis reports.

    python conformance/schemathesis_check.py [--max-examples N] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w
from _support import Exclusion, corrected_document, load_exclusions, simulator, summary

from mubert_async import MubertClient, MubertServiceClient

BILLING = r"^/api/v3/(public|service)/(stripe|prices|subscriptions)"
SERVICE = r"^/api/v3/service/"
PUBLIC = r"^/api/v3/public/"
DELETE_CUSTOMER = "DELETE /api/v3/service/customers/{customer}"


async def _fixtures(credentials: Mapping[str, str]) -> dict[str, str]:
    """Make what the path parameters point at; their values by parameter name."""
    base_url = credentials["MUBERT_BASE_URL"]
    async with MubertServiceClient(
        credentials["MUBERT_COMPANY_ID"], credentials["MUBERT_LICENSE_TOKEN"], base_url=base_url
    ) as service:
        license_id = (await service.licenses.list())[0].id
        spare = await service.customers.create("conformance-spare")
    async with MubertClient(
        credentials["MUBERT_CUSTOMER_ID"], credentials["MUBERT_ACCESS_TOKEN"], base_url=base_url
    ) as client:
        track = await client.tracks.generate(playlist_index="1.0.0", duration=30)
    assert track.session_id is not None
    return {
        "license": license_id,
        "customer": spare.id,
        "track": track.id,
        "session_id": track.session_id,
    }


async def _customer_works(credentials: Mapping[str, str]) -> bool:
    """Whether the public directory's customer still authenticates after the run."""
    async with MubertClient(
        credentials["MUBERT_CUSTOMER_ID"],
        credentials["MUBERT_ACCESS_TOKEN"],
        base_url=credentials["MUBERT_BASE_URL"],
    ) as client:
        return bool(await client.playlists.list())


def _config(
    credentials: Mapping[str, str], values: Mapping[str, str], exclusions: Sequence[Exclusion]
) -> dict[str, Any]:
    """schemathesis.toml: credentials and path values per directory, the exclusions' checks."""
    service = {
        "header.company-id": credentials["MUBERT_COMPANY_ID"],
        "header.license-token": credentials["MUBERT_LICENSE_TOKEN"],
        "path.license": values["license"],
    }
    public = {
        "header.customer-id": credentials["MUBERT_CUSTOMER_ID"],
        "header.access-token": credentials["MUBERT_ACCESS_TOKEN"],
        **{f"path.{name}": values[name] for name in ("track", "session_id")},
    }
    # Customers come from the stateful phase's links (create, then get/update/delete),
    # except that delete is pinned to the spare: a link from the listing must never
    # delete the customer whose credentials the public directory runs with.
    spare = {**service, "path.customer": values["customer"]}
    operations: list[dict[str, Any]] = [
        {"include-name": DELETE_CUSTOMER, "parameters": spare},
        {"include-path-regex": SERVICE, "parameters": service},
        {"include-path-regex": PUBLIC, "parameters": public},
    ]
    for entry in exclusions:
        if "schemathesis" in entry.tools and entry.checks:
            operations.extend(
                {"include-name": name, "checks": dict(entry.checks)} for name in entry.operations
            )
    return {"cache": {"enabled": False}, "operations": operations}


def run(max_examples: int, seed: int, workers: int) -> int:
    """Run the check; the process exit status."""
    exclusions = [e for e in load_exclusions() if "schemathesis" in e.tools]
    with (
        tempfile.TemporaryDirectory(prefix="mubert-schemathesis-") as tmp,
        simulator("--generation-time", "0", "--seed", str(seed)) as credentials,
    ):
        work = Path(tmp)
        document = work / "openapi.json"
        document.write_text(json.dumps(corrected_document("schemathesis", exclusions)))
        values = asyncio.run(_fixtures(credentials))
        config = work / "schemathesis.toml"
        config.write_text(tomli_w.dumps(_config(credentials, values, exclusions)))
        report = work / "report.json"
        origin = credentials["MUBERT_BASE_URL"].removesuffix("/api/v3")
        command = [
            *(str(Path(sys.executable).with_name("st")), "--no-color"),
            *("--config-file", str(config), "run", str(document)),
            *("--url", origin, "--checks", "all", "--exclude-path-regex", BILLING),
            *("--max-examples", str(max_examples), "--seed", str(seed)),
            *("--workers", str(workers), "--generation-database", "none"),
            *("--report", "json", "--report-json-path", str(report)),
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=work)
        if not report.exists():
            print(completed.stdout, completed.stderr, sep="\n", file=sys.stderr)
            print("schemathesis: no report written", file=sys.stderr)
            return 1
        result = json.loads(report.read_text())
        still_in = asyncio.run(_customer_works(credentials))
    failures = sum(f["count"] for f in result["failures"])
    errors = sum(e["count"] for e in result["errors"])
    unauthenticated = result["warnings"].get("missing_auth", [])
    ok = completed.returncode == 0 and not (failures or errors or unauthenticated)
    if not ok:
        print(completed.stdout, file=sys.stderr)
    if unauthenticated or not still_in:
        # A run without working credentials would pass while testing nothing past 401.
        print(f"schemathesis: credentials failed ({unauthenticated or 'customer gone'})")
        ok = False
    line = summary(
        "schemathesis",
        operations=result["operations"]["tested"],
        cases=result["test_cases"]["generated"],
        failures=failures + errors,
        excluded=len(exclusions),
    )
    print(line)
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25, help="cases per operation")
    parser.add_argument("--seed", type=int, default=15, help="Schemathesis and simulator seed")
    # One worker: Hypothesis' lambda descriptions call ast.parse, which CPython 3.11 can
    # break on when threads race ("AST constructor recursion depth mismatch").
    parser.add_argument("--workers", type=int, default=1, help="Schemathesis workers")
    args = parser.parse_args(argv)
    return run(args.max_examples, args.seed, args.workers)


if __name__ == "__main__":
    sys.exit(main())
