"""``tastemaker deadletter``: the events a consumer gave up on, and handing them to it again.

A poison event is set aside by the consumer runner (services/runner.py) so its partition keeps
moving; once the handler is fixed, ``retry`` feeds exactly the stored event to that consumer and
deletes the letter when it goes through.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.errors import TastemakerError
from tastemaker.events.log import DeadLetter, DeadLetterLog, EventLog, Record
from tastemaker.events.schema import from_json
from tastemaker.platform import Platform


def dead_letter_log(event_log: EventLog) -> DeadLetterLog:
    """The log's dead-letter side, or an error naming the backends that keep dead letters."""
    if not isinstance(event_log, DeadLetterLog):
        msg = (
            f"{type(event_log).__name__} keeps no dead letters (the sqlite:// and kafka:// logs do); "
            "failed records stay in their partition and are retried"
        )
        raise TastemakerError(msg)
    return event_log


def letter_json(letter: DeadLetter) -> dict[str, object]:
    return {
        "consumer": letter.group,
        "partition": letter.partition,
        "offset": letter.offset,
        "event_id": letter.event_id,
        "error": letter.error,
        "attempts": letter.attempts,
        "quarantined_at": datetime.fromtimestamp(letter.quarantined_at_ms / 1000, UTC).isoformat(),
        "event": json.loads(letter.event),
        "traceback": letter.traceback,
    }


def retry_letters(platform: Platform, consumer: str | None) -> tuple[int, int]:
    """Hand every letter (of ``consumer``) to its consumer once; returns (delivered, still failing)."""
    letters = dead_letter_log(platform.event_log)
    factories = platform.consumer_factories()
    delivered = failed = 0
    for letter in letters.dead_letters(consumer):
        if letter.group not in factories:
            known = ", ".join(sorted(factories))
            msg = f"dead letter of {letter.group!r}, a consumer this platform does not run ({known})"
            raise TastemakerError(msg)
        record = Record(letter.partition, letter.offset, from_json(letter.event))
        try:
            factories[letter.group]().handle([record])
        except Exception as exc:  # still poison: keep the letter, say why
            failed += 1
            click.echo(
                f"{letter.group} {letter.partition}:{letter.offset} still fails: {type(exc).__name__}: {exc}"
            )
            continue
        letters.forget_dead_letter(letter.group, letter.partition, letter.offset)
        delivered += 1
    return delivered, failed


@cli.group()
def deadletter() -> None:
    """Events a consumer could not handle after its retries (setting consumer_max_retries)."""


@deadletter.command("list")
@click.option("--consumer", help="Only this consumer's letters.")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per line, with the event and traceback."
)
@click.pass_context
@friendly_errors
def list_letters(ctx: click.Context, consumer: str | None, as_json: bool) -> None:
    """List dead letters: consumer, partition:offset, event id, attempts and the error."""
    with Platform.open(config_from(ctx)) as platform:
        letters = dead_letter_log(platform.event_log).dead_letters(consumer)
    for letter in letters:
        if as_json:
            click.echo(json.dumps(letter_json(letter)))
        else:
            click.echo(
                f"{letter.group}\t{letter.partition}:{letter.offset}\t{letter.event_id}\t"
                f"{letter.attempts} tries\t{letter.error}"
            )
    if not as_json:
        click.echo(f"{len(letters)} dead letter(s)")


@deadletter.command("retry")
@click.option("--consumer", help="Only this consumer's letters.")
@click.pass_context
@friendly_errors
def retry(ctx: click.Context, consumer: str | None) -> None:
    """Hand each dead letter to its consumer again; those that go through are deleted."""
    with Platform.open(config_from(ctx)) as platform:
        delivered, failed = retry_letters(platform, consumer)
    click.echo(f"{delivered} delivered, {failed} still failing")
    if failed:
        ctx.exit(1)
