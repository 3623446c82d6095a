"""Mes demandes (issue 13, B2): its filters (kind, service, status, patient, period) and pages, the
physician's own requests only whatever the filters; the response clock (sent when, first answered
after how long) and, on the form, each service's usual time to a first answer (the median over the
last 90 days)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from gateway.locale_formats import LocaleFormats

from .portal import Hospital, Physicians, eventually
from .test_services_directory import _service
from .web import SignIn

BOARD = "TB-ORL"


async def _new_service(hospital: Hospital, requests_db: asyncpg.Pool, name: str, **fields: object) -> str:
    code = f"MD-{uuid.uuid4().hex[:8]}"
    accepts = ["consultation", "tumor_board", "message"]
    boards = [{"code": BOARD, "name": "Colloque ORL"}]
    await hospital.publish(
        contract.SERVICES, _service(code, name, datetime.now(UTC), **{"accepts": accepts, "boards": boards, **fields})
    )
    await eventually(
        lambda: requests_db.fetchval("SELECT code FROM services WHERE code = $1", code), what="the service"
    )
    return code


@pytest.fixture(scope="module")
async def services(hospital: Hospital, requests_db: asyncpg.Pool) -> tuple[str, str]:
    """Two services: one for consultations and tumor boards, one for messages too."""
    return (
        await _new_service(hospital, requests_db, "ORL"),
        await _new_service(hospital, requests_db, "Accueil des médecins"),
    )


def _patient(family: str, given: str) -> contract.TypedPatient:
    return contract.TypedPatient(id=None, family_name=family, given_name=given, birth_date="1970-05-04", sex="female")


async def _draft(physicians: Physicians, token: str, service: str, **fields: object) -> api.RequestDetail:
    draft = api.Draft(**{"kind": "consultation", "service": service, "domain": "adults", "subject": "Avis", **fields})
    return await physicians.call(api.SAVE_DRAFT, draft, token=token)


async def _sent(physicians: Physicians, token: str, service: str, **fields: object) -> api.RequestDetail:
    saved = await _draft(
        physicians, token, service, **{"fields": {"reason": "Douleurs", "question": "Avis ?"}, **fields}
    )
    return await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)


async def _ids(physicians: Physicians, token: str, **filters: object) -> list[str]:
    found = await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(**filters), token=token)  # type: ignore[arg-type]
    assert found.total == len(found.items)  # one page here
    return [item.id for item in found.items]


async def test_each_filter_keeps_the_physician_s_matching_requests_and_no_one_else_s(
    physicians: Physicians, requests_db: asyncpg.Pool, services: tuple[str, str]
) -> None:
    ent, desk = services
    alice, bob = await physicians.create(), await physicians.create()
    token, bob_token = (await physicians.login(alice)).token, (await physicians.login(bob)).token
    draft = await _draft(physicians, token, ent, patient=_patient("Müller", "Élodie"))
    sent = await _sent(physicians, token, ent, patient=_patient("Muster", "Anna"))
    message = api.Draft(kind="message", service=desk, subject="Copie du dossier", fields={"text": "Merci"})
    saved = await physicians.call(api.SAVE_DRAFT, message, token=token)
    thread = await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    board = api.Draft(kind="tumor_board", service=ent, board=BOARD, patient=_patient("Dupont", "Jean"))
    old = await physicians.call(api.SAVE_DRAFT, board, token=token)
    await requests_db.execute(
        "UPDATE requests SET updated_at = now() - interval '100 days' WHERE id = $1", uuid.UUID(old.id)
    )
    bobs = await _sent(physicians, bob_token, ent, patient=_patient("Muster", "Anna"))

    everything = [thread.id, sent.id, draft.id, old.id]  # the latest changed first
    assert await _ids(physicians, token) == everything
    assert await _ids(physicians, token, kind="message") == [thread.id]
    assert await _ids(physicians, token, kind="tumor_board") == [old.id]
    assert await _ids(physicians, token, service=desk) == [thread.id]
    assert await _ids(physicians, token, service=ent) == [sent.id, draft.id, old.id]
    assert await _ids(physicians, token, status="draft") == [draft.id, old.id]
    assert await _ids(physicians, token, status="submitted") == [thread.id, sent.id]
    assert await _ids(physicians, token, status="closed") == []
    # The patient: each word in the family or given name, whatever the case and the accents.
    assert await _ids(physicians, token, patient="muller") == [draft.id]
    assert await _ids(physicians, token, patient="ÉLODIE Müll") == [draft.id]
    assert await _ids(physicians, token, patient="elodie anna") == []
    assert await _ids(physicians, token, patient="%") == []  # a wildcard is a letter
    assert await _ids(physicians, token, patient="anna") == [sent.id]  # not Bob's Anna Muster
    # The period: changed within it, until now (the tumor board was changed 100 days ago).
    assert await _ids(physicians, token, period="30d") == everything[:3]
    assert await _ids(physicians, token, period="3m") == everything[:3]
    assert await _ids(physicians, token, period="12m") == everything
    together = {"kind": "consultation", "service": ent, "status": "submitted", "patient": "muster", "period": "30d"}
    assert await _ids(physicians, token, **together) == [sent.id]
    assert await _ids(physicians, bob_token, **together) == [bobs.id]
    assert await _ids(physicians, bob_token, service=desk) == []

    mine = await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(), token=token)
    assert [(service.code, service.name) for service in mine.services] == [(desk, "Accueil des médecins"), (ent, "ORL")]


async def test_mes_demandes_comes_in_pages(physicians: Physicians, services: tuple[str, str]) -> None:
    token = (await physicians.login(await physicians.create())).token
    made = [(await _draft(physicians, token, services[0])).id for _ in range(12)]
    pages = [
        await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(page=page, per_page=5), token=token)
        for page in (1, 2, 3, 4)
    ]
    assert [len(page.items) for page in pages] == [5, 5, 2, 0]
    assert {page.total for page in pages} == {12}
    assert [item.id for page in pages for item in page.items] == made[::-1]  # the latest changed first, each once
    filtered = await physicians.call(
        api.LIST_MY_REQUESTS, api.ListMyRequests(page=2, per_page=5, status="submitted"), token=token
    )
    assert filtered.items == [] and filtered.total == 0


async def _answered(requests_db: asyncpg.Pool, request_id: str, sent_days_ago: float, after: timedelta) -> None:
    """The request sent so many days ago and first answered `after` that (its clock, set)."""
    await requests_db.execute(
        "UPDATE requests SET submitted_at = now() - make_interval(secs => $2), first_answer_at = "
        "now() - make_interval(secs => $2) + $3, status = 'answered' WHERE id = $1",
        uuid.UUID(request_id),
        sent_days_ago * 86400,
        after,
    )


async def test_a_service_s_usual_time_to_a_first_answer_is_the_median_over_90_days(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    service = await _new_service(hospital, requests_db, "Rhumatologie")
    quiet = await _new_service(hospital, requests_db, "Gériatrie")
    token = (await physicians.login(await physicians.create())).token
    for days_ago, hours in ((10, 1), (20, 3), (89, 5), (91, 100)):  # the last one is older than 90 days
        sent = await _sent(physicians, token, service, patient=_patient("Muster", "Anna"))
        await _answered(requests_db, sent.id, days_ago, timedelta(hours=hours))
    await _sent(physicians, token, service, patient=_patient("Muster", "Anna"))  # not answered yet
    await _sent(physicians, token, quiet, patient=_patient("Muster", "Anna"))

    async def medians(**asked: bool) -> dict[str, int | None]:
        listed = await physicians.call(api.LIST_SERVICES, api.ListServices(**asked), token=token)
        return {item.code: item.first_answer_median_seconds for item in listed.services}

    found = await medians(with_response_times=True)
    assert found[service] == 3 * 3600 and found[quiet] is None  # 1, 3 and 5 hours (100 is too old)
    assert (await medians())[service] is None  # not asked for

    web_request = await _sent(physicians, token, quiet, patient=_patient("Muster", "Anna"))
    await _answered(requests_db, web_request.id, 1, timedelta(hours=2, minutes=15))
    assert (await medians(with_response_times=True))[quiet] == 2 * 3600 + 15 * 60


async def test_the_form_shows_each_service_s_usual_time(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    service = await _new_service(hospital, requests_db, "Néphrologie")
    quiet = await _new_service(hospital, requests_db, "Dermatologie")
    doctor = await physicians.create()
    token = (await physicians.login(doctor)).token
    sent = await _sent(physicians, token, service, patient=_patient("Muster", "Anna"))
    await _answered(requests_db, sent.id, 3, timedelta(days=3, hours=2))
    web = await sign_in(doctor)
    page = await (await web.get("/requests/new/consultation")).text()
    usual = "Délai habituel d’une première réponse (médiane des 90 derniers jours) : "
    assert f'value="{service}|adults" data-usual="{usual}3\xa0jours"' in page
    assert f'value="{quiet}|adults" data-usual="{usual}pas encore de données"' in page
    assert "<li>Néphrologie: 3\xa0jours</li>" in page and "<li>Dermatologie: pas encore de données</li>" in page
    assert '<script src="/static/usual_times.js" defer></script>' in page
    assert (await web.get("/static/usual_times.js")).status == 200


async def test_the_filter_form_keeps_its_values_and_refuses_bad_ones(
    sign_in: SignIn, physicians: Physicians, requests_db: asyncpg.Pool, services: tuple[str, str]
) -> None:
    ent, _ = services
    doctor = await physicians.create()
    token = (await physicians.login(doctor)).token
    answered = await _sent(physicians, token, ent, patient=_patient("Muster", "Anna"), subject="Avis ORL")
    await _answered(requests_db, answered.id, 1, timedelta(hours=2, minutes=15, seconds=30))
    waiting = await _sent(physicians, token, ent, patient=_patient("Favre", "Luc"), subject="Second avis")
    await requests_db.execute("UPDATE requests SET status = 'received' WHERE id = $1", uuid.UUID(waiting.id))
    web = await sign_in(doctor)

    listing = await (await web.get("/requests")).text()
    assert '<form class="filters" method="get" action="/requests"' in listing
    assert "après 2\u202fh 15\xa0min" in listing and "pas encore de réponse" in listing
    assert '<option value="12m">Dans les 12 derniers mois</option>' in listing
    assert '<option value="information_needed">complément demandé</option>' in listing
    assert '<option value="tumor_board">Colloque</option>' in listing
    assert "Réinitialiser les filtres" not in listing

    query = f"kind=consultation&service={ent}&status=answered&patient=MUSTER&period=30d"
    filtered = await web.get(f"/requests?{query}")
    text = await filtered.text()
    assert filtered.status == 200 and "Avis ORL" in text and "Second avis" not in text
    for kept in (
        '<option value="consultation" selected>',
        f'<option value="{ent}" selected>ORL</option>',
        '<option value="answered" selected>',
        'value="MUSTER"',
        '<option value="30d" selected>',
    ):
        assert kept in text, kept
    assert '<a href="/requests">Réinitialiser les filtres</a>' in text
    none = await (await web.get("/requests?status=closed")).text()
    assert "Aucune demande ne correspond à ces filtres." in none

    shown = await (await web.get(f"/requests/{answered.id}")).text()
    assert "Première réponse" in shown and "après 2\u202fh 15\xa0min" in shown

    empty_form = await web.get("/requests?kind=&service=&status=&patient=&period=")  # the form sent untouched
    assert empty_form.status == 200 and "Second avis" in await empty_form.text()
    for bad in (
        "status=lost",
        "kind=letter",
        "period=7d",
        "patient=" + "x" * 101,
        "service=" + "S" * 65,
    ):
        refused = await web.get(f"/requests?{bad}")
        assert refused.status == 400 and "Requête invalide" in await refused.text(), bad
    for bad in ("page=0", "page=two", "page=2"):  # one page only
        assert (await web.get(f"/requests?{bad}")).status == 404, bad


async def test_the_list_s_pages_keep_the_filters(
    sign_in: SignIn, physicians: Physicians, services: tuple[str, str]
) -> None:
    doctor = await physicians.create()
    token = (await physicians.login(doctor)).token
    for _ in range(27):
        await _draft(physicians, token, services[0])
    web = await sign_in(doctor)
    first = await (await web.get("/requests?status=draft")).text()
    assert "27 demandes" in first and "Page 1 sur 2" in first
    assert 'href="/requests?status=draft&amp;page=2" rel="next"' in first
    second = await (await web.get("/requests?status=draft&page=2")).text()
    assert second.count("<tr>") == 3  # the heading and two requests
    assert (await web.get("/requests?status=draft&page=3")).status == 404


@pytest.mark.parametrize(
    ("delta", "french", "english"),
    [
        (timedelta(seconds=40), "<\xa01\xa0min", "<\xa01 min"),
        (timedelta(minutes=45, seconds=59), "45\xa0min", "45 min"),
        (timedelta(hours=2, minutes=15, seconds=30), "2\u202fh 15\xa0min", "2 hr 15 min"),
        (timedelta(hours=3), "3\u202fh", "3 hr"),
        (timedelta(hours=47, minutes=59), "47\u202fh 59\xa0min", "47 hr 59 min"),
        (timedelta(days=2), "2\xa0jours", "2 days"),
        (timedelta(days=3, hours=23), "3\xa0jours", "3 days"),
        (timedelta(seconds=-5), "<\xa01\xa0min", "<\xa01 min"),  # clocks apart: never a negative time
    ],
)
def test_a_duration_as_each_locale_says_it(delta: timedelta, french: str, english: str) -> None:
    assert LocaleFormats("fr").duration(delta) == french
    assert LocaleFormats("en").duration(delta) == english
