"""Records stage: read vehicle and owner CSVs, validate, merge by VIN, assign phases."""

from letters.records.merge import Piece, Reconciliation, outcome_names, reconcile
from letters.records.model import Owner, Rejection, Source, Vehicle

__all__ = ["Owner", "Piece", "Reconciliation", "Rejection", "Source", "Vehicle", "outcome_names", "reconcile"]
