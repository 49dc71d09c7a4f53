"""customer_master_schedule: open order lines + delivery windows + capacity -> a feasible schedule."""
