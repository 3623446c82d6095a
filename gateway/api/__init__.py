"""The machine API root `/api/`: JSON answers and errors, bearer tokens, no cookies, no CSRF.

It is a sub-application of its own: it inherits none of the pages' middlewares (session cookie,
CSRF, HTML error pages, the pages' headers), only the root's measure and transport headers.
"""
