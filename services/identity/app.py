"""The identity service's table of subjects and handlers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

from common.bus import HandlerTable, endpoint
from common.contracts import accounts
from common.contracts import applications as apps
from common.contracts import identity as api
from common.contracts import registration as reg
from common.service import Runtime
from common.tokens import TokenIssuer

from . import (
    account_admin,
    application_admin,
    applications,
    credentials,
    directory,
    handlers,
    hin_login,
    housekeeping,
    id_copies,
    login_creation,
    open_sessions,
    profile,
    registration,
    validation,
)
from .assertions import AssertionSigner
from .config import IdentitySettings
from .sealing import Sealer


def make_setup(settings: IdentitySettings):  # type: ignore[no-untyped-def]
    """Bind the handlers to this process's resources once they are open."""

    async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
        deps = handlers.Deps(
            settings=settings,
            pool=runtime.pool,
            nc=runtime.nc,
            issuer=TokenIssuer.from_pem_file(settings.signing_key, settings.token_ttl_seconds),
            outbox=runtime.outbox,
            sealer=Sealer(settings.data_key),
            signer=AssertionSigner.from_pem_file(settings.assertion_signing_key, settings.public_url),
        )
        routes: HandlerTable = {
            api.LOGIN_PASSWORD: (handlers.login_password, api.PasswordLogin),
            api.LOGIN_CODE: (handlers.login_code, api.CodeLogin),
            api.HIN_BEGIN: (hin_login.begin, api.HinBegin),
            api.HIN_FINISH: (hin_login.finish, api.HinReturn),
            api.SESSION_RESOLVE: (handlers.resolve_session, api.SessionRef),
            api.SESSION_END: (handlers.end_session, api.SessionRef),
            reg.SUBMIT: (registration.submit, reg.RegistrationSubmission),
            accounts.SEARCH: (account_admin.search, accounts.AccountSearch),
            accounts.SET_STATUS: (account_admin.set_status, accounts.AccountStatus),
            accounts.UNLOCK: (account_admin.unlock, accounts.AccountRef),
            accounts.RESET_PASSWORD: (account_admin.reset_password, accounts.AccountRef),
            accounts.RESET_APP: (account_admin.reset_app, accounts.AccountRef),
            accounts.UNLINK_HIN: (account_admin.unlink_hin, accounts.AccountRef),
            accounts.MOBILE_CONTROL: (account_admin.send_mobile_control, accounts.MobileControl),
            accounts.MOBILE_CONFIRM: (account_admin.confirm_mobile, accounts.MobileConfirmation),
            accounts.STAFF_CREATE: (account_admin.create_staff, accounts.StaffCreation),
            reg.QUEUE: (validation.queue, reg.QueueQuery),
            reg.DETAIL: (validation.detail, reg.RequestRef),
            reg.CONTROL_SMS: (validation.send_control_sms, reg.RequestRef),
            reg.CONTROL_CONFIRM: (validation.confirm_control, reg.ControlCode),
            reg.SIGN: (validation.sign, reg.Validation),
            reg.CREATE_LOGIN: (login_creation.create_login, reg.LoginCreation),
            reg.ID_COPY_PART: (id_copies.receive_part, reg.IdCopyPart),
            reg.ID_COPY_READ: (id_copies.read, reg.IdCopyRead),
            api.DIRECTORY: (directory.search, api.DirectorySearch),
            api.PROFILE_GET: (profile.get_profile, api.SessionRef),
            api.PROFILE_SAVE: (profile.save_profile, api.ProfileUpdate),
            api.SESSIONS_LIST: (open_sessions.list_sessions, api.SessionRef),
            api.SESSIONS_END_ONE: (open_sessions.end_one_session, api.EndOneSession),
            api.PASSWORD_CHANGE_START: (credentials.start_password_change, api.PasswordChangeStart),
            api.PASSWORD_CHANGE_FINISH: (credentials.finish_password_change, api.ChangeConfirmation),
            api.MOBILE_CHANGE_START: (credentials.start_mobile_change, api.MobileChangeStart),
            api.MOBILE_CHANGE_FINISH: (credentials.finish_mobile_change, api.ChangeConfirmation),
            api.MOBILE_CHANGE_VERIFY: (credentials.verify_new_mobile, api.ChangeConfirmation),
            api.PHYSICIAN_LOOKUP: (handlers.physician_status, api.PhysicianLookup),
            api.CONTACT: (handlers.contact, api.ContactLookup),
            apps.CATALOGUE: (applications.catalogue, apps.SessionQuery),
            apps.ENROL: (applications.enrol, apps.ApplicationRef),
            apps.OPEN: (applications.open_application, apps.ApplicationRef),
            apps.KEYS: (applications.public_keys, api.Empty),
            apps.ADMIN_LIST: (application_admin.admin_list, apps.SessionQuery),
            apps.SAVE: (application_admin.save, apps.ApplicationSave),
            apps.DECIDE: (application_admin.decide, apps.Decision),
        }
        runtime.spawn(housekeeping.run(runtime.pool, settings.housekeeping_seconds), "housekeeping")
        await runtime.add_endpoints(
            {subject: endpoint(partial(handler, deps=deps), model) for subject, (handler, model) in routes.items()}
        )

    return setup
