"""Who sees what: the Viewer an answer is filtered for, decided by the place it goes to.

- A private chat: the user's own rights. Admins see everything; members (config `members.users`, users of
  an audience, users whose private chat is on `allowed_chats`) see internal documents; each audience's users
  see its restricted documents; anyone else sees public documents only.
- A group: the group's rights, never the asker's (an admin asking in a group gets what the group may see).
  Members: groups in `members.chats`, in an audience's `chats`, or on `allowed_chats`.
- Inline mode, and a button under a message sent inline: public only (an inline message can be forwarded
  or sent anywhere).
- The terminal chat and the command line: public only unless told otherwise (--as USER_ID, --all).
"""

from __future__ import annotations

from indexer.visibility import Viewer

from . import messages as M
from .config import Config

PRIVATE = "private"
INLINE = "inline"  # an inline query, or a button under a message sent in inline mode


def user_viewer(config: Config, user_id: int) -> Viewer:
    """A user's own rights (their private chat, `danvan ask --as USER_ID`)."""
    if user_id in config.admins:
        return Viewer.everything()
    audiences = {name for name, group in config.audiences.items() if user_id in group.users}
    member = (
        bool(audiences)
        or user_id in config.members.users
        or (config.allowed_chats is not None and user_id in config.allowed_chats)
    )
    return Viewer.member(audiences) if member else Viewer.public()


def chat_viewer(config: Config, chat_id: int) -> Viewer:
    """A group's rights: what may be shown to everyone in it."""
    audiences = {name for name, group in config.audiences.items() if chat_id in group.chats}
    member = (
        bool(audiences)
        or chat_id in config.members.chats
        or (config.allowed_chats is not None and chat_id in config.allowed_chats)
    )
    return Viewer.member(audiences) if member else Viewer.public()


def viewer_for(config: Config, user_id: int, chat_id: int, chat_type: str) -> Viewer:
    """The rights of a place: a private chat's user, a group's members, or the public (inline, channels,
    anything unknown)."""
    if chat_type == PRIVATE and chat_id == user_id:
        return user_viewer(config, user_id)
    if chat_type in ("group", "supergroup"):
        return chat_viewer(config, chat_id)
    return Viewer.public()


def label(visibility: str | None) -> str:
    """The mark shown on a non-public document ('' for public), so readers know not to forward it."""
    return {"internal": M.MARK_INTERNAL, "restricted": M.MARK_RESTRICTED}.get(visibility or "", "")
