"""The batch gate's input frames, checked against their contracts and coded.

Strings become small integers (their index in the policy's vocabulary: ``EVENT_TYPES``,
``CHANNELS``, ``PARTIES``, ``OUTCOMES``), and a check's channel and party become bits, so that
"is this channel one of the rule's" is one AND (``CHANNEL_BIT``, ``PARTY_BIT``, ``bits``).
A value outside the vocabulary, or a row without the fields its type needs, is a
``FrameContractError`` naming the frame and the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from autocollect.engine import frames
from autocollect.engine.policy import CHANNELS, EVENT_TYPES, OUTCOMES, PARTIES, Policy

CHANNEL_BIT = {channel: 1 << i for i, channel in enumerate(CHANNELS)}
PARTY_BIT = {party: 1 << i for i, party in enumerate(PARTIES)}


def bits(values: Iterable[str], table: Mapping[str, int]) -> int:
    """The bits of ``values`` (channels or parties) in ``table``, as one mask."""
    return sum(table[value] for value in set(values))


def _members(frame: pl.DataFrame, column: str, allowed: Iterable[str], name: str) -> None:
    values = set(frame.get_column(column).drop_nulls().unique().to_list())
    unknown = values - set(allowed)
    if unknown:
        shown = ", ".join(sorted(map(repr, unknown))[:5])
        raise frames.FrameContractError(
            f"{name}: column {column} has value(s) {shown} outside {', '.join(allowed)}"
        )


def _codes(frame: pl.DataFrame, column: str, names: tuple[str, ...], name: str) -> pl.Series:
    """A string column as the index of its value in ``names`` (Int32; null stays null)."""
    try:
        coded = frame.get_column(column).cast(pl.Enum(names))
    except pl.exceptions.InvalidOperationError:
        _members(frame, column, names, name)
        raise
    return coded.to_physical().cast(pl.Int32)


def _is(column: str, names: tuple[str, ...], values: Iterable[str]) -> pl.Expr:
    codes = sorted({names.index(value) for value in values})
    return pl.col(column) == codes[0] if len(codes) == 1 else pl.col(column).is_in(codes)


def is_type(*values: str) -> pl.Expr:
    """Whether a coded event's type is one of ``values``."""
    return _is("_type", EVENT_TYPES, values)


def is_channel(values: Iterable[str]) -> pl.Expr:
    """Whether a coded event's channel is one of ``values``."""
    return _is("_channel", CHANNELS, values)


def is_party(*values: str) -> pl.Expr:
    """Whether a coded event's party is one of ``values``."""
    return _is("_party", PARTIES, values)


def is_outcome(*values: str) -> pl.Expr:
    """Whether a coded event's outcome is one of ``values``."""
    return _is("_outcome", OUTCOMES, values)


def coded_checks(checks: pl.DataFrame) -> pl.DataFrame:
    """``CHECKS`` checked and coded: ``_at`` µs, ``_channel`` and ``_party`` as bits, ``_row``
    the input order."""
    frames.require(checks, frames.CHECKS, "checks")
    nulls = [
        name
        for name, n in checks.select(list(frames.CHECKS)).null_count().row(0, named=True).items()
        if n
    ]
    if nulls:
        raise frames.FrameContractError(f"checks: null value(s) in {', '.join(nulls)}")
    if checks.select((pl.col("number") == "").any()).item():
        raise frames.FrameContractError("checks: empty number(s)")
    bit_of_code = pl.Series([1 << i for i in range(8)], dtype=pl.Int64)
    coded = checks.select(
        "case_id",
        "check_id",
        "timezone",
        "number",
        "agent_authorised",
        _at=pl.col("at").dt.epoch("us"),
        _channel=_codes(checks, "channel", CHANNELS, "checks"),
        _party=_codes(checks, "party", PARTIES, "checks"),
    ).with_row_index("_row")
    # Channels and parties as bits, so that "one of the rule's" is one AND.
    return coded.with_columns(
        _channel=bit_of_code.gather(coded.get_column("_channel")),
        _party=bit_of_code.gather(coded.get_column("_party")),
    )


def coded_events(policy: Policy, events: pl.DataFrame) -> pl.DataFrame:
    """``EVENTS`` checked (each type with its fields, hold reasons the pack's) and coded:
    ``_at`` µs, ``_type``, ``_channel``, ``_party`` and ``_outcome`` as codes."""
    frames.require(events, frames.EVENTS, "events")
    for column in ("case_id", "at", "type"):
        if events.get_column(column).null_count():
            raise frames.FrameContractError(f"events: null value(s) in {column}")
    coded = events.select(
        "case_id",
        "number",
        "reason",
        "start",
        "end",
        _at=pl.col("at").dt.epoch("us"),
        _type=_codes(events, "type", EVENT_TYPES, "events"),
        _channel=_codes(events, "channel", CHANNELS, "events"),
        _party=_codes(events, "party", PARTIES, "events"),
        _outcome=_codes(events, "outcome", OUTCOMES, "events"),
    )
    contact = is_type("contact")
    problems = coded.select(
        contact_fields=(
            contact
            & (
                pl.any_horizontal(pl.col(c).is_null() for c in ("_channel", "_party", "_outcome"))
                | pl.col("number").is_null()
                | (pl.col("number") == "")
            )
        ).any(),
        opt_out_channel=(is_type("opt_out") & pl.col("_channel").is_null()).any(),
        consent_hours=(
            is_type("consent_hours") & (pl.col("start").is_null() | pl.col("end").is_null())
        ).any(),
        hold_reason=(is_type("hold", "release") & pl.col("reason").is_null()).any(),
    ).row(0, named=True)
    messages = {
        "contact_fields": "contact event(s) without a channel, party, outcome or number",
        "opt_out_channel": "opt_out event(s) without a channel",
        "consent_hours": "consent_hours event(s) without start and end",
        "hold_reason": "hold/release event(s) without a reason",
    }
    for key, found in problems.items():
        if found:
            raise frames.FrameContractError(f"events: {messages[key]}")
    held = coded.filter(is_type("hold", "release")).select("reason")
    _members(held, "reason", tuple(policy.holds), f"events (hold rules of pack {policy.name})")
    return coded
