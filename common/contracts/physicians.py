"""How a physician is named on the bus: a Swiss GLN or a French RPPS number."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from stdnum import ean, luhn


def _gln(value: str) -> str:
    if len(value) != 13 or not value.isdigit() or not ean.is_valid(value):
        raise ValueError("a GLN has 13 digits and a valid GS1 check digit")
    return value


def _rpps(value: str) -> str:
    if len(value) != 11 or not value.isdigit() or not luhn.is_valid(value):
        raise ValueError("an RPPS number has 11 digits and a valid Luhn check digit")
    return value


Gln = Annotated[str, AfterValidator(_gln)]
Rpps = Annotated[str, AfterValidator(_rpps)]


class PhysicianRef(BaseModel):
    """Exactly one of `gln` or `rpps`."""

    model_config = ConfigDict(frozen=True)

    gln: Gln | None = None
    rpps: Rpps | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PhysicianRef:
        if (self.gln is None) == (self.rpps is None):
            raise ValueError("give exactly one of gln or rpps")
        return self

    @property
    def key(self) -> str:
        """A single string naming the physician, e.g. `gln:7601000000002`."""
        return f"gln:{self.gln}" if self.gln else f"rpps:{self.rpps}"

    @classmethod
    def from_key(cls, key: str) -> PhysicianRef:
        kind, _, number = key.partition(":")
        if kind == "gln":
            return cls(gln=number)
        if kind == "rpps":
            return cls(rpps=number)
        raise ValueError("unknown physician identifier kind")

    def model_dump_contract(self) -> dict[str, str]:
        return {"gln": self.gln} if self.gln else {"rpps": self.rpps}  # type: ignore[dict-item]
