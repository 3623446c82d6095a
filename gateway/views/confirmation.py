"""A confirmation before an administrator's action that ends someone's access (issue 15).

The action's form posts once without `confirm`: the answer is a page that says what will happen,
with the same form confirmed and a Cancel link back; only the post with confirm=1 acts. It works
without script, and a request without the confirmation changes nothing.
"""

from __future__ import annotations

from aiohttp import web

from ..forms import field
from ..pages import render_page
from .language import safe_local_path

NAME_MAX = 200  # the person's name the list's form carries, shown on the page only


async def unconfirmed(request: web.Request, kind: str, back: str) -> web.Response | None:
    """The confirmation page of `kind` when the post is not confirmed yet, else None (go ahead)."""
    form = await request.post()
    if field(form, "confirm") == "1":
        return None
    next_path = safe_local_path(field(form, "next")) or back
    context = {"kind": kind, "action": request.path, "name": field(form, "name")[:NAME_MAX], "next": next_path}
    return render_page(request, "admin_confirm.html", context)
