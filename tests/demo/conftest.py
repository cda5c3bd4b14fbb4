"""The simulation tests run on the strategy tests' world: the default strategy, its champion
alone, and the fake channel providers (the boundary)."""

from tests.strategy.conftest import champion_only, default_strategy, fake_providers

__all__ = ["champion_only", "default_strategy", "fake_providers"]
