"""`shoudi blobs …`: move the blob store to another backend (`migrate`), check it (`verify`)."""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import click

from server.cli import data_dir_option, make_app


@click.group("blobs")
def blobs_group() -> None:
    """附件存储 — move attachments to S3-compatible storage, verify the store."""


def _copy_one(source, target, sha: str, size: int, verify_existing: bool) -> str:  # noqa: ANN001
    """Copy one blob unless the target has it; returns 'skipped', 'copied' or an error message."""
    if target.size(sha) == size and (not verify_existing or target.hash_of(sha) == sha):
        return "skipped"
    from server.storage import BlobMismatch

    try:
        with source.open(sha) as stream:
            target.put_stream(stream, md5=False, expect=sha)
    except BlobMismatch as exc:   # the source's bytes do not match their key: nothing is stored
        return f"{sha}: source content hashes to {exc.actual} (corrupt source blob, not copied)"
    if target.hash_of(sha) != sha:
        return f"{sha}: read back from the target with another hash"
    return "copied"


@blobs_group.command("migrate")
@data_dir_option
@click.option("--to", "target_url", required=True, help="Target store: s3://bucket/prefix (or file:///path).")
@click.option("--endpoint", default=None, help="Target S3 endpoint (default: $SHOUDI_S3_ENDPOINT).")
@click.option("--region", default=None, help="Target S3 region (default: $SHOUDI_S3_REGION).")
@click.option("--jobs", default=8, show_default=True, type=click.IntRange(1, 64), help="Blobs copied at once.")
@click.option("--verify-existing", is_flag=True,
              help="Also read back and hash blobs the target already has (default: equal size suffices).")
def migrate_command(data_dir, target_url, endpoint, region, jobs, verify_existing):  # noqa: ANN001
    """Copy every blob of the configured store to TARGET, verified by hash; resumable (run it again
    after an interruption: blobs already there are skipped). The source is left as it is: switch
    SHOUDI_BLOB_STORE to the target once it reports no failures."""
    from tqdm import tqdm

    from server.storage import get_blobs, open_store

    app = make_app(data_dir)
    source = get_blobs(app)
    target = open_store(target_url, data_dir=app.config["DATA_DIR"], fsync=app.config["FSYNC"],
                        endpoint=endpoint or app.config.get("S3_ENDPOINT"),
                        region=region or app.config.get("S3_REGION"))
    if target.url == source.url:
        raise click.ClickException("source and target are the same store")
    total = count = 0
    for _, size in source.iter_blobs():
        total, count = total + size, count + 1
    click.echo(f"{source.url} → {target.url}: {count} blobs, {total / 1e6:.1f} MB")
    done = {"copied": 0, "skipped": 0}
    failures: list[str] = []
    with tqdm(total=total, unit="B", unit_scale=True, desc="blobs migrate", file=sys.stderr) as bar, \
            ThreadPoolExecutor(jobs) as pool:
        pending = set()
        for sha, size in source.iter_blobs():
            pending.add(pool.submit(lambda s=sha, n=size: (_copy_one(source, target, s, n, verify_existing), n)))
            if len(pending) >= jobs * 4:
                pending = _drain(pending, done, failures, bar, wait_all=False)
        _drain(pending, done, failures, bar, wait_all=True)
    click.echo(f"copied {done['copied']}, already there {done['skipped']}, failed {len(failures)}")
    for line in failures[:50]:
        click.echo("  " + line, err=True)
    if failures:
        raise click.ClickException(f"{len(failures)} blobs not copied; fix the cause and run it again")


def _drain(pending: set, done: dict, failures: list, bar, *, wait_all: bool) -> set:  # noqa: ANN001
    from concurrent.futures import FIRST_COMPLETED, wait

    finished, rest = wait(pending, return_when="ALL_COMPLETED" if wait_all else FIRST_COMPLETED)
    for future in finished:
        try:
            outcome, size = future.result()
        except Exception as exc:  # noqa: BLE001 — reported per blob, the run goes on
            outcome, size = f"{type(exc).__name__}: {exc}", 0
        if outcome in done:
            done[outcome] += 1
        else:
            failures.append(outcome)
        bar.update(size)
    return rest


@blobs_group.command("verify")
@data_dir_option
@click.option("--hash/--no-hash", "rehash", default=False,
              help="Also read every blob back and check its sha256 (default: presence only).")
def verify_command(data_dir, rehash):  # noqa: ANN001
    """Check that every blob the database refers to is in the configured store."""
    from tqdm import tqdm

    from server.blob_refs import referenced_blobs
    from server.db import get_db
    from server.storage import get_blobs

    app = make_app(data_dir)
    store = get_blobs(app)
    missing, bad, seen = [], [], 0
    with get_db(app).engine.connect() as conn:
        for sha in tqdm(referenced_blobs(conn), unit="blob", desc="blobs verify", file=sys.stderr):
            seen += 1
            if store.size(sha) is None:
                missing.append(sha)
            elif rehash and store.hash_of(sha) != sha:
                bad.append(sha)
    click.echo(f"{seen} referenced blobs in {store.url}: {len(missing)} missing, {len(bad)} with another hash")
    for sha in missing[:50]:
        click.echo(f"  missing {sha}", err=True)
    for sha in bad[:50]:
        click.echo(f"  corrupt {sha}", err=True)
    if missing or bad:
        raise click.ClickException("the store does not hold every blob the database refers to")
