"""Runtime library shared by dev/ and scripts/: config, db_helper, api_client, log_helper.

It ships to Kestra as namespace files, so it imports neither dev/ nor scripts/ and keeps its
dependencies to [project].dependencies in pyproject.toml.
"""
