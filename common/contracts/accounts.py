"""Administrators' work on accounts (F11): list and search, deactivate and reactivate, unlock.
Identity checks the caller's role from the session itself: to anyone else, these do not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from .base import Message, Role, StaffRole, hidden
from .phones import MobileNumber

AccountState = Literal["pending", "active", "deactivated"]
LoginName = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9._-]{2,39}$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LOGIN_TAKEN = "this login name is already taken"


class AccountSearch(Message):
    text: str | None = Field(default=None, max_length=100, description="name, login, email, GLN or RPPS; ignores case")
    role: Role | None = None
    status: AccountState | None = None
    locked_only: bool = False
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


class AccountListing(Message):
    id: str
    login: str | None
    family_name: str
    given_name: str
    role: Role
    status: AccountState
    email: str
    number: str | None = Field(description="gln:<13 digits> or rpps:<11 digits> for a physician")
    locked: bool
    created_at: datetime
    mobile: str | None = None
    pending_mobile: str | None = Field(default=None, description="waiting for its control code")
    app_enrolled: bool = Field(default=False, description="staff: an authenticator app is enrolled")
    hin_linked: bool = Field(default=False, description="a HIN identity opens this account")


class AccountPage(Message):
    items: list[AccountListing]
    total: int
    page: int
    per_page: int


class AccountStatus(Message):
    id: str = Field(min_length=1, max_length=64)
    active: bool


class MobileControl(Message):
    """A new mobile number for the account: a control code goes to it."""

    id: str = Field(min_length=1, max_length=64)
    mobile: MobileNumber


class MobileConfirmation(Message):
    """The code the physician reads back from the new number."""

    id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=20)


class AccountRef(Message):
    id: str = Field(min_length=1, max_length=64)


class StaffCreation(Message):
    """An administrator creates a hospital staff member's login: a temporary password goes to the
    email; at the first login the authenticator app is enrolled, then the password changed (the
    mobile number receives that change's code)."""

    login: LoginName
    role: StaffRole
    family_name: Name
    given_name: Name
    email: EmailStr = Field(max_length=254)
    mobile: MobileNumber


SEARCH_ACCOUNTS = hidden("identity.api.accounts.search", AccountSearch, AccountPage)
SET_ACCOUNT_STATUS = hidden("identity.api.accounts.status", AccountStatus, AccountListing)
UNLOCK_ACCOUNT = hidden("identity.api.accounts.unlock", AccountRef, AccountListing)
RESET_PASSWORD = hidden("identity.api.accounts.reset_password", AccountRef, AccountListing)
RESET_APP = hidden("identity.api.accounts.reset_app", AccountRef, AccountListing)
UNLINK_HIN = hidden("identity.api.accounts.unlink_hin", AccountRef, AccountListing)
SEND_MOBILE_CONTROL = hidden("identity.api.accounts.mobile.control", MobileControl, AccountListing)
CONFIRM_MOBILE = hidden("identity.api.accounts.mobile.confirm", MobileConfirmation, AccountListing)
CREATE_STAFF = hidden("identity.api.accounts.staff.create", StaffCreation, AccountListing)
