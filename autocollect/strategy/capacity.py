"""Giving a day's agent work to the agents of each team, within their minutes (pure Python).

Items come in queue order (priority first). Each goes to, in this order of preference:

1. the agent who already has this borrower today (one borrower, one voice);
2. the agent the borrower had in an earlier plan, if still in the team and eligible;
3. the eligible agent with the most minutes left (ties: the lowest id);

always only if that agent has the item's minutes left. An item no eligible agent has room for
is overflow: it stays visible in its queue and is carried to the next day (docs/strategy.md).
Deterministic: the same items, agents and history give the same assignment.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WorkItem:
    team_id: int | None
    borrower_id: int
    minutes: int
    # Contact work (a call, a visit) needs an agent certified and authorised to collect;
    # reviews can be done by any member of the team.
    needs_authorised: bool


@dataclass(frozen=True, slots=True)
class TeamCapacity:
    team_id: int
    minutes_per_agent: int
    agents: tuple[int, ...]
    authorised: frozenset[int]


class _Pool:
    """The eligible agents of one team, as a heap by minutes left (lazily refreshed)."""

    def __init__(self, agents: Sequence[int], remaining: dict[int, int]) -> None:
        self.members = frozenset(agents)
        self.remaining = remaining
        self.heap = [(-remaining[a], a) for a in agents]
        heapq.heapify(self.heap)

    def most_free(self, minutes: int) -> int | None:
        while self.heap:
            negative, agent = self.heap[0]
            left = self.remaining[agent]
            if -negative != left:
                heapq.heapreplace(self.heap, (-left, agent))
                continue
            return agent if left >= minutes else None
        return None


def assign(
    items: Sequence[WorkItem],
    teams: Mapping[int, TeamCapacity],
    previous: Mapping[int, int],
) -> list[int | None]:
    """The agent of each item (None: overflow), in the order of ``items``."""
    remaining: dict[int, int] = {}
    pools: dict[tuple[int, bool], _Pool] = {}
    for team in teams.values():
        for agent in team.agents:
            remaining.setdefault(agent, team.minutes_per_agent)
    for team in teams.values():
        pools[(team.team_id, False)] = _Pool(team.agents, remaining)
        pools[(team.team_id, True)] = _Pool(
            [a for a in team.agents if a in team.authorised], remaining
        )
    today: dict[tuple[int, int], int] = {}
    result: list[int | None] = []
    for item in items:
        pool = pools.get((item.team_id, item.needs_authorised)) if item.team_id else None
        if pool is None:
            result.append(None)
            continue
        pick = None
        for preferred in (
            today.get((item.team_id or 0, item.borrower_id)),
            previous.get(item.borrower_id),
        ):
            if (
                preferred is not None
                and preferred in pool.members
                and remaining[preferred] >= item.minutes
            ):
                pick = preferred
                break
        if pick is None:
            pick = pool.most_free(item.minutes)
        if pick is not None:
            remaining[pick] -= item.minutes
            today.setdefault((item.team_id or 0, item.borrower_id), pick)
        result.append(pick)
    return result
