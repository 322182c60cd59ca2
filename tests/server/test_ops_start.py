"""What a deployment runs besides the bot: ``app.py --migrate`` only brings the schema up
to date, and ``METRICS_TOKEN`` is read as the other secrets are, and never logged."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine, inspect, text

import app
from bot.privacy.logs import keep_secret, redactor
from bot.settings import load_settings
from tests.server.test_app_start import folder  # noqa: F401  (the fixture)


def test_migrate_brings_the_schema_up_to_date_without_slack_tokens(folder, capsys):  # noqa: F811
    assert app.main(["--migrate"]) == 0
    engine = create_engine(f"sqlite:///{folder / 'bot.db'}")
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one()
        assert {"handover", "outbox"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert app.main(["--migrate"]) == 0  # once more: nothing to do, and it says so calmly


def test_migrate_without_the_data_keys_is_one_sentence(folder, capsys, monkeypatch):  # noqa: F811
    monkeypatch.delenv("HANDOVER_DATA_KEYS")
    assert app.main(["--migrate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Cannot migrate: Set HANDOVER_DATA_KEYS") and "Traceback" not in err
    assert not (folder / "bot.db").exists() or "alembic_version" not in (
        inspect(create_engine(f"sqlite:///{folder / 'bot.db'}")).get_table_names()
    )


def test_the_metrics_token_is_stripped_and_kept_out_of_the_logs(folder, monkeypatch):  # noqa: F811
    monkeypatch.setenv("METRICS_TOKEN", "  m3trics-token-value \n")
    settings = load_settings()
    assert settings.metrics_token.get_secret_value() == "m3trics-token-value"
    assert "m3trics-token-value" not in repr(settings)
    keep_secret(*app._secrets(settings))
    try:
        record = logging.LogRecord(
            "handover", logging.INFO, __file__, 1, "scraped with %s", ("m3trics-token-value",), None
        )
        redactor.filter(record)
        assert "m3trics-token-value" not in record.getMessage()
    finally:
        redactor.forget_secrets()
