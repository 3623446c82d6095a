"""Notify: email (SMTP) and SMS (HTTP provider) sent on behalf of the portal."""
