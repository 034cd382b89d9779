"""The emulated gateway: websocket connections, sessions that survive them, and fan-out by intent.

A :class:`Session` (created by IDENTIFY) outlives its websocket: every event dispatched to it gets
the next sequence number and is kept until the client acknowledges it in a heartbeat, so a client
that lost its connection RESUMEs and receives what it missed, once and in order. Each
:class:`Connection` writes through one pump task, so dispatching is synchronous and cheap: the
frame text is built once per event (``d`` is serialised once for all sessions that see the same
view), appended to the session's buffer, and the pump sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from assistant.testing.discord import protocol as p
from assistant.testing.discord.messages import hide_content
from assistant.testing.discord.protocol import Json, dumps, op_frame
from assistant.testing.discord.world import World

CLOSE_TIMEOUT = 2.0  # how long a close handshake may take before the socket is dropped
MAX_BUFFERED = 200_000  # unacknowledged events kept per session for RESUME
DETACHED_SESSION_TTL = 120.0  # seconds a dropped session stays resumable
MEMBERS_PER_CHUNK = 1000
GUILDS_PER_SHARD = 2500  # Discord closes a session with more (4011 Sharding required)
_ACK = op_frame(p.HEARTBEAT_ACK)


class Session:
    """One IDENTIFYed gateway session: sequence numbers and the events the client may not have."""

    def __init__(self, intents: int, shard: tuple[int, int], large_threshold: int) -> None:
        self.session_id = uuid.uuid4().hex
        self.intents = intents
        self.shard_id, self.shard_count = shard
        self.large_threshold = large_threshold
        self.seq = 0
        self.buffer: deque[tuple[int, str]] = deque()
        self.dropped_upto = 0  # events up to here fell out of a full buffer: not resumable past
        self.conn: Connection | None = None
        self.detached_at: float | None = None

    def covers(self, guild_id: str | None) -> bool:
        """Whether this session's shard receives events of ``guild_id`` (DMs go to shard 0)."""
        if guild_id is None:
            return self.shard_id == 0
        return (int(guild_id) >> 22) % self.shard_count == self.shard_id

    def dispatch(self, event: str, data_json: str) -> None:
        self.seq += 1
        frame = f'{{"op":0,"s":{self.seq},"t":"{event}","d":{data_json}}}'
        self.buffer.append((self.seq, frame))
        if len(self.buffer) > MAX_BUFFERED:
            self.dropped_upto = self.buffer.popleft()[0]
        if self.conn is not None:
            self.conn.send(frame)

    def acknowledge(self, seq: int) -> None:
        """Forget events the client confirmed (heartbeat ``d`` is the last sequence it saw)."""
        buffer = self.buffer
        while buffer and buffer[0][0] <= seq:
            buffer.popleft()

    def replay_after(self, seq: int) -> list[str] | None:
        """Frames after ``seq`` for a RESUME, or None if some of them are gone."""
        if seq < self.dropped_upto or seq > self.seq:
            return None
        return [frame for s, frame in self.buffer if s > seq]


