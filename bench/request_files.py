"""7b and 7c. Requests with files, from a physician's browser (multipart: the form's fields, then
the PDF; the CSRF token in the query, as the form's script sends it):

- submitting a consultation with a 5 MiB PDF, one after the other: from the start of the POST to
  the request arriving on `portal.requests.submitted`, as the `hospital` user subscribes to it;
- the gateway's VmRSS, sampled every 50 ms, while ten 20 MiB PDFs upload at once (each a draft
  saved with its file): the gateway streams each file to the requests service part by part.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
from nats.aio.msg import Msg

from common.contracts import hospital_requests as contract
from deploy import hospital_sim

from .context import Bench
from .download_memory import rss, rss_sampled
from .physicians import Browser, create_physicians
from .report import mb, ms, percentile
from .staff_inbox import new_service

MIB = 1024 * 1024
SUBMISSION_FLOOR = 1.0  # seconds, p99
MEMORY_FLOOR = 30_000_000  # bytes the uploads may add to the gateway
FORM = "/requests/new/consultation"
SUBMISSION_WARM_UP = 3
ARRIVAL_TIMEOUT = 60.0


def a_pdf(size: int, salt: str) -> bytes:
    """A real PDF's first bytes, padded to `size` with bytes of its own."""
    head = hospital_sim.make_pdf("Lettre de consultation", [salt])
    pad = hashlib.sha256(salt.encode()).digest()
    return (head + pad * ((size - len(head)) // len(pad) + 1))[:size]


def _form(code: str, action: str, subject: str, pdf: bytes) -> aiohttp.FormData:
    """The consultation form as a browser sends it: its text fields first, then its file."""
    form = aiohttp.FormData(default_to_multipart=True)
    fields = {
        "service": f"{code}|adults",
        "subject": subject,
        "urgency": "routine",
        "reason": "Douleurs thoraciques à l’effort",
        "question": "Coronarographie indiquée ?",
        "family_name": "Muster",
        "given_name": "Anna",
        "birth_date": "1964-03-02",
        "sex": "female",
        "action": action,
    }
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("files", pdf, filename="lettre.pdf", content_type="application/pdf")
    return form


async def post_form(browser: Browser, token: str, form: aiohttp.FormData) -> str:
    """POST the consultation form; the request's id (from the 303's Location)."""
    async with browser.session.post(
        f"{browser.base}{FORM}?csrf_token={token}",
        data=form,
        headers={"Origin": browser.base},
        allow_redirects=False,
        timeout=aiohttp.ClientTimeout(total=300),
    ) as response:
        await response.read()
        location = response.headers.get("Location", "")
        if response.status != 303 or not location.startswith("/requests/"):
            raise RuntimeError(f"POST {FORM} answered {response.status} ({location or 'no Location'})")
        return location.removeprefix("/requests/")


@dataclass
class Arrivals:
    """When each request arrived on `portal.requests.submitted` (monotonic clock), by id."""

    seen: dict[str, float] = field(default_factory=dict)
    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    async def on_message(self, msg: Msg) -> None:
        arrived = time.monotonic()
        request_id = json.loads(msg.data)["request"]["id"]
        self.seen[request_id] = arrived
        if (future := self.waiting.pop(request_id, None)) is not None and not future.done():
            future.set_result(arrived)

    async def of(self, request_id: str) -> float:
        if request_id in self.seen:
            return self.seen[request_id]
        future = self.waiting.setdefault(request_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(future, ARRIVAL_TIMEOUT)


@dataclass
class Submissions:
    latencies: list[float] = field(default_factory=list)  # POST started -> on portal.requests.submitted
    answered: list[float] = field(default_factory=list)  # POST started -> the 303


async def measure_submissions(bench: Bench, browser: Browser, code: str, count: int, size: int) -> Submissions:
    result = Submissions()
    arrivals = Arrivals()
    hospital = await bench.stack.connect_nats("hospital")
    try:
        subscription = await hospital.subscribe(contract.SUBMITTED, cb=arrivals.on_message)
        await hospital.flush()
        for number in range(SUBMISSION_WARM_UP + count):
            salt = uuid.uuid4().hex
            form = _form(code, "submit", f"Avis {salt[:8]}", a_pdf(size, salt))
            token = await browser.csrf(FORM)
            started = time.monotonic()
            request_id = await post_form(browser, token, form)
            answered = time.monotonic()
            arrived = await arrivals.of(request_id)
            if number >= SUBMISSION_WARM_UP:
                result.latencies.append(arrived - started)
                result.answered.append(answered - started)
        await subscription.unsubscribe()
    finally:
        await hospital.close()
    return result


@dataclass
class UploadMemory:
    rss_before: int = 0  # bytes
    rss_peak: int = 0
    seconds: float = 0.0
    samples: int = 0
    outcomes: list[str] = field(default_factory=list)

    @property
    def increase(self) -> int:
        return max(0, self.rss_peak - self.rss_before)


async def measure_upload_memory(browser: Browser, gateway_pid: int, code: str, count: int, size: int) -> UploadMemory:
    """`count` forms with a PDF of `size` bytes each, posted at once (drafts saved with their file)."""
    result = UploadMemory()
    pdf = a_pdf(size, "ten at once")  # the same bytes for all: the load generator holds one copy
    tokens = [await browser.csrf(FORM) for _ in range(count)]
    await asyncio.sleep(0.5)
    result.rss_before = rss(gateway_pid)

    async def upload(number: int) -> str:
        try:
            await post_form(browser, tokens[number], _form(code, "save", f"Dossier {number}", pdf))
            return "303"
        except (RuntimeError, TimeoutError, aiohttp.ClientError) as exc:
            return f"{type(exc).__name__}: {exc}"

    started = time.monotonic()
    async with rss_sampled(gateway_pid) as samples:
        result.outcomes = list(await asyncio.gather(*(upload(number) for number in range(count))))
        result.seconds = time.monotonic() - started
    result.rss_peak, result.samples = max(samples), len(samples)
    return result


async def request_files_section(bench: Bench) -> None:
    stack, args, report = bench.stack, bench.args, bench.report
    report.title(
        f"7b. Requests: submitting a consultation with a {args.submission_mib} MiB PDF, "
        f"{args.submissions} one after the other (after {SUBMISSION_WARM_UP} unmeasured)"
    )
    bench.phase("requests with files: a physician and a service")
    code = await new_service(stack, [])
    [physician] = await create_physicians(stack, 1)
    browser = Browser(stack.config.public_url, connections=args.uploads)
    try:
        await browser.log_in(physician, stack.outbox_dir)
        bench.phase("requests with files: submissions")
        sent = await measure_submissions(bench, browser, code, args.submissions, args.submission_mib * MIB)
        p99 = percentile(sent.latencies, 0.99)
        report.figure("submission to the hospital, p50", ms(percentile(sent.latencies, 0.50)))
        report.figure("submission to the hospital, p99", ms(p99), "≤ 1 s", p99 <= SUBMISSION_FLOOR)
        report.note(
            f"from the POST's start to the request on {contract.SUBMITTED}; the POST's own answer (303) "
            f"p50/p99 {ms(percentile(sent.answered, 0.50))} / {ms(percentile(sent.answered, 0.99))}"
        )
        await bench.drain("the submissions")

        report.title(f"7c. Memory: the gateway while {args.uploads} PDFs of {args.upload_mib} MiB upload at once")
        bench.phase("requests with files: uploads at once")
        memory = await measure_upload_memory(
            browser, bench.peaks.table.pid_of("gateway"), code, args.uploads, args.upload_mib * MIB
        )
    finally:
        await browser.close()
    complete = all(outcome == "303" for outcome in memory.outcomes)
    if not complete:
        report.note(f"uploads: {memory.outcomes}")
    report.figure(
        "gateway RSS increase, uploads at once",
        mb(memory.increase),
        "≤ 30 MB",
        complete and memory.increase <= MEMORY_FLOOR,
    )
    total = args.uploads * args.upload_mib
    report.note(
        f"VmRSS before {mb(memory.rss_before)}, peak {mb(memory.rss_peak)} ({memory.samples} samples every 50 ms); "
        f"{total:,} MiB in {memory.seconds:.1f} s ({total / memory.seconds:,.1f} MiB/s)"
        + ("" if complete else " - INCOMPLETE")
    )
