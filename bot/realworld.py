"""What the bot does with real-world sources, apart from uploads: links an admin sends (a page saved into
the knowledge folder and indexed) and keeping the index in step with a shared knowledge folder that
colleagues keep adding to (a periodic incremental rescan). Mixed into Conversation."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging

from indexer import store, web
from indexer.documents import DocumentError

from . import messages as M
from .config import MB
from .formatting import esc, esc_clip

log = logging.getLogger(__name__)


def updated_vi(timestamp: float | None) -> str:
    """'dd/mm/yyyy hh:mm' (local time) of an index timestamp."""
    if not timestamp:
        return ""
    return dt.datetime.fromtimestamp(timestamp).strftime("%d/%m/%Y %H:%M")


def _stamp(path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class RealWorld:
    """Links and folder sync. Uses Conversation's config, build_lock, _rebuild, _read, _card_sync, log."""

    _sync_task: asyncio.Task | None = None

    # -- links
    async def add_link(self, msg, url: str):
        """An admin sent a URL in a private chat: fetch, save under trang-web/, index, confirm with the card."""
        limits = self.config.limits
        knowledge = self.config.knowledge
        shown = esc_clip(url, 200)
        async with self.build_lock:
            try:
                saved = await asyncio.to_thread(
                    web.save, url, knowledge, int(limits.max_page_mb * MB), limits.fetch_seconds
                )
            except DocumentError as exc:
                return self._link_failed(msg, url, str(exc))
            except OSError as exc:
                return self._link_failed(msg, url, M.UPLOAD_REASON_SAVE.format(reason=exc.strerror or exc))
            rel = saved.path.relative_to(knowledge).as_posix()
            undo = functools.partial(self._restore, saved.path, saved.previous)
            report, reason = await self._index_saved(rel, undo)
        if report is None:
            return self._link_failed(msg, url, reason)
        self.log.add_event("link", user_id=msg.user_id, chat_id=msg.chat_id, detail=f"{url} -> {rel}"[:500])
        log.info("link %s from user %s saved as %s and indexed", url, msg.user_id, rel)
        replaced = M.UPLOAD_REPLACED_HTML if saved.replaced else ""
        head = M.LINK_OK_HTML.format(url=shown, path=esc(rel), replaced=replaced)
        return await self._admin_card(saved.path, lambda doc: [head])

    def _link_failed(self, msg, url: str, reason: str):
        from .conversation import Reply

        log.warning("link %r from user %s not taken: %s", url[:200], msg.user_id, reason)
        self.log.add_event("link-failed", user_id=msg.user_id, chat_id=msg.chat_id, detail=f"{url}: {reason}"[:500])
        return Reply(M.LINK_FAILED_HTML.format(url=esc_clip(url, 200), reason=esc_clip(reason, 600)))

    # -- keeping in sync with the knowledge folder
    async def sync(self) -> store.BuildReport | None:
        """One incremental rescan (files added, changed, removed). Skipped (None) while another build runs.
        A file that could not be read is not read again until it changes (its size or time stamp) or an
        admin asks for /reindex: a scan that ran out of time is not OCR'd again every few minutes."""
        if self.build_lock.locked():
            return None
        knowledge = self.config.knowledge
        failed = getattr(self, "_sync_failed", {})
        known = {rel: reason for rel, (stamp, reason) in failed.items() if _stamp(knowledge / rel) == stamp}
        async with self.build_lock:
            report = await self._rebuild(known_errors=known)
        self._sync_failed = {
            rel: (_stamp(knowledge / rel), reason) for rel, reason in report.errors
            if not reason.startswith("trùng ")  # duplicates depend on the other files: checked each time
        }
        if report.modified:
            log.info(
                "sync: %s added, %s changed, %s removed, %s errors",
                len(report.added), len(report.changed), len(report.removed), len(report.errors),
            )
        return report

    def start_sync(self, interval: float | None = None) -> asyncio.Task | None:
        """Rescan every interval seconds (default: the config's sync_interval; 0: never), off the event
        loop (the build runs in a thread, reading in worker processes)."""
        interval = self.config.sync_interval if interval is None else interval
        if interval <= 0 or (self._sync_task is not None and not self._sync_task.done()):
            return self._sync_task
        self._sync_task = asyncio.create_task(self._sync_loop(interval), name="danvan-sync")
        return self._sync_task

    async def _sync_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken folder must not stop the next rescans
                log.exception("sync of the knowledge folder failed")

    async def stop_sync(self) -> None:
        task, self._sync_task = self._sync_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
