"""Slowing down password guessing, and locking an account that is being guessed.

- Per login name (known or not: the same answers either way) and per client address, each
  attempt is counted as a failure *before* its password is checked, and stays one until the
  login succeeds (second factor included). Past a few free ones, each attempt doubles the wait
  before the next is even looked at, up to 15 minutes; attempts sent in parallel cannot all pass
  one wait, since the count and the wait are taken under the key's row lock. A name's count
  restarts at a successful login; an address's count loses that attempt, and restarts after an
  hour without failures (addresses are shared).
- A browser that completed a login holds a device token (OWASP's "device cookie"): bound to the
  login name, signed with our key. Its attempts on that name are counted against the device, not
  the name, and a lock does not apply to them: guessing from elsewhere cannot block the owner's
  own browser.
- An account's consecutive failures from other browsers (wrong password, wrong second-factor
  code) are counted too, without decay: the 100th locks it for them, until the owner unlocks it
  with an SMS code, logs in from a known browser, or an administrator unlocks it. A locked account
  gets the answer of a wrong password.
- At most 3 SMS codes per account in any 15 minutes; at most 5 authenticator-app attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

from common.db import Connection

FREE_FAILURES_PER_NAME = 5
FREE_FAILURES_PER_DEVICE = 5
FREE_UNLOCKS_PER_ADDRESS = 5
FREE_FAILURES_PER_ADDRESS = 20
LONGEST_WAIT = timedelta(minutes=15)
ADDRESS_MEMORY = timedelta(hours=1)
LOCK_AFTER_FAILURES = 100
SMS_PER_WINDOW = 3
APP_ATTEMPTS_PER_WINDOW = 5
SMS_WINDOW = timedelta(minutes=15)


def wait_after(failures: int, free: int) -> timedelta:
    """How long the next attempt waits after `failures` consecutive ones: none for the first
    `free`, then 1 s, 2 s, 4 s... up to LONGEST_WAIT."""
    if failures < free:
        return timedelta(0)
    return min(LONGEST_WAIT, timedelta(seconds=2 ** min(failures - free, 20)))


def name_key(login: str, secret: bytes) -> str:
    """A login name as the throttle keeps it: keyed, since people type their password there."""
    return "name:" + hmac.new(secret, login.encode(), hashlib.sha256).hexdigest()


def address_key(client_ip: str) -> str | None:
    """None for no address: the gateway sends none for a request from one of our own proxies that
    named no browser. Any other address counts, loopback included (an untrusted peer is a browser)."""
    return f"address:{client_ip}" if client_ip else None


_DEVICE_MAC_LENGTH = 32  # hex characters: 128 bits


def _device_mac(login: str, device: str, secret: bytes) -> str:
    return hmac.new(secret, f"device\0{login}\0{device}".encode(), hashlib.sha256).hexdigest()[:_DEVICE_MAC_LENGTH]


def device_token(login: str, secret: bytes) -> str:
    """A new device token for a browser that just logged in as `login` (normalised)."""
    device = uuid.uuid4().hex
    return f"{device}.{_device_mac(login, device, secret)}"


def device_of(token: str, login: str, secret: bytes) -> str | None:
    """The device a token names, if it is ours and was given to a browser that logged in as `login`."""
    device, _, mac = token.partition(".")
    if len(device) != 32 or len(mac) != _DEVICE_MAC_LENGTH:
        return None
    return device if hmac.compare_digest(mac, _device_mac(login, device, secret)) else None


def device_key(device: str) -> str:
    return f"device:{device}"


def _keys(
    login: str | None, client_ip: str, secret: bytes, device: str | None = None
) -> list[tuple[str, int, timedelta | None]]:
    keys: list[tuple[str, int, timedelta | None]] = []
    if device is not None:
        keys.append((device_key(device), FREE_FAILURES_PER_DEVICE, None))
    elif login is not None:
        keys.append((name_key(login, secret), FREE_FAILURES_PER_NAME, None))
    address = address_key(client_ip)
    if address is not None:
        keys.append((address, FREE_FAILURES_PER_ADDRESS, ADDRESS_MEMORY))
    return keys


async def reserve(
    conn: Connection, login: str | None, client_ip: str, secret: bytes, device: str | None = None
) -> bool:
    """Count this attempt against the name (or the known device) and the address, in its own
    transaction, before any check; False (and nothing counted) if one of them must still wait."""
    return await _count(conn, _keys(login, client_ip, secret, device))


async def name_is_waiting(conn: Connection, login: str, secret: bytes) -> bool:
    """Whether failures on this name (from browsers it does not know) make the next one wait."""
    return bool(
        await conn.fetchval(
            "SELECT failures >= $2 FROM login_throttles WHERE key = $1", name_key(login, secret), FREE_FAILURES_PER_NAME
        )
    )


async def _count(conn: Connection, keys: list[tuple[str, int, timedelta | None]]) -> bool:
    """Count one more attempt against every key, or none if one of them must still wait (False)."""
    async with conn.transaction():
        rows = [
            await conn.fetchrow(
                "SELECT failures, last_failure_at, not_before FROM login_throttles WHERE key = $1 FOR UPDATE", key
            )
            for key, _, _ in keys
        ]
        # The time is read once every key is held: read before, an attempt that waited for the lock
        # saw its own earlier moment as before the `not_before` the one ahead of it had just set.
        now = datetime.now(UTC)
        counted: list[tuple[str, int, int]] = []
        for (key, free, memory), row in zip(keys, rows, strict=True):
            if row is not None and row["not_before"] > now:
                return False
            fresh = row is None or (memory is not None and row["last_failure_at"] < now - memory)
            counted.append((key, free, 1 if fresh else row["failures"] + 1))  # type: ignore[index]
        for key, free, failures in counted:
            await conn.execute(
                "INSERT INTO login_throttles (key, failures, last_failure_at, not_before) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (key) DO UPDATE SET failures = $2, last_failure_at = $3, not_before = $4",
                key,
                failures,
                now,
                now + wait_after(failures, free),
            )
    return True


FREE_REGISTRATIONS_PER_ADDRESS = 5
FREE_HIN_ATTEMPTS_PER_ADDRESS = 20


async def reserve_registration(conn: Connection, client_ip: str) -> bool:
    """Registration forms from one address: a few free, then growing waits (each form counts, so
    neither the queue nor the question "does this number have an account?" can be flooded)."""
    return await _reserve_for_address(conn, "register", client_ip, FREE_REGISTRATIONS_PER_ADDRESS)


async def reserve_unlock(conn: Connection, client_ip: str) -> bool:
    """Unlocking by SMS asked from one address: a few free, then waits."""
    return await _reserve_for_address(conn, "unlock", client_ip, FREE_UNLOCKS_PER_ADDRESS)


FREE_RECOVERIES_PER_ADDRESS = 5
FREE_RECOVERIES_PER_NAME = 3
FREE_SUPPORT_MESSAGES = 5


async def reserve_recovery(conn: Connection, name: str, client_ip: str, secret: bytes) -> bool:
    """Forgotten passwords asked from one address, and for one name or email address (known or
    not: the same either way): a few free in an hour, then waits."""
    return await _reserve_for_sender_and_address(
        conn, "recover", name, client_ip, secret, FREE_RECOVERIES_PER_NAME, FREE_RECOVERIES_PER_ADDRESS
    )


async def reserve_support_message(conn: Connection, sender: str, client_ip: str, secret: bytes) -> bool:
    """Messages to the support from one sender (an account, or the email address typed) and from
    one address: a few free in an hour, then waits (the support's mailbox cannot be flooded)."""
    return await _reserve_for_sender_and_address(
        conn, "support", sender, client_ip, secret, FREE_SUPPORT_MESSAGES, FREE_SUPPORT_MESSAGES
    )


async def _reserve_for_sender_and_address(
    conn: Connection, kind: str, sender: str, client_ip: str, secret: bytes, free_sender: int, free_address: int
) -> bool:
    keys: list[tuple[str, int, timedelta | None]] = [
        (f"{kind}:" + name_key(sender.casefold(), secret), free_sender, ADDRESS_MEMORY)
    ]
    if address_key(client_ip) is not None:
        keys.append((f"{kind}:{client_ip}", free_address, ADDRESS_MEMORY))
    return await _count(conn, keys)


async def reserve_hin_attempt(conn: Connection, client_ip: str) -> bool:
    """HIN logins started from one address (each keeps a row ten minutes): many free, then waits."""
    return await _reserve_for_address(conn, "hin", client_ip, FREE_HIN_ATTEMPTS_PER_ADDRESS)


async def _reserve_for_address(conn: Connection, kind: str, client_ip: str, free: int) -> bool:
    if address_key(client_ip) is None:
        return True
    return await _count(conn, [(f"{kind}:{client_ip}", free, ADDRESS_MEMORY)])


async def once_a_day(conn: Connection, key: str) -> bool:
    """True the first time in 24 hours for this key (in the caller's transaction); False else."""
    return bool(
        await conn.fetchval(
            "INSERT INTO login_throttles AS t (key, failures, last_failure_at, not_before) "
            "VALUES ($1, 1, now(), now() + interval '1 day') "
            "ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1, last_failure_at = now(), "
            " not_before = CASE WHEN t.not_before <= now() THEN now() + interval '1 day' ELSE t.not_before END "
            "RETURNING failures = 1 OR not_before = now() + interval '1 day'",
            key,
        )
    )


async def release_name(conn: Connection, login: str, secret: bytes) -> None:
    """The password was right (from a session): the name's count restarts."""
    await conn.execute("DELETE FROM login_throttles WHERE key = $1", name_key(login, secret))


async def record_success(
    conn: Connection, login: str, account_id: str, client_ip: str, secret: bytes, device: str | None
) -> bool:
    """The login succeeded: the counts of the name, the device and the account restart, a lock is
    lifted (the owner proved both factors); the address's count loses this attempt. True if the
    account was locked."""
    await conn.execute("DELETE FROM login_throttles WHERE key = ANY($1::text[])", _personal_keys(login, secret, device))
    address = address_key(client_ip)
    if address is not None:
        await conn.execute("UPDATE login_throttles SET failures = greatest(failures - 1, 0) WHERE key = $1", address)
    return await lift_lock(conn, account_id)


def _personal_keys(login: str, secret: bytes, device: str | None) -> list[str]:
    keys = [name_key(login, secret)]
    return keys if device is None else [*keys, device_key(device)]


async def unlock(conn: Connection, login: str, account_id: str, secret: bytes) -> bool:
    """The owner unlocked with an SMS code: the name may be tried again at once; True if the
    account was locked."""
    await conn.execute("DELETE FROM login_throttles WHERE key = $1", name_key(login, secret))
    return await lift_lock(conn, account_id)


async def lift_lock(conn: Connection, account_id: str) -> bool:
    """No lock, no failures counted; True if there was a lock."""
    return bool(
        await conn.fetchval(
            "UPDATE accounts a SET failed_logins = 0, locked_at = NULL FROM accounts was "
            "WHERE a.id = $1 AND was.id = a.id RETURNING was.locked_at IS NOT NULL",
            uuid.UUID(account_id),
        )
    )


async def count_account_failure(conn: Connection, account_id: str) -> bool:
    """One more consecutive failure for the account; True if this one locked it."""
    return bool(
        await conn.fetchval(
            "UPDATE accounts SET failed_logins = failed_logins + 1, "
            " locked_at = CASE WHEN locked_at IS NULL AND failed_logins + 1 >= $2 THEN now() ELSE locked_at END "
            "WHERE id = $1 RETURNING locked_at IS NOT NULL AND failed_logins >= $2 AND locked_at = now()",
            uuid.UUID(account_id),
            LOCK_AFTER_FAILURES,
        )
    )


SMS_PURPOSES = ("login", "password", "mobile", "mobile_new", "unlock", "recovery")
APP_PURPOSES = ("app", "app_enrolment")


async def attempts_lately(conn: Connection, account_id: str, purposes: tuple[str, ...]) -> int:
    """Attempts of these purposes opened for the account within the last SMS_WINDOW (SMS codes
    sent, or authenticator-app attempts)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM login_challenges WHERE account_id = $1 AND created_at > now() - $2::interval "
        "AND purpose = ANY($3::text[])",
        uuid.UUID(account_id),
        SMS_WINDOW,
        list(purposes),
    )
    return count


async def next_code_at(conn: Connection, account_id: str) -> datetime | None:
    """When the account may be sent another SMS code (the oldest of the window's last codes
    leaves it); None if it may be now."""
    moment: datetime | None = await conn.fetchval(
        "SELECT CASE WHEN count(*) >= $3 THEN min(created_at) + $2::interval END FROM ("
        " SELECT created_at FROM login_challenges WHERE account_id = $1 AND created_at > now() - $2::interval"
        " AND purpose = ANY($4::text[]) ORDER BY created_at DESC LIMIT $3) AS recent",
        uuid.UUID(account_id),
        SMS_WINDOW,
        SMS_PER_WINDOW,
        list(SMS_PURPOSES),
    )
    return moment
