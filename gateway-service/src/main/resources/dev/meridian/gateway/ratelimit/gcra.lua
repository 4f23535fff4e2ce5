-- GCRA over several limits in one atomic call, on Redis server time (microseconds).
-- KEYS[i], i <= n: one key per limit. ARGV[2i-1]: emission interval T in us (window / limit),
-- ARGV[2i]: burst tolerance tau in us (T * (burst - 1)).
-- Optionally the token's deny-list check in the same round trip: KEYS[n+1..] are its revocation entries and the
-- last, odd ARGV is the token's issued-at (epoch seconds); an entry at or after it revokes the token (an unreadable
-- one too: the rule of TokenRevocation.revokes in event-bus/contracts), and a revoked request consumes nothing.
-- All-or-nothing: a request denied by one limit consumes none. Returns
-- {allowed (1/0, or -1 revoked), retry_after_us, remaining, reset_us and index of the tightest limit}.
local n = math.floor(#ARGV / 2)
if #ARGV % 2 == 1 then
  local issued_at = tonumber(ARGV[#ARGV])
  for j = n + 1, #KEYS do
    local entry = redis.call('GET', KEYS[j])
    if entry and (tonumber(entry) == nil or issued_at <= tonumber(entry)) then
      return {-1, 0, 0, 0, 1}
    end
  end
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local new_tats = {}
local allowed = 1
local retry_after = 0
local remaining = nil
local reset = 0
local tightest = 1
for i = 1, n do
  local t = tonumber(ARGV[2 * i - 1])
  local tau = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + t
  local allow_at = new_tat - tau - t
  if now < allow_at then
    allowed = 0
    if allow_at - now > retry_after then retry_after = allow_at - now end
  end
  new_tats[i] = new_tat
  local left = math.floor((now + tau + t - new_tat) / t)
  if allowed == 0 then left = 0 end
  if remaining == nil or left < remaining then
    remaining = left
    reset = new_tat - now
    tightest = i
  end
end
if allowed == 1 then
  for i = 1, n do
    redis.call('SET', KEYS[i], new_tats[i], 'PX', math.ceil((new_tats[i] - now) / 1000) + 1)
  end
end
if remaining == nil or remaining < 0 then remaining = 0 end
return {allowed, retry_after, remaining, reset, tightest}
