"""Audit: the append-only, tamper-evident log of what happened on the portal, forwarded to the hospital."""
