"""order_staging: multi-channel orders (CSV, JSON, X12 850) -> validated staging tables."""
