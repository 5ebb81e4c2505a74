"""Model instances from hand-written SQL: the column list of a model and its row converters.

For the hottest statements only (the caller's participant on every request, the room
lock), where compiling an ORM query costs more CPU than running it. ``ModelColumns``
lists every concrete column of a model under a table alias, in field order, and turns a
slice of a result row into an instance as the ORM does (``Model.from_db`` after the
backend's and the fields' converters, so SQLite datetimes, booleans and the host's own
field types come out as the ORM gives them). Build the SQL with ``select`` and
``connection.ops.quote_name``; nothing here runs a query.
"""

from django.db import connection as default_connection


class ModelColumns:
    """The concrete columns of ``model`` selected under ``alias``."""

    def __init__(self, model, alias: str):
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self._converters: dict[str, list] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, connection=default_connection) -> str:
        """Return ``alias.col, alias.col, ...`` for a SELECT or RETURNING list."""
        quote = connection.ops.quote_name
        prefix = f"{self.alias}." if self.alias else ""
        return ", ".join(f"{prefix}{quote(field.column)}" for field in self.fields)

    def converters(self, connection) -> list:
        """Return ``(index, [converter...], column)`` for the columns that need converting."""
        vendor = connection.vendor
        if vendor not in self._converters:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                chain = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
                if chain:
                    found.append((index, chain, column))
            self._converters[vendor] = found
        return self._converters[vendor]

    def values(self, row, start: int = 0, connection=default_connection) -> list:
        """Return this model's converted values from ``row[start:start + len(self)]``."""
        values = list(row[start : start + len(self.fields)])
        for index, chain, column in self.converters(connection):
            value = values[index]
            for converter in chain:
                value = converter(value, column, connection)
            values[index] = value
        return values

    def instance(self, row, start: int = 0, connection=default_connection):
        """Return the model instance of ``row[start:start + len(self)]`` (loaded from ``connection``)."""
        return self.model.from_db(connection.alias, self.attnames, self.values(row, start, connection))


def pk_column(model) -> str:
    """Return the column name of ``model``'s primary key."""
    return str(model._meta.pk.column)


def can_update_returning(connection) -> bool:
    """Return whether ``connection``'s database returns rows from an UPDATE (``RETURNING``).

    Django 6 says so (``can_return_rows_from_update``); on older Django, PostgreSQL always
    and SQLite from 3.35 can.
    """
    known = getattr(connection.features, "can_return_rows_from_update", None)
    if known is not None:
        return bool(known)
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 35)
