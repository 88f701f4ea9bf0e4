"""Supply planning: a capacity-feasible production plan and the reconciliation of supply with demand."""
