"""Administrators' work on accounts (F11): list and search, deactivate and reactivate, unlock.
Identity checks the caller's role from the session itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from .phones import MobileNumber

SEARCH = "identity.api.accounts.search"
SET_STATUS = "identity.api.accounts.status"
UNLOCK = "identity.api.accounts.unlock"
RESET_PASSWORD = "identity.api.accounts.reset_password"
RESET_APP = "identity.api.accounts.reset_app"
UNLINK_HIN = "identity.api.accounts.unlink_hin"
MOBILE_CONTROL = "identity.api.accounts.mobile.control"
MOBILE_CONFIRM = "identity.api.accounts.mobile.confirm"
STAFF_CREATE = "identity.api.accounts.staff.create"

Secret = Field(min_length=1, max_length=1024)
Role = Literal["physician", "validator", "admin", "service_staff"]
StaffRole = Literal["validator", "admin", "service_staff"]
LoginName = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9._-]{2,39}$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LOGIN_TAKEN = "this login name is already taken"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountSearch(_Message):
    session: str = Secret
    text: str | None = Field(default=None, max_length=100, description="name, login, email, GLN or RPPS; ignores case")
    role: Role | None = None
    status: Literal["pending", "active", "deactivated"] | None = None
    locked_only: bool = False
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


class AccountListing(_Message):
    id: str
    login: str | None
    family_name: str
    given_name: str
    role: Role
    status: Literal["pending", "active", "deactivated"]
    email: str
    number: str | None = Field(description="gln:<13 digits> or rpps:<11 digits> for a physician")
    locked: bool
    created_at: datetime
    mobile: str | None = None
    pending_mobile: str | None = Field(default=None, description="waiting for its control code")
    app_enrolled: bool = Field(default=False, description="staff: an authenticator app is enrolled")
    hin_linked: bool = Field(default=False, description="a HIN identity opens this account")


class AccountPage(_Message):
    items: list[AccountListing]
    total: int
    page: int
    per_page: int


class AccountStatus(_Message):
    session: str = Secret
    id: str = Field(min_length=1, max_length=64)
    active: bool


class MobileControl(_Message):
    """A new mobile number for the account: a control code goes to it."""

    session: str = Secret
    id: str = Field(min_length=1, max_length=64)
    mobile: MobileNumber


class MobileConfirmation(_Message):
    """The code the physician reads back from the new number."""

    session: str = Secret
    id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=20)


class AccountRef(_Message):
    session: str = Secret
    id: str = Field(min_length=1, max_length=64)


class StaffCreation(_Message):
    """An administrator creates a hospital staff member's login: a temporary password goes to the
    email; at the first login the authenticator app is enrolled, then the password changed (the
    mobile number receives that change's code)."""

    session: str = Secret
    login: LoginName
    role: StaffRole
    family_name: Name
    given_name: Name
    email: EmailStr = Field(max_length=254)
    mobile: MobileNumber
