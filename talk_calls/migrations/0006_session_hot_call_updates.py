"""Take ``in_call`` out of the session indexes (the partial index on in-call sessions), and
on PostgreSQL leave 60 % of each page of the session table free (fillfactor 40).

Together they make every change of a session's call flags a heap-only (HOT) update: ending
a call for 5,000 sessions wrote a new entry into every index of the table for each of them
(the flags were in the partial index's condition, so no update of them was HOT), and with
20 % free space most new row versions did not fit on their page. The fillfactor applies to
pages written from now on; ``VACUUM FULL talk_calls_session`` applies it to an existing table.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor, value=40):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("talk_calls", "Session")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor):
    set_fillfactor(apps, schema_editor, value=80)


class Migration(migrations.Migration):

    dependencies = [
        ("talk_calls", "0005_room_peers_version"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="session",
            name="talk_session_in_call_idx",
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=True),
    ]
