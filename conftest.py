"""Repository-wide pytest set-up: load the framework's plugin (fixtures, markers, databases).

Loaded here rather than with `-p` so that coverage, which starts before the initial conftest,
measures the plugin's own modules from their first line.
"""

pytest_plugins = ["dev.shared.pytest_plugin"]
