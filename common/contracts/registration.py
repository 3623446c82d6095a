"""Registration for SMS login (F5.3): the fields of the paper form, checked where they are typed
(the gateway, to show each field's problem) and again where they are kept (identity)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from .phones import MobileNumber
from .physicians import Gln, Rpps

SUBMIT = "identity.api.registration.submit"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class RegistrationForm(BaseModel):
    """The applicant's section of the form; every field is required but the address's second line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family_name: Text
    given_name: Text
    street: Text
    address_extra: OptionalText = ""
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4,5}$")]
    city: Text
    country: Literal["CH", "FR"]
    email: EmailStr
    mobile: MobileNumber
    gln: Gln | None = None
    rpps: Rpps | None = None
    screening_access: bool = Field(description="asks for the cancer screening application (MC-SIS, specific charter)")
    signed_place: Text
    signed: Literal[True] = Field(description="the applicant certifies the form, in place of a signature")

    @model_validator(mode="after")
    def _one_number(self) -> "RegistrationForm":
        if (self.gln is None) == (self.rpps is None):
            raise ValueError("give a GLN (Switzerland) or an RPPS number (France)")
        return self


class RegistrationSubmission(BaseModel):
    """What the gateway sends: the form and where it came from (for the audit and the limits)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    form: RegistrationForm
    client_ip: str = Field(default="", max_length=64)


class RegistrationReceived(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str = Field(description="short, to quote to the support and the validator")


ALREADY_KNOWN = "an account or a pending request already exists for this GLN or RPPS number"
