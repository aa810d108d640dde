from sqlalchemy import inspect, text


def test_rolled_back_rows_do_not_leak(engine, session):
    session.execute(text("CREATE TABLE IF NOT EXISTS harness_probe (x integer)"))
    session.execute(text("INSERT INTO harness_probe VALUES (1)"))
    session.commit()
    assert session.execute(text("SELECT count(*) FROM harness_probe")).scalar() == 1


def test_previous_test_left_nothing(engine, session):
    # On SQLite without the BEGIN hook the table and row of the previous test would survive.
    exists = (
        session.execute(text("SELECT count(*) FROM harness_probe")).scalar()
        if _table_exists(session)
        else 0
    )
    assert exists == 0


def _table_exists(session):
    return "harness_probe" in inspect(session.connection()).get_table_names()
