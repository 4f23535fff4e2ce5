-- BATCH (1) sentences per request, cycling through the benchmark sentences; each wrk thread starts at its own offset
-- so concurrent requests never carry the same text (the service would coalesce identical ones).
local sentences = {}
local counter = 0
local offset = 0
local threads = 0
local batch = tonumber(os.getenv("BATCH") or "1")

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(os.getenv("SENTENCES")) do
    sentences[#sentences + 1] = line
  end
  offset = (id or 0) * 997
end

function request()
  local texts = {}
  for i = 1, batch do
    counter = counter + 1
    texts[i] = '"' .. sentences[((offset + counter) % #sentences) + 1] .. '"'
  end
  local input = batch == 1 and texts[1] or '[' .. table.concat(texts, ",") .. ']'
  local body = '{"model":"all-minilm-l6-v2","input":' .. input .. '}'
  return wrk.format("POST", "/v1/embeddings", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
