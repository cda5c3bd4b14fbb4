"""The plan's own history: actions of earlier dates still waiting, the agents borrowers had,
the arms cases were put in, and the cases' assignment after a plan."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from django.db import connection

from autocollect.core.dbio import read_frame
from autocollect.strategy.definitions import MAX_VALID_DAYS
from autocollect.strategy.plan_db import OpenScope, ReachScope, time_us_sql, us_sql

CARRIED = {
    "carried_from": pl.Int64(),
    "case_id": pl.Int64(),
    "step_id": pl.String(),
    "status": pl.String(),
    "channel": pl.String(),
    "template": pl.String(),
    "queue_id": pl.Int64(),
    "priority": pl.Int64(),
    "minutes": pl.Int64(),
    "local_time_us": pl.Int64(),
    "scheduled_us": pl.Int64(),
    "valid_until": pl.Date(),
    "version_id": pl.Int64(),
    "segment_id": pl.String(),
    "arm": pl.String(),
    "due_on": pl.Date(),
}


def load_carried(sc: OpenScope, as_of: date) -> pl.DataFrame:
    """Actions of earlier dates left blocked, rescheduled or over capacity, still valid on
    ``as_of``, not yet taken up by an earlier plan, on cases open on ``as_of``: those due
    again by ``as_of`` (``due``) are carried; the others, moved to a later day, are only
    taken up when the same step falls due again today (it replaces them)."""
    sql = f"""
        SELECT pa.id, pa.case_id, pa.step, pa.status, pa.channel, pa.template, pa.queue_id,
               pa.priority, pa.minutes, {time_us_sql("pa.local_time")},
               {us_sql("pa.scheduled_at")}, pa.valid_until, pa.version_id, pa.segment, pa.arm,
               pa.due_on
        FROM strategy_plannedaction pa JOIN {sc.open_cases} t ON t.case_id = pa.case_id
        WHERE pa.status IN (%s, %s, %s) AND pa.due_on >= %s AND pa.due_on <= %s
          AND pa.as_of < %s AND pa.valid_until >= %s
          AND NOT EXISTS (
              SELECT 1 FROM strategy_plannedaction n
              WHERE n.carried_from_id = pa.id AND n.as_of < %s
          )
        ORDER BY pa.id
    """  # noqa: S608 - temporary table name from code
    # Valid on ``as_of`` means planned at most MAX_VALID_DAYS before it, and retried within
    # MAX_VALID_DAYS of that: the retry date lies in this window.
    window = timedelta(days=MAX_VALID_DAYS + 1)
    params = ["blocked", "rescheduled", "overflow", as_of - window, as_of + window]
    return read_frame(sql, [*params, as_of, as_of, as_of], CARRIED).with_columns(
        pl.col("template").replace("", None),
        (pl.col("local_time_us") * 1000).cast(pl.Time).alias("local_time"),
        (pl.col("due_on") <= pl.lit(as_of, dtype=pl.Date)).alias("due"),
    )


def load_previous_agents(sc: ReachScope, as_of: date, *, days: int = 60) -> pl.DataFrame:
    """(borrower_id, agent_id): the agent each borrower was last given, in the plans of the
    ``days`` before ``as_of``."""
    rows = read_frame(
        f"""
        SELECT pa.borrower_id, pa.agent_id, pa.as_of, pa.id
        FROM strategy_plannedaction pa JOIN {sc.borrowers} t ON t.id = pa.borrower_id
        WHERE pa.agent_id IS NOT NULL AND pa.as_of < %s AND pa.as_of >= %s
        """,  # noqa: S608 - temporary table name from code
        [as_of, as_of - timedelta(days=days)],
        {
            "borrower_id": pl.Int64(),
            "agent_id": pl.Int64(),
            "as_of": pl.Date(),
            "action_id": pl.Int64(),
        },
    )
    return (
        rows.sort("borrower_id", "as_of", "action_id")
        .unique("borrower_id", keep="last")
        .select("borrower_id", "agent_id")
    )


ASSIGNMENTS = {"case_id": pl.Int64(), "arm": pl.String()}


def load_assignments(sc: OpenScope, strategy_id: int, challenger_id: int) -> pl.DataFrame:
    return read_frame(
        f"""
        SELECT a.case_id, a.arm FROM strategy_armassignment a
        JOIN {sc.open_cases} t ON t.case_id = a.case_id
        WHERE a.strategy_id = %s AND a.challenger_id = %s
        """,  # noqa: S608 - temporary table name from code
        [strategy_id, challenger_id],
        ASSIGNMENTS,
    )


# --- case assignment ------------------------------------------------------------------------


def assign_cases(as_of: date) -> int:
    """Give each case the agent (and that agent's team, the queue's) of its first agent action
    planned to an agent on ``as_of`` (highest priority first, then step), in one statement
    over the date's written plan. Cases with no agent today keep the agent they had. Returns
    how many cases changed hands (object-level access follows these fields,
    docs/roles.md)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE cases_collectioncase
            SET assigned_agent_id = p.agent_id, assigned_team_id = p.team_id
            FROM (
                SELECT pa.case_id, pa.agent_id, q.team_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY pa.case_id ORDER BY pa.priority DESC, pa.step
                       ) AS n
                FROM strategy_plannedaction pa
                LEFT JOIN accounts_workqueue q ON q.id = pa.queue_id
                WHERE pa.as_of = %s AND pa.agent_id IS NOT NULL
            ) p
            WHERE p.n = 1 AND cases_collectioncase.id = p.case_id
              AND (cases_collectioncase.assigned_agent_id IS DISTINCT FROM p.agent_id
                   OR cases_collectioncase.assigned_team_id IS DISTINCT FROM p.team_id)
            """,
            [as_of],
        )
        return max(cursor.rowcount, 0)
