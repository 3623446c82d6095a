"""The one table of the gateway's routes."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .config import GatewaySettings
from .i18n import LOCALES
from .views import (
    application_admin,
    applications,
    audit_log,
    hin_login,
    inboxes,
    recovery,
    requests,
    services_admin,
    support,
    unlocking,
)
from .views import notifications as notification_log
from .views.accounts import (
    ACCOUNT_ID,
    accounts_page,
    create_staff,
    deactivate,
    mobile_confirm,
    mobile_control,
    new_staff_form,
    reactivate,
    reset_app,
    reset_password,
    unlink_hin,
    unlock,
)
from .views.admin import undelivered
from .views.applications import APP_ID
from .views.auth import code, code_form, login, login_form, logout, resend_code
from .views.contents import download_document, view_document
from .views.credentials import (
    MOBILE,
    PASSWORD,
    code_page,
    finish_change,
    form_page,
    start_mobile_change,
    start_password_change,
)
from .views.dev_outbox import dev_outbox
from .views.directory import directory_page
from .views.documents import (
    OPAQUE_ID,
    document_page,
    document_tab,
    home,
    list_documents,
    mark_all_read,
    mark_read,
    mark_unread,
)
from .views.events import events
from .views.health import healthz
from .views.id_copies import upload_id_copy, view_id_copy
from .views.language import switch_language
from .views.legal import legal_page, privacy_page
from .views.open_sessions import SESSION_ID, end_other_sessions, end_session, sessions_page
from .views.patients import list_patients, patient_documents
from .views.profile import profile_page, save_profile
from .views.registration import registration_form, registration_sent, submit_registration
from .views.validation import (
    REQUEST_ID,
    confirm_control,
    create_login,
    queue_page,
    refuse,
    request_page,
    send_control_sms,
    sign,
)

STATIC_DIR = Path(__file__).parent / "static"


def routes(settings: GatewaySettings) -> list[web.AbstractRouteDef]:
    """Every route; the development outbox exists only in development."""
    document = f"/documents/{{id:{OPAQUE_ID}}}"
    account = f"/admin/accounts/{{id:{ACCOUNT_ID}}}"
    validation = f"/validation/{{id:{REQUEST_ID}}}"
    table = [
        web.get("/", home),
        web.get("/login", login_form),
        web.post("/login", login),
        web.get("/login/code", code_form),
        web.post("/login/code", code),
        web.post("/login/code/resend", resend_code),
        web.get("/login/unlock", unlocking.unlock_form),
        web.post("/login/unlock", unlocking.ask_unlock),
        web.get("/login/unlock/code", unlocking.unlock_code_form),
        web.post("/login/unlock/code", unlocking.unlock),
        web.post("/login/hin", hin_login.start),
        web.get("/login/hin/callback", hin_login.callback),
        web.post("/logout", logout),
        web.get("/register", registration_form),
        web.post("/register", submit_registration),
        web.get("/register/sent", registration_sent),
        web.get("/help", support.help_page),
        web.get("/legal", legal_page),
        web.get("/privacy", privacy_page),
        web.post("/help/contact", support.contact),
        web.get("/login/forgot", recovery.forgot_form),
        web.post("/login/forgot", recovery.ask),
        web.get("/login/forgot/sent", recovery.forgot_sent),
        web.get("/login/recover", recovery.new_password_form),
        web.post("/login/recover", recovery.start),
        web.get("/login/recover/code", recovery.code_form),
        web.post("/login/recover/code", recovery.finish),
        web.get("/profile", profile_page),
        web.post("/profile", save_profile),
        web.get("/profile/password", form_page(PASSWORD)),
        web.post("/profile/password", start_password_change),
        web.get("/profile/password/code", code_page(PASSWORD)),
        web.post("/profile/password/code", finish_change(PASSWORD)),
        web.get("/profile/mobile", form_page(MOBILE)),
        web.post("/profile/mobile", start_mobile_change),
        web.get("/profile/mobile/code", code_page(MOBILE)),
        web.post("/profile/mobile/code", finish_change(MOBILE)),
        web.get("/profile/sessions", sessions_page),
        web.get("/profile/notifications", notification_log.my_notifications),
        web.post(f"/profile/sessions/{{id:{SESSION_ID}}}/end", end_session),
        web.post("/profile/sessions/end-others", end_other_sessions),
        web.get("/patients", list_patients),
        web.get(f"/patients/{{id:{OPAQUE_ID}}}", patient_documents),
        web.get("/documents", list_documents),
        web.post("/documents/read", mark_all_read),
        web.get(f"{document}/tab", document_tab),
        web.get(document, document_page),
        # No HEAD: each GET of a content is a traced view or download (F1.6).
        web.get(f"{document}/view", view_document, allow_head=False),
        web.get(f"{document}/download", download_document, allow_head=False),
        web.post(f"{document}/read", mark_read),
        web.post(f"{document}/unread", mark_unread),
        web.get("/events", events, allow_head=False),
        web.get("/admin/undelivered", undelivered),
        web.get("/admin/support", support.messages_page),
        web.get("/admin/notifications", notification_log.search_notifications),
        web.get("/admin/accounts", accounts_page),
        web.get("/admin/accounts/new", new_staff_form),
        web.post("/admin/accounts/new", create_staff),
        web.post(f"{account}/deactivate", deactivate),
        web.post(f"{account}/reactivate", reactivate),
        web.post(f"{account}/unlock", unlock),
        web.post(f"{account}/reset-password", reset_password),
        web.post(f"{account}/reset-app", reset_app),
        web.post(f"{account}/unlink-hin", unlink_hin),
        web.post(f"{account}/mobile", mobile_control),
        web.post(f"{account}/mobile/confirm", mobile_confirm),
        web.get("/applications", applications.catalogue_page),
        web.post(f"/applications/{{id:{APP_ID}}}/enrolment", applications.enrol),
        web.post(f"/applications/{{id:{APP_ID}}}/open", applications.open_application),
        web.get("/.well-known/jwks.json", applications.public_keys),
        web.get("/admin/applications", application_admin.admin_page),
        web.get("/admin/applications/new", application_admin.new_form),
        web.post("/admin/applications", application_admin.save),
        web.get(f"/admin/applications/{{id:{APP_ID}}}", application_admin.edit_form),
        web.post(f"/admin/applications/{{id:{APP_ID}}}", application_admin.save),
        web.post(
            f"/admin/applications/{{id:{APP_ID}}}/enrolments/{{account:{APP_ID}}}/grant", application_admin.decide(True)
        ),
        web.post(
            f"/admin/applications/{{id:{APP_ID}}}/enrolments/{{account:{APP_ID}}}/refuse",
            application_admin.decide(False),
        ),
        web.get("/requests", requests.my_requests),
        web.get(f"/requests/new/{{kind:{requests.KINDS}}}", requests.new_form),
        web.post(f"/requests/new/{{kind:{requests.KINDS}}}", requests.save),
        web.post(f"/requests/new/{{kind:{requests.KINDS}}}/autosave", requests.autosave),
        web.get(f"/requests/{{id:{requests.REQUEST_ID}}}", requests.request_page),
        web.post(f"/requests/{{id:{requests.REQUEST_ID}}}", requests.save),
        web.post(f"/requests/{{id:{requests.REQUEST_ID}}}/autosave", requests.autosave),
        web.post(f"/requests/{{id:{requests.REQUEST_ID}}}/reply", requests.reply),
        web.get(f"/requests/{{id:{requests.REQUEST_ID}}}/files/{{file:{requests.FILE_ID}}}", requests.view_file),
        web.get("/inbox", inboxes.inbox_page),
        web.get(f"/inbox/requests/{{id:{requests.REQUEST_ID}}}", inboxes.request_page),
        web.post(f"/inbox/requests/{{id:{requests.REQUEST_ID}}}/{{step:{inboxes.STEPS}}}", inboxes.step),
        web.post(f"/inbox/requests/{{id:{requests.REQUEST_ID}}}/answer", inboxes.answer),
        web.get("/admin/services", services_admin.services_page),
        web.get("/admin/services/new", services_admin.new_form),
        web.post("/admin/services", services_admin.save),
        web.get(f"/admin/services/{{id:{services_admin.SERVICE_CODE}}}", services_admin.edit_form),
        web.post(f"/admin/services/{{id:{services_admin.SERVICE_CODE}}}", services_admin.save),
        web.post(f"/admin/services/{{id:{services_admin.SERVICE_CODE}}}/members", services_admin.save_members),
        web.get("/admin/audit", audit_log.audit_page),
        web.get("/activity", audit_log.activity_page),
        web.get("/.well-known/audit-checkpoint-key.pem", audit_log.checkpoint_key),
        web.get("/directory", directory_page),
        web.get("/validation", queue_page),
        web.get(validation, request_page),
        web.post(f"{validation}/control", send_control_sms),
        web.post(f"{validation}/control/confirm", confirm_control),
        web.post(f"{validation}/sign", sign),
        web.post(f"{validation}/login", create_login),
        web.post(f"{validation}/refuse", refuse),
        web.post(f"{validation}/id-copy", upload_id_copy),
        web.get(f"{validation}/id-copy", view_id_copy, allow_head=False),
        web.get(f"/lang/{{locale:{'|'.join(LOCALES)}}}", switch_language),
        web.get("/healthz", healthz),
        web.static("/static", STATIC_DIR),
    ]
    if settings.dev_outbox_enabled:
        table.append(web.get("/dev/outbox", dev_outbox))
    return table
