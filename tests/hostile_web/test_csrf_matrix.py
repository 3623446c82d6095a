"""The CSRF matrix (hostile suite, part 1): every form route of the gateway's router, sent by a
caller it is for, without a valid proof of coming from the portal's own page (no token, a wrong
one, another session's, another origin, `Origin: null`, no CSRF cookie), in either encoding a
browser can send (a form's fields, or an upload's multipart with the token in the query), gets
the CSRF refusal page; and a refused form changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from gateway.csrf import UNSAFE_METHODS

from ..portal import Physicians
from .callers import Answer, Caller, first_admitted
from .effects import EffectMaker, deactivation, profile_choice, staff_creation
from .router import Probe, probes

FORMS = [probe for probe in probes() if probe.method in UNSAFE_METHODS]


@dataclass(frozen=True)
class Defect:
    """What is wrong with a form: its fields, headers and cookies, from the sender's and another session's."""

    form: Callable[[Caller, Caller], dict[str, str]] = lambda sender, other: {"csrf_token": sender.token}
    headers: dict[str, str] = field(default_factory=dict)
    cookies: Callable[[Caller, Caller], dict[str, str]] = lambda sender, other: sender.cookies()


def _without_csrf_cookie(sender: Caller, other: Caller) -> dict[str, str]:
    return {name: value for name, value in sender.cookies().items() if name != "portal_csrf"}


DEFECTS = {
    "no token": Defect(form=lambda sender, other: {}),
    "wrong token": Defect(form=lambda sender, other: {"csrf_token": "0" * 64}),
    # Another session's CSRF cookie planted beside this session's, with the token it was given.
    "another session's token": Defect(
        form=lambda sender, other: {"csrf_token": other.token},
        cookies=lambda sender, other: {**sender.cookies(), "portal_csrf": other.cookies()["portal_csrf"]},
    ),
    "foreign Origin": Defect(headers={"Origin": "https://evil.example"}),
    "Origin: null": Defect(headers={"Origin": "null"}),
    "no CSRF cookie": Defect(cookies=_without_csrf_cookie),
}


def sender_and_other(probe: Probe, callers: dict[str, Caller]) -> tuple[Caller, Caller]:
    """A caller the route is for (else nothing would be refused anyway), and another session."""
    sender = first_admitted(callers, probe.audience)
    return sender, _another_session(callers, sender)


def _another_session(callers: dict[str, Caller], sender: Caller) -> Caller:
    return next(caller for caller in callers.values() if caller.role is not None and caller is not sender)


async def _send(sender: Caller, other: Caller, path: str, defect: Defect, multipart: bool) -> Answer:
    return await sender.send(
        "POST", path, defect.form(sender, other), defect.headers, defect.cookies(sender, other), multipart
    )


@pytest.mark.parametrize("probe", FORMS, ids=str)
async def test_every_form_without_a_valid_proof_is_refused(probe: Probe, callers: dict[str, Caller]) -> None:
    sender, other = sender_and_other(probe, callers)
    await asyncio.gather(sender.ready(), other.ready())
    cases = [(name, multipart) for name in DEFECTS for multipart in (False, True)]
    answers = await asyncio.gather(
        *(_send(sender, other, probe.path, DEFECTS[name], multipart) for name, multipart in cases)
    )
    wrong = {
        f"{name}{' (multipart)' if multipart else ''}": str(answer)
        for (name, multipart), answer in zip(cases, answers, strict=True)
        if not answer.csrf_refusal
    }
    assert not wrong, f"{probe.key} sent by {sender.name}: {wrong}"


@pytest.mark.parametrize("make_effect", [deactivation, staff_creation, profile_choice], ids=lambda make: make.__name__)
async def test_a_form_refused_for_its_proof_changes_nothing(
    make_effect: EffectMaker, physicians: Physicians, callers: dict[str, Caller]
) -> None:
    effect = await make_effect(physicians, callers)
    sender = callers[effect.sender]
    other = _another_session(callers, sender)
    await asyncio.gather(sender.ready(), other.ready())
    before = await effect.state()
    for name, defect in DEFECTS.items():
        form = {**effect.form, **defect.form(sender, other)}
        answer = await sender.send("POST", effect.path, form, defect.headers, defect.cookies(sender, other))
        assert answer.csrf_refusal, (name, str(answer))
    assert await effect.state() == before
    answer = await sender.send("POST", effect.path, {**effect.form, "csrf_token": sender.token})
    assert answer.status == 303 and await effect.state() != before  # the same form with its proof does change it


async def test_a_form_token_is_worth_nothing_to_another_session(
    physicians: Physicians, callers: dict[str, Caller]
) -> None:
    """Finding (issue 12): the token was bound to the CSRF cookie alone, so a CSRF value planted in
    a victim's browser (by a sibling domain, say) came with a token the attacker knew."""
    effect = await profile_choice(physicians, callers)
    victim, attacker = callers["physician"], callers["validator"]
    await attacker.ready()
    before = await effect.state()
    planted = {**victim.cookies(), "portal_csrf": attacker.cookies()["portal_csrf"]}
    answer = await victim.send("POST", effect.path, {**effect.form, "csrf_token": attacker.token}, cookies=planted)
    assert answer.csrf_refusal, str(answer)
    assert await effect.state() == before
