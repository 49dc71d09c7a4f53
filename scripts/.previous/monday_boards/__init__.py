"""monday_boards: Monday.com boards -> one typed table per board, drift detected, sync logged."""