class Connection:
    """One gateway websocket and the single task that writes to it."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, interval_ms: int) -> None:
        self.ws = ws
        self.request = request
        self.interval = interval_ms / 1000
        self.pending: deque[str | tuple[int, str]] = deque()
        self.wake = asyncio.Event()
        self.flushed = asyncio.Event()  # set while nothing is waiting to be written
        self.beat = asyncio.Event()
        self.last_beat = asyncio.get_running_loop().time()
        self.session: Session | None = None
        self.gone = asyncio.Event()  # set once its handler has finished
        self.silent = False  # a zombie: writes nothing more (no ACK, no event) but still reads
        self.closed_by_us = False  # the gateway sent the close frame (the client only echoed it)

    def send(self, frame: str) -> None:
        if self.silent:
            return  # the session keeps its events for a RESUME; this socket gets none
        self.pending.append(frame)
        self.flushed.clear()
        self.wake.set()

    def close(self, code: int, reason: str) -> None:
        """Close after everything queued before it has been written."""
        self.silent = False
        self.closed_by_us = True
        self.pending.append((code, reason))
        self.wake.set()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (the client sees 1006)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def pump(self) -> None:
        ws, pending = self.ws, self.pending
        with contextlib.suppress(ConnectionError, RuntimeError):
            while True:
                while pending:
                    item = pending.popleft()
                    if isinstance(item, str):
                        await ws.send_str(item)
                    else:
                        await ws.close(code=item[0], message=item[1].encode())
                        return
                self.flushed.set()
                self.wake.clear()
                await self.wake.wait()


class Gateway:
    """The gateway endpoint plus every live connection and resumable session."""

    def __init__(self, world: World, token: str, portal_intents: int) -> None:
        self.world = world
        self.token = token
        self.portal_intents = portal_intents
        self.heartbeat_interval_ms = 41250
        self.heartbeat_grace = 1.0  # seconds past the interval before a heartbeat counts as missed
        self.guilds_per_shard = GUILDS_PER_SHARD
        self.url = ""  # set by the emulator once it is bound
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.idle = asyncio.Event()  # set while no websocket is open
        self.idle.set()
        self.paused = False
        self.refused = 0  # connection attempts turned away while paused
        self.identify_count = 0
        self.resume_count = 0
        self.events_replayed = 0
        self.heartbeats_missed = 0
        self.heartbeats_received = 0
        self.identifies: list[Json] = []  # IDENTIFY payloads, token removed
        self.identified_at: list[float] = []  # loop time of each, in the same order
        self.readies: list[tuple[tuple[int, int], list[str]]] = []  # (shard, guild ids) per READY
        self.bot_presences: list[Json] = []  # op 3 payloads the bot sent
        self.bot_voice_requests: list[Json] = []  # op 4 payloads the bot sent

    # ---- fan-out

    def dispatch(
        self, event: str, data: Json, intent: int, *, guild_id: str | None, message: bool = False
    ) -> None:
        """Send ``event`` to every session that has ``intent`` (0: no intent needed).

        ``message`` applies the MESSAGE_CONTENT rule: sessions without it get the hidden view.
        """
        full: str | None = None
        hidden: str | None = None
        for session in self.sessions.values():
            if intent and not session.intents & intent:
                continue
            if not session.covers(guild_id):
                continue
            if message and not session.intents & p.MESSAGE_CONTENT:
                if hidden is None:
                    hidden = dumps(hide_content(data, self.world.bot.id))
                session.dispatch(event, hidden)
            else:
                if full is None:
                    full = dumps(data)
                session.dispatch(event, full)

    async def drain(self) -> None:
        """Wait until every live connection has written what was queued for it."""
        for conn in list(self.connections):
            await conn.flushed.wait()

    # ---- the websocket endpoint

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.paused:
            self.refused += 1
            return web.Response(status=503, text="gateway paused by the test (resume_gateway())")
        ws = web.WebSocketResponse(max_msg_size=0, timeout=CLOSE_TIMEOUT)
        await ws.prepare(request)
        conn = Connection(ws, request, self.heartbeat_interval_ms)
        self.connections.add(conn)
        self.idle.clear()
        conn.send(op_frame(p.HELLO, {"heartbeat_interval": self.heartbeat_interval_ms}))
        pump = asyncio.create_task(conn.pump())
        watch = asyncio.create_task(self._watch_heartbeats(conn))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    payload = json.loads(msg.data)
                    op, d = payload["op"], payload.get("d")
                except (ValueError, KeyError, TypeError):
                    conn.close(p.CLOSE_DECODE_ERROR, "Decode error.")
                    keep_open = False
                else:
                    keep_open = self._on_op(conn, op, d)
                if not keep_open:
                    # we are closing it: let the pump write the close frame (bounded)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(pump), CLOSE_TIMEOUT + 1)
                    break
        finally:
            watch.cancel()
            pump.cancel()
            await asyncio.gather(pump, watch, return_exceptions=True)
            conn.flushed.set()
            self.connections.discard(conn)
            conn.gone.set()
            if not self.connections:
                self.idle.set()
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                session.detached_at = asyncio.get_running_loop().time()
                # A clean close by the client ends the session, as on Discord; the echo of
                # our own close frame (the client answers 1000) does not.
                if ws.close_code in (1000, 1001) and not conn.closed_by_us:
                    self.sessions.pop(session.session_id, None)
        return ws

    async def _watch_heartbeats(self, conn: Connection) -> None:
        """Count a miss when no heartbeat came within the interval plus grace, then wait for one."""
        loop = asyncio.get_running_loop()
        grace = max(self.heartbeat_grace, conn.interval / 2)
        while True:
            delay = conn.last_beat + conn.interval + grace - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            self.heartbeats_missed += 1
            conn.beat.clear()
            await conn.beat.wait()

    def _on_op(self, conn: Connection, op: Any, d: Any) -> bool:
        """Handle one client payload; False when the connection is being closed."""
        if op == p.HEARTBEAT:
            conn.last_beat = asyncio.get_running_loop().time()
            conn.beat.set()
            self.heartbeats_received += 1
            if conn.session is not None and isinstance(d, int):
                conn.session.acknowledge(d)
            conn.send(_ACK)
            return True
        if op == p.IDENTIFY:
            return self._identify(conn, d if isinstance(d, dict) else {})
        if op == p.RESUME:
            return self._resume(conn, d if isinstance(d, dict) else {})
        if conn.session is None:
            conn.close(p.CLOSE_NOT_AUTHENTICATED, "Not authenticated.")
            return False
        if op == p.REQUEST_GUILD_MEMBERS:
            self._request_members(conn.session, d if isinstance(d, dict) else {})
        elif op == p.PRESENCE_UPDATE:
            self.bot_presences.append(d)
        elif op == p.VOICE_STATE_UPDATE:
            self.bot_voice_requests.append(d)
        else:
            conn.close(p.CLOSE_UNKNOWN_OPCODE, "Unknown opcode.")
            return False
        return True

    def _identify(self, conn: Connection, d: Json) -> bool:
        if conn.session is not None:
            conn.close(p.CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            return False
        if d.get("token") != self.token:
            conn.close(p.CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return False
        intents = d.get("intents")
        if not isinstance(intents, int) or intents & ~p.ALL_INTENTS:
            conn.close(p.CLOSE_INVALID_INTENTS, "Invalid intent(s).")
            return False
        if intents & p.PRIVILEGED & ~self.portal_intents:
            conn.close(p.CLOSE_DISALLOWED_INTENTS, "Disallowed intent(s).")
            return False
        self._forget_stale_sessions()
        shard = d.get("shard") or [0, 1]
        if not (isinstance(shard, list) and len(shard) == 2 and 0 <= shard[0] < shard[1]):
            conn.close(p.CLOSE_INVALID_SHARD, "Invalid shard.")
            return False
        large = int(d.get("large_threshold", 50))
        session = Session(intents, (int(shard[0]), int(shard[1])), large)
        guilds = [g for g in self.world.guilds.values() if session.covers(g.id)]
        if len(guilds) > self.guilds_per_shard:
            conn.close(p.CLOSE_SHARDING_REQUIRED, "Sharding required.")
            return False
        self.sessions[session.session_id] = session
        session.conn, conn.session = conn, session
        self.identify_count += 1
        self.identifies.append({k: v for k, v in d.items() if k != "token"})
        self.identified_at.append(asyncio.get_running_loop().time())
        world = self.world
        ready = {
            "v": 10,
            "user": world.bot.payload() | {"verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": g.id, "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "application": {"id": world.bot.id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "shard": [session.shard_id, session.shard_count],
        }
        session.dispatch("READY", dumps(ready))
        self.readies.append(((session.shard_id, session.shard_count), [g.id for g in guilds]))
        if intents & p.GUILDS:
            for guild in guilds:
                payload = world.guild_create_payload(guild, intents, session.large_threshold)
                session.dispatch("GUILD_CREATE", dumps(payload))
        return True

    def _resume(self, conn: Connection, d: Json) -> bool:
        if d.get("token") != self.token:
            conn.close(p.CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return False
        session = self.sessions.get(str(d.get("session_id")))
        seq = d.get("seq")
        frames = None
        if session is not None and isinstance(seq, int):
            frames = session.replay_after(seq)
        if session is None or frames is None:
            conn.send(op_frame(p.INVALID_SESSION, False))
            return True
        if session.conn is not None:  # a zombie connection still holds it: Discord drops that one
            session.conn.abort()
        session.conn, conn.session, session.detached_at = conn, session, None
        for frame in frames:
            conn.send(frame)
        self.events_replayed += len(frames)
        self.resume_count += 1
        session.dispatch("RESUMED", "{}")
        return True

    def _forget_stale_sessions(self) -> None:
        now = asyncio.get_running_loop().time()
        for session_id, session in list(self.sessions.items()):
            if session.detached_at is not None and now - session.detached_at > DETACHED_SESSION_TTL:
                del self.sessions[session_id]

    def _request_members(self, session: Session, d: Json) -> None:
        """Answer op 8 with GUILD_MEMBERS_CHUNK events (Discord's rules for what may be asked)."""
        guild = self.world.guilds.get(str(d.get("guild_id")))
        if guild is None:
            return
        query = d.get("query")
        user_ids = d.get("user_ids")
        limit = int(d.get("limit") or 0)
        presences = bool(d.get("presences")) and bool(session.intents & p.GUILD_PRESENCES)
        if user_ids is not None:
            wanted = [str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            found = [u for u in wanted if u in guild.members]
            not_found = [u for u in wanted if u not in guild.members]
        elif not query and not session.intents & p.GUILD_MEMBERS:
            found, not_found = [], []  # the whole list needs GUILD_MEMBERS
        else:
            prefix = (query or "").lower()
            found = [
                u
                for u, m in guild.members.items()
                if self.world.users[u].name.lower().startswith(prefix)
                or (m.nick or "").lower().startswith(prefix)
            ]
            if limit:
                found = found[:limit]
            not_found = []
        chunks = [found[i : i + MEMBERS_PER_CHUNK] for i in range(0, len(found), MEMBERS_PER_CHUNK)]
        chunks = chunks or [[]]
        for index, chunk in enumerate(chunks):
            data: Json = {
                "guild_id": guild.id,
                "members": [self.world.member_payload(guild, u) for u in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
                "not_found": not_found if index == 0 else [],
            }
            if d.get("nonce") is not None:
                data["nonce"] = d["nonce"]
            if presences:
                data["presences"] = [self.world.presence_payload(guild, u) for u in chunk]
            session.dispatch("GUILD_MEMBERS_CHUNK", dumps(data))

    # ---- test controls

    def drop_all(self, shard_id: int | None = None) -> list[Connection]:
        """Abort every connection, or only those of sessions on shard ``shard_id``."""
        dropped = [
            conn
            for conn in self.connections
            if shard_id is None or (conn.session is not None and conn.session.shard_id == shard_id)
        ]
        for conn in dropped:
            conn.abort()
        return dropped

    async def until_gone(self, dropped: list[Connection], timeout: float) -> None:
        """Wait until the handlers of ``dropped`` connections have finished (bounded)."""
        async with asyncio.timeout(timeout):
            for conn in dropped:
                await conn.gone.wait()

    def silence(self, shard_id: int | None = None) -> int:
        """Turn the live connections (of shard ``shard_id``) into zombies; returns how many."""
        silenced = 0
        for conn in self.connections:
            if shard_id is None or (conn.session is not None and conn.session.shard_id == shard_id):
                conn.silent = True
                silenced += 1
        return silenced

    def close_all_with(self, code: int, reason: str) -> list[Connection]:
        """Close every identified connection with ``code`` (a close frame, then the socket)."""
        closing = [conn for conn in self.connections if conn.session is not None]
        for conn in closing:
            conn.close(code, reason)
        return closing

    def send_all(self, frame: str) -> None:
        for conn in list(self.connections):
            if conn.session is not None:
                conn.send(frame)

    async def close_all(self) -> None:
        """Abort every connection and wait (bounded) for the handlers to finish."""
        self.drop_all()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), CLOSE_TIMEOUT)
