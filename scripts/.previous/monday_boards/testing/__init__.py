"""Tests of the monday_boards workflow (unit, edge cases, integration, performance)."""
