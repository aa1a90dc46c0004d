"""The bot's configuration: one YAML file, every key optional.

The file is found by `--config` or the DANVAN_CONFIG environment variable. Relative paths in it resolve
against the file's own folder. The bot token is never read from the file: it comes from TELEGRAM_BOT_TOKEN.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from indexer import visibility as vis
from indexer.documents import Limits
from indexer.search import default_db_path, default_knowledge_dir

from . import messages as M

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org/bot"
MB = 1024 * 1024
KNOWN_KEYS = {
    "admins",
    "allowed_chats",
    "knowledge",
    "db",
    "querylog",
    "mode",
    "webhook",
    "api_url",
    "file_url",
    "limits",
    "rate_limit",
    "visibility",
    "audiences",
    "members",
    "sync_interval",
}
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A configuration problem; the message is Vietnamese, for the person running the bot."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str | None = None  # public https URL Telegram posts updates to
    listen: str = "0.0.0.0"
    port: int = 8443
    secret_token: str | None = None  # random per start when not set
    path: str = ""  # local URL path; by default the path of `url`


@dataclass(frozen=True)
class LimitsConfig:
    max_upload_mb: float = 20.0  # documents sent to the bot (the Bot API cloud server serves at most 20 MB)
    max_file_mb: float = 50.0  # any file read while indexing
    max_pdf_pages: int = 500
    max_unzipped_mb: float = 200.0  # a .docx's declared unpacked size (zip bombs)
    max_parse_seconds: float = 120.0  # reading one file (in a worker process, killed at the limit); 0 = no limit
    max_ocr_pages: int = 100  # scanned pages read by OCR in one PDF
    max_page_mb: float = 10.0  # a web page (or linked file) fetched from a link
    fetch_seconds: float = 30.0  # time to fetch it

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MB)

    def document_limits(self) -> Limits:
        return Limits(
            max_bytes=int(self.max_file_mb * MB),
            max_pdf_pages=self.max_pdf_pages,
            max_unzipped_bytes=int(self.max_unzipped_mb * MB),
            parse_timeout=float(self.max_parse_seconds),
            max_ocr_pages=self.max_ocr_pages,
        )


@dataclass(frozen=True)
class Group:
    """Telegram users (their private chats) and chats (groups: everyone in them) sharing some rights."""

    users: frozenset[int] = frozenset()
    chats: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Config:
    knowledge: Path
    db: Path
    querylog: Path
    admins: frozenset[int] = frozenset()
    allowed_chats: frozenset[int] | None = None
    mode: str = "polling"
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    api_url: str = DEFAULT_API_URL
    file_url: str = "https://api.telegram.org/file/bot"
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    rate_limit: int = 10  # questions per user per minute; 0 = no limit
    sync_interval: float = 300.0  # seconds between rescans of the knowledge folder; 0 = no rescan
    path: Path | None = None  # the config file, if any
    visibility: vis.Rules = field(default_factory=vis.Rules)  # levels of documents without their own
    audiences: Mapping[str, Group] = field(default_factory=dict)  # name -> who may read its restricted documents
    members: Group = field(default_factory=Group)  # who may read internal documents (besides admins, audiences)

    @property
    def index_rules(self) -> vis.Rules | None:
        """The visibility rules builds apply: a config file's; without a file (None), the index keeps the rules
        it was built with, so that a terminal chat started without the bot's config never relabels its index."""
        return self.visibility if self.path is not None or self.visibility != vis.Rules() else None

    @classmethod
    def for_paths(cls, knowledge: Path, db: Path, **kwargs) -> Config:
        """A config with defaults for everything but the folders (tests, the terminal chat)."""
        kwargs.setdefault("querylog", Path(db).parent / "querylog.db")
        return cls(knowledge=Path(knowledge), db=Path(db), **kwargs)


