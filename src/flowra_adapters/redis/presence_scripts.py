"""The Lua scripts of the presence registry: each decision "did the user just come online / go
offline?" looks at every live instance and changes the registry in one atomic step, so two
instances letting go of a user at the same moment cannot both miss the offline transition.

Keys under the prefix (`flowra:`):
- `presence:instances` — set of registered instance ids;
- `presence:instance:<id>` — hash user_id → connections that instance holds;
- `instance:<id>` — the instance's heartbeat (expires unless refreshed);
- `presence:last_seen` — hash user_id → RFC 3339 time they went offline.

An instance is live while it is registered and its heartbeat exists. The scripts reach keys
they derive from the instance set, so they need a single Redis server (not Cluster), which is
what `redis.addr` configures.
"""

from __future__ import annotations

from typing import Final

_COMMON: Final = """
local prefix = ARGV[1]
local instances = prefix .. 'presence:instances'
local last_seen = prefix .. 'presence:last_seen'
local function holdings(id) return prefix .. 'presence:instance:' .. id end
local function heartbeat(id) return prefix .. 'instance:' .. id end
local function live_holdings(except)
  local hashes = {}
  for _, id in ipairs(redis.call('SMEMBERS', instances)) do
    if id ~= except and redis.call('EXISTS', heartbeat(id)) == 1 then
      hashes[#hashes + 1] = holdings(id)
    end
  end
  return hashes
end
local function held_in(hashes, user)
  for _, hash in ipairs(hashes) do
    if redis.call('HEXISTS', hash, user) == 1 then return true end
  end
  return false
end
"""

HOLD: Final = (
    _COMMON
    + """
-- ARGV: prefix, me, heartbeat_ms, user. 1 when no live instance held the user before.
-- Holdings left from before the instance fell silent are void; its next refresh restores them.
local me, user = ARGV[2], ARGV[4]
if redis.call('SISMEMBER', instances, me) == 0 or redis.call('EXISTS', heartbeat(me)) == 0 then
  redis.call('DEL', holdings(me))
end
redis.call('SADD', instances, me)
redis.call('SET', heartbeat(me), '1', 'PX', ARGV[3])
if redis.call('HINCRBY', holdings(me), user, 1) > 1 then return 0 end
if held_in(live_holdings(me), user) then return 0 end
return 1
"""
)

RELEASE: Final = (
    _COMMON
    + """
-- ARGV: prefix, me, user, at. 1 when no live instance holds the user any more.
local me, user = ARGV[2], ARGV[3]
local left = redis.call('HINCRBY', holdings(me), user, -1)
if left > 0 then return 0 end
redis.call('HDEL', holdings(me), user)
if left < 0 then return 0 end -- not held here (this instance was purged meanwhile)
if held_in(live_holdings(me), user) then return 0 end
redis.call('HSET', last_seen, user, ARGV[4])
return 1
"""
)

REFRESH: Final = (
    _COMMON
    + """
-- ARGV: prefix, me, heartbeat_ms, at, then user, count pairs: everything the instance holds.
-- Rewrites its holdings and renews its heartbeat; returns {came online, went offline}.
local me = ARGV[2]
local hash = holdings(me)
local before = {}
if redis.call('SISMEMBER', instances, me) == 1 and redis.call('EXISTS', heartbeat(me)) == 1 then
  for _, user in ipairs(redis.call('HKEYS', hash)) do before[user] = true end
end
redis.call('SADD', instances, me)
redis.call('SET', heartbeat(me), '1', 'PX', ARGV[3])
redis.call('DEL', hash)
local others = live_holdings(me)
local came, gone = {}, {}
for i = 5, #ARGV, 2 do
  local user = ARGV[i]
  redis.call('HSET', hash, user, ARGV[i + 1])
  if not before[user] and not held_in(others, user) then came[#came + 1] = user end
  before[user] = nil
end
for user in pairs(before) do
  if not held_in(others, user) then
    redis.call('HSET', last_seen, user, ARGV[4])
    gone[#gone + 1] = user
  end
end
return {came, gone}
"""
)

PURGE: Final = (
    _COMMON
    + """
-- ARGV: prefix, me, at, target. Unregisters `target`, or (target '') every instance other than
-- `me` whose heartbeat expired; returns the users no live instance holds any more.
local me, target = ARGV[2], ARGV[4]
local doomed = {}
if target ~= '' then
  doomed[1] = target
else
  for _, id in ipairs(redis.call('SMEMBERS', instances)) do
    if id ~= me and redis.call('EXISTS', heartbeat(id)) == 0 then doomed[#doomed + 1] = id end
  end
end
local users, seen = {}, {}
for _, id in ipairs(doomed) do
  for _, user in ipairs(redis.call('HKEYS', holdings(id))) do
    if not seen[user] then
      seen[user] = true
      users[#users + 1] = user
    end
  end
  redis.call('DEL', holdings(id), heartbeat(id))
  redis.call('SREM', instances, id)
end
local live = live_holdings('')
local gone = {}
for _, user in ipairs(users) do
  if not held_in(live, user) then
    redis.call('HSET', last_seen, user, ARGV[3])
    gone[#gone + 1] = user
  end
end
return gone
"""
)

ONLINE: Final = (
    _COMMON
    + """
-- ARGV: prefix, then user ids. Returns those a live instance holds.
local live = live_holdings('')
local online = {}
for i = 2, #ARGV do
  if held_in(live, ARGV[i]) then online[#online + 1] = ARGV[i] end
end
return online
"""
)
