"""Phase mailings: records in, print-ready batches, manifest, job ticket and ledger out.

A run is planned in the ledger first (every piece reserved, one transaction), then its
batches render, on all cores, each written durably before the ledger marks it done; the
manifest and job ticket are written last. A run that was interrupted or killed is finished
by the next ``mail`` (or ``remail``) of the campaign before anything new is planned, so
every letter ends in exactly one batch file.
"""

from letters.mail.options import Interrupted, MailOptions, MailReport, Progress, RunResult
from letters.mail.plan import stage_for
from letters.mail.run import mail, remail
from letters.mail.status import status

__all__ = ["Interrupted", "MailOptions", "MailReport", "Progress", "RunResult", "mail", "remail", "stage_for", "status"]
