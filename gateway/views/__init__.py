"""Request handlers, one module per part of the portal."""
