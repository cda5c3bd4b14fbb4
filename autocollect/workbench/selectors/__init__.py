"""Reads for the collector's pages, one module per page: ``queue`` (today's queue),
``case_page`` (the account 360 with the compliance indicator of every contact action) and
``team`` (the team lead's page)."""
