-- A light mixed load through the gateway: embeddings of fresh texts (cache misses), the caller's account, the model
-- list, round robin over several users' tokens (TOKENS, comma-separated), each connection pausing between requests
-- so that every user stays inside the free tier's rate limit.
local tokens = {}
for token in string.gmatch(os.getenv("TOKENS"), "[^,]+") do tokens[#tokens + 1] = token end
local n = 0

request = function()
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. tokens[n % #tokens + 1], ["Content-Type"] = "application/json"}
  if n % 3 == 0 then
    return wrk.format("GET", "/v1/users/me", headers)
  elseif n % 3 == 1 then
    return wrk.format("POST", "/v1/embeddings", headers,
      '{"model":"all-minilm-l6-v2","input":"memory probe ' .. n .. ' the quick brown fox jumps over the lazy dog"}')
  end
  return wrk.format("GET", "/v1/models", headers)
end

delay = function()
  return 60
end
