"""The server tests' shared fixtures, registered here once for the folder: imported into each test
module instead, a session-scoped fixture is one per module (two Prefect servers, two reference runs)."""

from prefect_stack import akhbar_run, prefect_server, reference_run  # noqa: F401  (fixtures)
