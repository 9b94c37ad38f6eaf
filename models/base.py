"""Declarative base shared by every model: naming convention, typed ids, a safe repr."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, Integer, MetaData, func, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from models.types import UTCDateTime

# Every constraint gets a deterministic name from the first migration on, so Alembic can
# find it again (autogenerate, drop, SQLite batch mode) and error messages can be mapped
# back to the form field they concern. Exclusion constraints have no key here: they are
# named explicitly where they are declared.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# bigint identity on PostgreSQL (tables reach millions of rows); on SQLite only a plain
# INTEGER PRIMARY KEY is an alias of the rowid and autoincrements.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base class of all models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        # Read the identity from the instance state, never an attribute: attribute access
        # on an expired or detached object would emit SQL or raise.
        identity = inspect(self).identity
        key = ",".join(str(part) for part in identity) if identity else "transient"
        return f"<{type(self).__name__} {key}>"


class IdMixin:
    """A bigint identity primary key named ``id``."""

    id: Mapped[int] = mapped_column(BigIntId, Identity(), primary_key=True, sort_order=-1)


class TimestampMixin:
    """``created_at`` / ``updated_at`` kept by the database clock, in UTC."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), nullable=False, sort_order=99
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        server_default=func.now(),
        onupdate=func.now(),
        nullable=False,
        sort_order=99,
    )
