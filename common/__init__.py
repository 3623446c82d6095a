"""Code shared by the portal's processes: bus contracts, bus helpers, settings loading."""
