"""Configuration file, defaults, environment variables."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_API_URL, ConfigError, file_url_for, load_config
from indexer.search import default_db_path, default_knowledge_dir


def test_defaults_without_a_file(tmp_path):
    config = load_config(None, env={})
    assert config.knowledge == default_knowledge_dir() and config.db == default_db_path()
    assert config.querylog == default_db_path().parent / "querylog.db"
    assert config.api_url == DEFAULT_API_URL and config.file_url == "https://api.telegram.org/file/bot"
    assert config.admins == frozenset() and config.allowed_chats is None
    assert config.mode == "polling" and config.rate_limit == 10
    assert config.limits.max_upload_bytes == 20 * 1024 * 1024


def test_file_values_and_relative_paths(tmp_path):
    path = tmp_path / "etc" / "config.yaml"
    path.parent.mkdir()
    path.write_text(
        "admins: [111, '222']\nallowed_chats: [-100123]\nknowledge: tai-lieu\ndb: /srv/danvan/index.db\n"
        "querylog: log/q.db\nmode: webhook\n"
        "webhook: {url: 'https://bot.example.org/danvan/hook', port: 8080}\n"
        "limits: {max_upload_mb: 5, max_pdf_pages: 100}\nrate_limit: 4\n",
        encoding="utf-8",
    )
    config = load_config(str(path), env={})
    assert config.admins == {111, 222} and config.allowed_chats == {-100123}
    assert config.knowledge == path.parent / "tai-lieu"
    assert str(config.db) == "/srv/danvan/index.db"
    assert config.querylog == path.parent / "log" / "q.db"
    assert config.mode == "webhook" and config.webhook.port == 8080 and config.webhook.path == "danvan/hook"
    assert config.limits.max_upload_bytes == 5 * 1024 * 1024
    assert config.limits.document_limits().max_pdf_pages == 100
    assert config.rate_limit == 4 and config.path == path.resolve()


def test_env_and_command_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("db: index.db\napi_url: http://other:9000/bot\n", encoding="utf-8")
    config = load_config(
        None,
        knowledge="k",
        env={"DANVAN_CONFIG": str(path), "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot/"},
    )
    assert config.db == tmp_path / "index.db" and config.querylog == tmp_path / "querylog.db"
    assert str(config.knowledge) == "k"
    assert config.api_url == "http://127.0.0.1:8081/bot"
    assert config.file_url == "http://127.0.0.1:8081/file/bot"
    assert load_config(str(path), db="/x/i.db", env={}).api_url == "http://other:9000/bot"
    assert load_config(str(path), db="/x/i.db", env={}).querylog.as_posix() == "/x/querylog.db"
    assert file_url_for("http://127.0.0.1:8081") == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(
    "text",
    [
        "admins: [abc]",
        "admins: {a: 1}",
        "mode: push",
        "rate_limit: many",
        "rate_limit: -1",
        "webhook: {secret_token: 'có dấu'}",
        "mode: webhook",
        "limits: [1]",
        "webhook: {url: 'ftp://x'}",
        "- a\n- b",
        "knowledge: 5",
    ],
)
def test_bad_values_are_explained(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(str(path), env={})
    assert str(err.value)


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(ConfigError, match="không tìm thấy tệp cấu hình"):
        load_config(str(tmp_path / "no.yaml"), env={})
    (tmp_path / "bad.yaml").write_text("admins: [1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="không đọc được"):
        load_config(str(tmp_path / "bad.yaml"), env={})
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    assert load_config(str(tmp_path / "empty.yaml"), env={}).mode == "polling"


def test_example_config_loads():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    config = load_config(str(example), env={})
    assert config.mode == "polling" and config.rate_limit > 0
