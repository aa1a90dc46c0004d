"""Who may see a document: its visibility level and, for restricted documents, its audiences.

Levels, from open to closed: public (laws, news: anyone, anywhere), internal ("lưu hành nội bộ": members
only), restricted (only the named audiences, e.g. a committee). A document's level comes from, in order:
the label an admin gave it on upload (recorded in the knowledge folder's `.visibility.yaml`), its front
matter (`visibility:`, `audience:`), the longest folder prefix in the rules, and the rules' default
(internal unless configured). An unknown value is read as restricted: a typo never opens a document.

A `Viewer` is what one reader may see: levels plus audience names; `Viewer.public()` for anyone,
`Viewer.everything()` for the operator. No Telegram here: who is which viewer is decided by bot/access.py.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from .analysis import fold

log = logging.getLogger(__name__)

PUBLIC, INTERNAL, RESTRICTED = 0, 1, 2
LEVELS = {"public": PUBLIC, "internal": INTERNAL, "restricted": RESTRICTED}
NAMES = {v: k for k, v in LEVELS.items()}
# What people write in front matter and captions, folded (no accents, lower case).
_SYNONYMS = {
    "public": PUBLIC, "cong khai": PUBLIC, "congkhai": PUBLIC,
    "internal": INTERNAL, "noi bo": INTERNAL, "noibo": INTERNAL, "luu hanh noi bo": INTERNAL,
    "restricted": RESTRICTED, "han che": RESTRICTED, "hanche": RESTRICTED, "mat": RESTRICTED,
}
SIDECAR = ".visibility.yaml"  # upload labels, in the knowledge folder (hidden: never indexed itself)
_AUDIENCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


UNKNOWN_LEVEL_WARNING = "mức xem '{value}' không rõ (public, internal, restricted): coi là hạn chế (restricted)"


def is_known(value: object) -> bool:
    return re.sub(r"\s+", " ", fold(str(value))).strip() in _SYNONYMS


def parse_level(value: object) -> int | None:
    """'public' / 'công khai' / 'nội bộ' / 'restricted' ... -> level; None for nothing given; an unknown
    value -> RESTRICTED (closed, never open, on a typo)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _SYNONYMS.get(re.sub(r"\s+", " ", fold(str(value))).strip(), RESTRICTED)


def audience_name(value: object) -> str | None:
    """An audience name as stored: folded, lower case ('BDV' -> 'bdv'); None if not a valid name."""
    name = fold(str(value)).strip().lower().replace(" ", "-")
    return name if _AUDIENCE.match(name) else None


def audience_names(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted({n for n in map(audience_name, values) if n}))


@dataclass(frozen=True)
class Label:
    """A document's effective visibility."""

    level: int = INTERNAL
    audience: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return NAMES[self.level]

    def audience_json(self) -> str:
        return json.dumps(list(self.audience) if self.level == RESTRICTED else [], ensure_ascii=False)


def declared(visibility: object, audience: Iterable[object] | None) -> Label | None:
    """The label a document's own front matter (or an upload caption) gives, or None. An audience without a
    level means restricted to that audience."""
    names = audience_names(audience or ())
    level = parse_level(visibility)
    if level is None:
        return Label(RESTRICTED, names) if names else None
    return Label(level, names if level == RESTRICTED else ())


