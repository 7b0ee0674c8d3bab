"""Administrative regions: the 12-digit code tree (省/市/县/乡/村)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base
from server.roles import LEVEL_CODES

_LEVEL_CHECK = "level IN (" + ", ".join(f"'{lv}'" for lv in LEVEL_CODES) + ")"


class Region(Base):
    """One region. `vintage` is the year of the statistical code table the code comes from."""

    __tablename__ = "regions"
    __table_args__ = (CheckConstraint(_LEVEL_CHECK, name="level"),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(128))
    vintage: Mapped[int] = mapped_column(Integer)
