"""The product: the handover lifecycle, matching, Block Kit, the app factory."""
