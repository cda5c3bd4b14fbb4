"""Synthetic, deterministic demo portfolio: realistic Chinese auto loans and their repayment
history, in the import formats, for ``autocollect demo``. Nothing here touches the database,
except ``casework``: the demo team's work during the simulated days, through the services."""

from autocollect.demo.generator import DEFAULT_SEED, DemoBook, generate
from autocollect.demo.measure import DelinquencyReport, measure_delinquency

__all__ = ["DEFAULT_SEED", "DelinquencyReport", "DemoBook", "generate", "measure_delinquency"]
