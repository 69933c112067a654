from commitments.models.pledges import Pledge


class PledgeAwaitingVerdict(Pledge):
    """The reviewers' queue as its own admin changelist; the rows are ordinary pledges."""

    class Meta:
        proxy = True
        verbose_name = "pledge awaiting verdict"
        verbose_name_plural = "awaiting verdict"
