"""The identity service's table of subjects and handlers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

import httpx2

from common.bus import Handlers
from common.contracts import accounts
from common.contracts import applications as apps
from common.contracts import identity as api
from common.contracts import recovery as forgotten
from common.contracts import registration as reg
from common.contracts import support as help_desk
from common.service import Runtime
from common.tokens import TokenIssuer

from . import (
    account_admin,
    application_admin,
    applications,
    credentials,
    directory,
    hin_login,
    housekeeping,
    id_copies,
    login,
    login_creation,
    lookups,
    open_sessions,
    password_policy,
    profile,
    recovery,
    registration,
    session_ends,
    support,
    unlocking,
    validation,
)
from .assertions import AssertionSigner
from .config import IdentitySettings
from .deps import Deps
from .passwords import Passwords
from .sealing import Sealer


def make_setup(settings: IdentitySettings):  # type: ignore[no-untyped-def]
    """Bind the handlers to this process's resources once they are open."""

    async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
        passwords = Passwords()
        stack.callback(passwords.close)
        deps = Deps(
            settings=settings,
            pool=runtime.pool,
            nc=runtime.nc,
            issuer=TokenIssuer.from_pem_file(settings.signing_key, settings.token_ttl_seconds),
            outbox=runtime.outbox,
            sealer=Sealer(settings.data_key),
            signer=AssertionSigner.from_pem_file(settings.assertion_signing_key, settings.public_url),
            passwords=passwords,
            common_passwords=password_policy.load_common_passwords(),
            # Loading the CA bundle costs some 20 ms of the event loop: once, not twice a login.
            hin_tls=httpx2.create_ssl_context() if settings.hin is not None else None,
        )
        # Each request announces the sessions it ended, once it is done (session_ends).
        table = Handlers(
            deps, runtime.outages, deps.issuer.verifier(), scope=partial(session_ends.announced, runtime.nc)
        )
        # Logging in, and the session itself.
        table.add(api.LOG_IN_WITH_PASSWORD, login.login_password)
        table.add(api.LOG_IN_WITH_CODE, login.login_code)
        table.add(api.LOGIN_CODE_SENT, login.login_code_sent)
        table.add(api.RESEND_LOGIN_CODE, login.resend_login_code)
        table.add(api.ASK_UNLOCK, unlocking.ask_unlock)
        table.add(api.UNLOCK_WITH_CODE, unlocking.unlock_with_code)
        table.add(forgotten.ASK_RECOVERY, recovery.ask)
        table.add(forgotten.CHECK_RECOVERY_LINK, recovery.check_link)
        table.add(forgotten.START_RECOVERY, recovery.start)
        table.add(forgotten.FINISH_RECOVERY, recovery.finish)
        table.add(api.BEGIN_HIN_LOGIN, hin_login.begin)
        table.add(api.FINISH_HIN_LOGIN, hin_login.finish)
        table.add(api.RESOLVE_SESSION, login.resolve_session)
        table.add(api.END_SESSION, login.end_session)
        # A physician's own account.
        table.add(api.GET_PROFILE, profile.get_profile)
        table.add(api.SAVE_PROFILE, profile.save_profile)
        table.add(api.LIST_SESSIONS, open_sessions.list_sessions)
        table.add(api.END_OTHER_SESSION, open_sessions.end_one_session)
        table.add(api.END_OTHER_SESSIONS, open_sessions.end_other_sessions)
        table.add(api.START_PASSWORD_CHANGE, credentials.start_password_change)
        table.add(api.FINISH_PASSWORD_CHANGE, credentials.finish_password_change)
        table.add(api.START_MOBILE_CHANGE, credentials.start_mobile_change)
        table.add(api.CONFIRM_MOBILE_CHANGE, credentials.finish_mobile_change)
        table.add(api.VERIFY_NEW_MOBILE, credentials.verify_new_mobile)
        # Secure applications.
        table.add(apps.LIST_CATALOGUE, applications.catalogue)
        table.add(apps.ENROL, applications.enrol)
        table.add(apps.OPEN_APPLICATION, applications.open_application)
        table.add(apps.GET_PUBLIC_KEYS, applications.public_keys)
        table.add(apps.LIST_FOR_ADMIN, application_admin.admin_list)
        table.add(apps.SAVE_APPLICATION, application_admin.save)
        table.add(apps.DECIDE_ENROLMENT, application_admin.decide)
        # Registration and its validation.
        table.add(reg.SUBMIT_REGISTRATION, registration.submit)
        table.add(reg.STORE_APPLICANT_COPY, id_copies.receive_applicant_part)
        table.add(reg.LIST_REQUESTS, validation.queue)
        table.add(reg.GET_REQUEST, validation.detail)
        table.add(reg.SEND_CONTROL_SMS, validation.send_control_sms)
        table.add(reg.CONFIRM_CONTROL, validation.confirm_control)
        table.add(reg.SIGN_VALIDATION, validation.sign)
        table.add(reg.CREATE_LOGIN, login_creation.create_login)
        table.add(reg.REFUSE_REQUEST, validation.refuse)
        table.add(reg.STORE_ID_COPY_PART, id_copies.receive_part)
        table.add(reg.READ_ID_COPY, id_copies.read)
        # Administrators' work on accounts, and the staff's directory.
        table.add(accounts.SEARCH_ACCOUNTS, account_admin.search)
        table.add(accounts.SET_ACCOUNT_STATUS, account_admin.set_status)
        table.add(accounts.UNLOCK_ACCOUNT, account_admin.unlock)
        table.add(accounts.RESET_PASSWORD, account_admin.reset_password)
        table.add(accounts.RESET_APP, account_admin.reset_app)
        table.add(accounts.UNLINK_HIN, account_admin.unlink_hin)
        table.add(accounts.SEND_MOBILE_CONTROL, account_admin.send_mobile_control)
        table.add(accounts.CONFIRM_MOBILE, account_admin.confirm_mobile)
        table.add(accounts.CREATE_STAFF, account_admin.create_staff)
        table.add(api.SEARCH_DIRECTORY, directory.search)
        # The help page's contact form, and its messages for the administrators.
        table.add(help_desk.WRITE_TO_SUPPORT, support.write_anonymously)
        table.add(help_desk.WRITE_TO_SUPPORT_SIGNED, support.write_from_session)
        table.add(help_desk.LIST_SUPPORT_MESSAGES, support.inbox)
        # Other services.
        table.add(api.LOOK_UP_PHYSICIAN, lookups.physician_status)
        table.add(api.FIND_CONTACT, lookups.contact)
        housekeeping_passes = runtime.outages.periodically(
            partial(housekeeping.one_pass, runtime.pool), settings.housekeeping_seconds, "housekeeping"
        )
        runtime.spawn(housekeeping_passes, "housekeeping")
        await runtime.add_endpoints(table)

    return setup
