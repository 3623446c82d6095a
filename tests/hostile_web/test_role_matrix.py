"""The role matrix (hostile suite, part 2): every route of the gateway's router, asked by the
anonymous and by a session of each role, gets what its audience in gateway/access.py says:

- a public route: never a refusal, whoever asks;
- the anonymous on any other: the login form for a page, 401 for a form (and the session cookie forgotten);
- a role the audience admits: neither 401 nor 403 (a sample id that no object has may well be a 404);
- any other role: the 403 page, before the view runs.

Forms carry a valid token, so that the role is what is tested. Nothing answers 5xx.
"""

from __future__ import annotations

import asyncio

import pytest

from ..portal import Physicians
from .callers import ANONYMOUS, Answer, Caller
from .effects import EffectMaker, deactivation, staff_creation
from .router import Probe, probes


def expected(probe: Probe, caller: Caller, answer: Answer) -> bool:
    """Whether the answer is what the access table says for this caller."""
    if answer.status >= 500:
        return False
    audience = probe.audience
    if audience.public:
        return not answer.refused
    if caller.role is None:
        return answer.login_refusal
    if audience.admits(caller.role):
        return not answer.refused and answer.status not in (401, 403)
    return answer.role_refusal


@pytest.mark.parametrize("probe", probes(), ids=str)
async def test_each_caller_gets_what_the_access_table_says(probe: Probe, callers: dict[str, Caller]) -> None:
    async def ask(caller: Caller) -> tuple[Caller, Answer]:
        await caller.ready()
        return caller, await caller.send(probe.method, probe.path)

    answers = await asyncio.gather(*(ask(caller) for caller in callers.values()))
    wrong = {caller.name: str(answer) for caller, answer in answers if not expected(probe, caller, answer)}
    assert not wrong, f"{probe.key} is for {probe.audience}, yet: {wrong}"


@pytest.mark.parametrize("make_effect", [deactivation, staff_creation], ids=lambda make: make.__name__)
async def test_a_form_refused_for_its_role_changes_nothing(
    make_effect: EffectMaker, physicians: Physicians, callers: dict[str, Caller]
) -> None:
    effect = await make_effect(physicians, callers)
    before = await effect.state()
    for caller in callers.values():
        if caller.name == effect.sender:
            continue
        await caller.ready()
        answer = await caller.send("POST", effect.path, {**effect.form, "csrf_token": caller.token})
        assert answer.login_refusal if caller.name == ANONYMOUS else answer.role_refusal, (caller.name, str(answer))
    assert await effect.state() == before
    sender = callers[effect.sender]
    await sender.ready()
    answer = await sender.send("POST", effect.path, {**effect.form, "csrf_token": sender.token})
    assert answer.status == 303 and await effect.state() != before  # the same form, rightly sent, does change it


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/admin/accounts/new", {"login": "x", "role": "king", "email": "not an address"}),
        ("/admin/applications", {"slug": "?", "url": "javascript:alert(1)"}),
    ],
)
async def test_a_physicians_invalid_form_to_an_administrators_page_gets_no_form_back(
    path: str, form: dict[str, str], callers: dict[str, Caller]
) -> None:
    """Finding (issue 12): the view checked the form before the role, and answered with the
    administrators' form and its problems."""
    physician = callers["physician"]
    await physician.ready()
    answer = await physician.send("POST", path, {**form, "csrf_token": physician.token})
    assert answer.role_refusal, str(answer)
    assert "<form" not in answer.body.replace('<form class="logout"', "")