@dataclass(frozen=True)
class Rules:
    """Config `visibility: {default: internal, folders: {"van-ban-chinh": public, "ban-dan-van": {visibility:
    restricted, audience: [bdv]}}}`."""

    default: Label = Label(INTERNAL)
    folders: tuple[tuple[str, Label], ...] = ()

    @classmethod
    def from_config(cls, raw: object) -> Rules:
        """Rules from the config's `visibility` mapping; ValueError (Vietnamese) on a bad value."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ValueError("cần các cặp khóa: giá trị (default, folders)")
        default = _rule(raw.get("default", "internal"), "default") or Label(INTERNAL)
        folders = raw.get("folders") or {}
        if not isinstance(folders, Mapping):
            raise ValueError("folders cần các cặp thư mục: mức")
        out = []
        for folder, value in folders.items():
            prefix = unicodedata.normalize("NFC", str(folder).strip().strip("/"))
            label = _rule(value, f"folders.{prefix}")
            if prefix and label:
                out.append((prefix, label))
        return cls(default, tuple(sorted(out)))

    def for_path(self, rel_path: str) -> Label:
        """The folder rule for a file (path relative to the knowledge folder): longest matching prefix."""
        best, best_len = self.default, -1
        rel_path = unicodedata.normalize("NFC", rel_path)  # a folder copied from a Mac has decomposed names
        for prefix, label in self.folders:
            if (rel_path == prefix or rel_path.startswith(prefix + "/")) and len(prefix) > best_len:
                best, best_len = label, len(prefix)
        return best

    def to_json(self) -> str:
        def enc(label: Label) -> dict:
            return {"visibility": label.name, "audience": list(label.audience)}

        return json.dumps({"default": enc(self.default), "folders": {p: enc(lb) for p, lb in self.folders}},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Rules:
        return cls.from_config(json.loads(text))


def _rule(value: object, key: str) -> Label | None:
    """A config rule: a level ("public") or {visibility: restricted, audience: [bdv]}; strict about levels."""
    raw = value.get("visibility") if isinstance(value, Mapping) else value
    if raw is not None and re.sub(r"\s+", " ", fold(str(raw))).strip() not in _SYNONYMS:
        raise ValueError(f"{key}: mức '{raw}' không hợp lệ (public, internal hoặc restricted)")
    if isinstance(value, Mapping):
        return declared(raw, _as_list(value.get("audience")))
    return declared(raw, None)


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def resolve(rel_path: str, own: Label | None, rules: Rules, uploads: Mapping[str, Label]) -> Label:
    """The effective label of the file at rel_path: upload label, else its own (front matter), else the
    folder rule, else the default."""
    return uploads.get(rel_path) or uploads.get(unicodedata.normalize("NFC", rel_path)) or own or rules.for_path(
        rel_path)


# -- upload labels: knowledge/.visibility.yaml {file: {visibility: ..., audience: [...]}} ----------------------
def read_uploads(knowledge: Path) -> dict[str, Label]:
    path = Path(knowledge) / SIDECAR
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        log.warning("%s unreadable (%s): upload labels ignored, files get their own or folder labels", path, exc)
        return {}
    out: dict[str, Label] = {}
    for name, value in (raw or {}).items() if isinstance(raw, Mapping) else ():
        if isinstance(value, Mapping):
            label = declared(value.get("visibility"), _as_list(value.get("audience")))
            if label:
                out[str(name)] = label
    return out


def write_upload(knowledge: Path, rel_path: str, label: Label | None) -> None:
    """Record (or, with None, forget) the upload label of a file, atomically."""
    labels = read_uploads(knowledge)
    if label is None:
        if labels.pop(rel_path, None) is None:
            return
    else:
        labels[rel_path] = label
    data = {name: {"visibility": lb.name, **({"audience": list(lb.audience)} if lb.audience else {})}
            for name, lb in sorted(labels.items())}
    path = Path(knowledge) / SIDECAR
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("# Mức xem của các văn bản gửi lên qua bot (do bot ghi; sửa tay cũng được).\n"
                   + yaml.safe_dump(data, allow_unicode=True, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


# -- readers -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Viewer:
    """What one reader may see: public documents; with level INTERNAL also internal ones; restricted ones of
    the listed audiences; or (all_documents, the operator) everything."""

    level: int = PUBLIC  # PUBLIC or INTERNAL
    audiences: frozenset[str] = frozenset()
    all_documents: bool = False

    @classmethod
    def public(cls) -> Viewer:
        return cls()

    @classmethod
    def member(cls, audiences: Iterable[str] = ()) -> Viewer:
        return cls(INTERNAL, frozenset(audiences))

    @classmethod
    def everything(cls) -> Viewer:
        return cls(INTERNAL, frozenset(), True)

    def can_see(self, level: int, audience: Iterable[str]) -> bool:
        if self.all_documents or level == PUBLIC:
            return True
        if level == INTERNAL:
            return self.level >= INTERNAL
        return bool(self.audiences.intersection(audience))