def normalize_api_url(url: str) -> str:
    """'http://127.0.0.1:8081' or '.../bot/' -> 'http://127.0.0.1:8081/bot' (the token is appended to it)."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/bot") else url + "/bot"


def file_url_for(api_url: str) -> str:
    """The file-download base URL that goes with a Bot API base URL: '…/bot' -> '…/file/bot'."""
    return normalize_api_url(api_url)[: -len("/bot")] + "/file/bot"


def _bad(key: str, reason: str) -> ConfigError:
    return ConfigError(M.CONFIG_BAD_VALUE.format(key=key, reason=reason))


def _ids(raw, key: str) -> frozenset[int]:
    if raw is None:
        return frozenset()
    if isinstance(raw, (int, str)):
        raw = [raw]
    if not isinstance(raw, list):
        raise _bad(key, "cần một danh sách số")
    out = set()
    for item in raw:
        if isinstance(item, bool):
            raise _bad(key, f"{item!r} không phải số")
        try:
            out.add(int(str(item).strip()))
        except ValueError:
            raise _bad(key, f"{item!r} không phải số") from None
    return frozenset(out)


def _number(raw, key: str, kind=float, minimum: float = 0):
    if isinstance(raw, bool):
        raise _bad(key, "cần một số")
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise _bad(key, "cần một số") from None
    if value < minimum:
        raise _bad(key, f"phải từ {minimum} trở lên")
    return value


def _mapping(raw, key: str) -> Mapping:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _bad(key, "cần các cặp khóa: giá trị")
    return raw


def load_config(
    path: str | os.PathLike | None = None,
    *,
    db: str | os.PathLike | None = None,
    knowledge: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read the config file (path, else $DANVAN_CONFIG, else none: all defaults); db and knowledge given
    on the command line win over the file."""
    env = os.environ if env is None else env
    path = path or env.get("DANVAN_CONFIG") or None
    raw: dict = {}
    base = Path.cwd()
    config_path = None
    if path:
        config_path = Path(path).expanduser()
        if not config_path.is_file():
            raise ConfigError(M.CONFIG_MISSING.format(path=config_path))
        try:
            raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(M.CONFIG_UNREADABLE.format(path=config_path, reason=exc)) from None
        if not isinstance(raw, dict):
            raise ConfigError(M.CONFIG_NOT_MAPPING)
        config_path = config_path.resolve()
        base = config_path.parent
        for key in raw:
            if key not in KNOWN_KEYS:
                log.warning("config %s: unknown key %r ignored", config_path, key)

    def resolve(value, key: str) -> Path:
        if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
            raise _bad(key, "cần một đường dẫn")
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    knowledge_path = (
        Path(knowledge)
        if knowledge
        else (resolve(raw["knowledge"], "knowledge") if raw.get("knowledge") else default_knowledge_dir())
    )
    db_path = Path(db) if db else (resolve(raw["db"], "db") if raw.get("db") else default_db_path())
    querylog = resolve(raw["querylog"], "querylog") if raw.get("querylog") else db_path.parent / "querylog.db"

    mode = str(raw.get("mode") or "polling").strip().lower()
    if mode not in ("polling", "webhook"):
        raise _bad("mode", "chỉ nhận polling hoặc webhook")

    wh = _mapping(raw.get("webhook"), "webhook")
    url = str(wh["url"]).strip() if wh.get("url") else None
    if url and urlsplit(url).scheme not in ("https", "http"):
        raise _bad("webhook.url", "cần một địa chỉ https://")
    secret = str(wh["secret_token"]) if wh.get("secret_token") else None
    if secret and not _SECRET.match(secret):
        raise _bad("webhook.secret_token", "chỉ gồm chữ cái Latin, chữ số, _ và -, tối đa 256 ký tự")
    webhook = WebhookConfig(
        url=url,
        listen=str(wh.get("listen") or "0.0.0.0"),
        port=int(_number(wh.get("port", 8443), "webhook.port", int, 1)),
        secret_token=secret,
        path=str(wh.get("path") or (urlsplit(url).path if url else "")).strip("/"),
    )
    if mode == "webhook" and not webhook.url:
        raise ConfigError(M.CONFIG_NEED_WEBHOOK_URL)

    lim = _mapping(raw.get("limits"), "limits")
    defaults = LimitsConfig()
    limits = LimitsConfig(
        max_upload_mb=_number(lim.get("max_upload_mb", defaults.max_upload_mb), "limits.max_upload_mb"),
        max_file_mb=_number(lim.get("max_file_mb", defaults.max_file_mb), "limits.max_file_mb"),
        max_pdf_pages=int(
            _number(lim.get("max_pdf_pages", defaults.max_pdf_pages), "limits.max_pdf_pages", int, 1)
        ),
        max_unzipped_mb=_number(lim.get("max_unzipped_mb", defaults.max_unzipped_mb), "limits.max_unzipped_mb"),
        max_parse_seconds=_number(
            lim.get("max_parse_seconds", defaults.max_parse_seconds), "limits.max_parse_seconds"
        ),
        max_ocr_pages=int(_number(lim.get("max_ocr_pages", defaults.max_ocr_pages), "limits.max_ocr_pages", int)),
        max_page_mb=_number(lim.get("max_page_mb", defaults.max_page_mb), "limits.max_page_mb"),
        fetch_seconds=_number(lim.get("fetch_seconds", defaults.fetch_seconds), "limits.fetch_seconds", float, 1),
    )
    for key in lim:
        if key not in LimitsConfig.__dataclass_fields__:
            log.warning("config: unknown key 'limits.%s' ignored", key)

    api_url = normalize_api_url(env.get("TELEGRAM_API_URL") or str(raw.get("api_url") or DEFAULT_API_URL))
    file_url = (
        str(raw["file_url"]).strip().rstrip("/")
        if raw.get("file_url") and not env.get("TELEGRAM_API_URL")
        else file_url_for(api_url)
    )

    allowed = _ids(raw.get("allowed_chats"), "allowed_chats")
    try:
        rules = vis.Rules.from_config(raw.get("visibility"))
    except ValueError as exc:
        raise _bad("visibility", str(exc)) from None
    audiences = {}
    for name, value in _mapping(raw.get("audiences"), "audiences").items():
        key = vis.audience_name(name)
        if key is None:
            raise _bad(f"audiences.{name}", "tên nhóm chỉ gồm chữ Latin không dấu, chữ số, - và _")
        audiences[key] = _group(value, f"audiences.{name}")
    return Config(
        knowledge=knowledge_path,
        db=db_path,
        querylog=querylog,
        admins=_ids(raw.get("admins"), "admins"),
        allowed_chats=allowed or None,
        mode=mode,
        webhook=webhook,
        api_url=api_url,
        file_url=file_url,
        limits=limits,
        rate_limit=int(_number(raw.get("rate_limit", 10), "rate_limit", int)),
        sync_interval=_number(raw.get("sync_interval", 300), "sync_interval"),
        path=config_path,
        visibility=rules,
        audiences=audiences,
        members=_group(raw.get("members"), "members"),
    )


def _group(raw, key: str) -> Group:
    """{users: [ids], chats: [ids]}, or a bare list of user ids."""
    if raw is None or isinstance(raw, (list, int, str)):
        return Group(users=_ids(raw, key))
    m = _mapping(raw, key)
    for sub in m:
        if sub not in ("users", "chats"):
            log.warning("config: unknown key '%s.%s' ignored", key, sub)
    return Group(users=_ids(m.get("users"), f"{key}.users"), chats=_ids(m.get("chats"), f"{key}.chats"))
