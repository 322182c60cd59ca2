"""The one error of the import."""


class HsdsError(Exception):
    """The import cannot go on; ``str(self)`` is one sentence for the coordinator."""
