-- Token budgets: GCRA where a request costs its tokens, over several windows (per minute, per day) at once, on Redis'
-- clock (microseconds). KEYS[i]: one per window, all with the user's hash tag. ARGV[2i-1]: emission interval per
-- token in us (window / limit, fractional), ARGV[2i]: the window in us (a full budget may be spent at once).
-- ARGV[#ARGV]: the cost; a negative cost gives tokens back (a request that failed after it was charged).
-- All-or-nothing: a charge refused by one window spends nothing in any. Returns
-- {allowed (1/0), retry_after_us, remaining tokens, reset_us, index of the tightest window}.
local n = #KEYS
local cost = tonumber(ARGV[#ARGV])
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
  local window = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + cost * t
  if new_tat < now then new_tat = now end
  if cost > 0 and new_tat - now > window then
    allowed = 0
    local wait = new_tat - now - window
    if wait > retry_after then retry_after = wait end
    new_tat = tat
  end
  new_tats[i] = new_tat
  local left = math.floor((window - (new_tat - now)) / t)
  if remaining == nil or left < remaining then
    remaining = left
    reset = new_tat - now
    tightest = i
  end
end
if allowed == 1 then
  for i = 1, n do
    redis.call('SET', KEYS[i], string.format('%.0f', new_tats[i]), 'PX', math.ceil((new_tats[i] - now) / 1000) + 1)
  end
end
if remaining == nil or remaining < 0 then remaining = 0 end
return {allowed, math.floor(retry_after), remaining, math.floor(reset), tightest}
