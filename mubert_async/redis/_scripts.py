"""The Lua scripts behind ``RedisSemaphore``: every change of a semaphore's state is one of them.

Keys of a semaphore (one hash tag, so one cluster slot):

- ``leases``  ZSET lease id -> expiry (ms, Redis clock); expired ones are purged by every script
- ``waiters`` ZSET waiter id -> heartbeat expiry (ms); a waiter that stops checking is skipped
- ``groups``  LIST the round of groups with waiters (a group is in it iff its queue is not empty)
- ``limit``   STRING the shared limit, ``-1`` for unlimited (set on first use from the default)
- ``peak``    STRING the most leases ever held at once
  (both expire after a week without use; the other keys vanish when empty)
- ``grace``   STRING present (with a TTL) while grants are held back after Redis lost its data
- ``<queue prefix><group>`` LIST the group's waiters, oldest first

ARGV[1] lease TTL (ms), ARGV[2] waiter heartbeat TTL (ms), ARGV[3] grace (ms), ARGV[4] the
limit to store when none is (the caller's last seen one), ARGV[5] "1" if the caller has seen
this semaphore before, ARGV[6] wake-up channel, ARGV[7] queue prefix, ARGV[8..] the
operation's own arguments. Each script answers ``{result, in_flight, peak, limit}``.

Granting happens inside the scripts, in fair order, and the granted ids are published on the
channel so their waiters wake at once. When a caller that has seen the semaphore finds no
limit stored, Redis lost its data (a restart without persistence): grants are held back for
the grace period so that holders can re-add their leases before anyone else is admitted.
"""

from __future__ import annotations

__all__ = ["ACQUIRE", "CANCEL", "RELEASE", "RENEW", "SET_LIMIT"]

_COMMON = """
local leases, waiters, groups, limitkey, peakkey, gracekey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local ttl, heartbeat, grace = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local default_limit, seen, channel, qprefix = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local idle = 7 * 24 * 3600 * 1000

local function current_limit()
  local value = redis.call('GET', limitkey)
  if not value then
    redis.call('SET', limitkey, default_limit)
    value = default_limit
    if seen == '1' then redis.call('SET', gracekey, '1', 'PX', grace) end
  end
  return tonumber(value)
end

-- the next live waiter in fair order (round-robin by group, FIFO within one), taken off the
-- line, and when its heartbeat runs out
local function next_waiter()
  while true do
    local group = redis.call('LINDEX', groups, 0)
    if not group then return nil end
    local queue = qprefix .. group
    local waiter = redis.call('LPOP', queue)
    redis.call('LPOP', groups)
    if redis.call('LLEN', queue) > 0 then redis.call('RPUSH', groups, group) end
    if waiter then
      local heartbeat = redis.call('ZSCORE', waiters, waiter)
      redis.call('ZREM', waiters, waiter)
      if heartbeat and tonumber(heartbeat) >= now then return waiter, tonumber(heartbeat) end
    end
  end
end

-- purge expired leases, hand free slots to waiters in fair order, wake them
local function dispatch(result)
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', waiters, '-inf', now)
  local limit = current_limit()
  local granted = {}
  local open = redis.call('EXISTS', gracekey) == 0
  while open and (limit < 0 or redis.call('ZCARD', leases) < limit) do
    local waiter, alive_until = next_waiter()
    if not waiter then break end
    if waiter == result then
      redis.call('ZADD', leases, now + ttl, waiter)
    else  -- held for the waiter until it claims it; a dead one's lapses with its heartbeat
      redis.call('ZADD', leases, alive_until, waiter)
      granted[#granted + 1] = waiter
    end
  end
  local count = redis.call('ZCARD', leases)
  local peak = tonumber(redis.call('GET', peakkey) or '0')
  if count > peak then
    peak = count
    redis.call('SET', peakkey, peak)
  end
  if #granted > 0 then redis.call('PUBLISH', channel, table.concat(granted, ' ')) end
  redis.call('PEXPIRE', limitkey, idle)  -- a semaphore unused for a week is forgotten
  redis.call('PEXPIRE', peakkey, idle)
  local lease = 0
  if result ~= nil and redis.call('ZSCORE', leases, result) then lease = 1 end
  return {lease, count, peak, limit}
end
"""

ACQUIRE = (
    _COMMON
    + """
-- ARGV[8] waiter id, ARGV[9] group: join the line (or keep a place in it), then try
local id, group = ARGV[8], ARGV[9]
if redis.call('ZSCORE', leases, id) then
  redis.call('ZADD', leases, now + ttl, id)  -- claim the slot handed over
else
  if not redis.call('ZSCORE', waiters, id) then
    local queue = qprefix .. group
    if redis.call('RPUSH', queue, id) == 1 then redis.call('RPUSH', groups, group) end
  end
  redis.call('ZADD', waiters, now + heartbeat, id)
end
return dispatch(id)
"""
)
"""Answers 1 first when the waiter holds a lease (taken now, or handed to it meanwhile)."""

CANCEL = (
    _COMMON
    + """
-- ARGV[8] waiter id, ARGV[9] group: leave the line, giving back a slot handed over meanwhile
local id, group = ARGV[8], ARGV[9]
local queue = qprefix .. group
redis.call('ZREM', leases, id)
redis.call('ZREM', waiters, id)
redis.call('LREM', queue, 0, id)
if redis.call('LLEN', queue) == 0 then redis.call('LREM', groups, 0, group) end
return dispatch(nil)
"""
)

RELEASE = (
    _COMMON
    + """
-- ARGV[8] lease id
redis.call('ZREM', leases, ARGV[8])
return dispatch(nil)
"""
)

RENEW = (
    _COMMON
    + """
-- ARGV[8..] lease ids held: push their expiry on (re-adding any that Redis lost)
for i = 8, #ARGV do redis.call('ZADD', leases, now + ttl, ARGV[i]) end
return dispatch(nil)
"""
)

SET_LIMIT = (
    _COMMON
    + """
-- ARGV[8] the new limit (-1: unlimited)
redis.call('SET', limitkey, ARGV[8])
return dispatch(nil)
"""
)
