from tests.arrangements.conftest import case, collector, document_dir, lead, risk, team  # noqa: F401
