"""Creating accounts directly in identity's schema, for the demo data and the tests.

In the portal itself accounts come from registration, validation and login creation
(`login_creation.py`), from HIN (`hin_login.py`), or from an administrator (`account_admin.py`).
"""

from __future__ import annotations

import uuid

from common.contracts.accounts import AccountState
from common.contracts.base import Role
from common.db import Connection

from . import store
from .login import normalise_login
from .passwords import Passwords


async def create_account(
    conn: Connection,
    passwords: Passwords,
    *,
    login: str,
    password: str,
    family_name: str,
    given_name: str,
    email: str,
    mobile: str,
    gln: str | None = None,
    rpps: str | None = None,
    status: AccountState = "active",
    locale: str = "fr",
    role: Role = "physician",
) -> str:
    """Insert an account (a physician's unless `role` says otherwise) and return its id."""
    account = store.Account(
        id=str(uuid.uuid4()),
        login=normalise_login(login),
        password_hash=await passwords.hash(password),
        role=role,
        status=status,
        family_name=family_name,
        given_name=given_name,
        email=email,
        mobile=mobile,
        gln=gln,
        rpps=rpps,
        locale=locale,
        notify_new_documents="each",
    )
    await store.insert_account(conn, account)
    # Made whole here, not through registration: nothing left to confirm at the first login.
    await conn.execute("UPDATE accounts SET profile_confirmed_at = now() WHERE id = $1", uuid.UUID(account.id))
    return account.id
