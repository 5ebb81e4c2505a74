-- wrk script of `make bench` (bench/run.py sets the environment).
--   BENCH_METHOD, BENCH_PATH, BENCH_BODY  the request (BENCH_BODY: a JSON body, may be empty)
--   BENCH_COOKIES   a file of Cookie header values, one a line: requests take them in turn
--   BENCH_MODE      "single": every request the same; "joinleave": each user in turn joins
--                   the call (POST), and on the next round leaves it (DELETE)
-- done() prints one JSON line: throughput, latency percentiles, and per HTTP method the
-- responses, non-2xx answers, SQL queries and server time read from X-Bench-* headers.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY") or ""
local mode = os.getenv("BENCH_MODE") or "single"
local cookies = {}
local n = 0
stats = {}  -- global: done() reads it from each thread
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("BENCH_COOKIES")
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then table.insert(cookies, line) end
    end
  end
  if #cookies == 0 then table.insert(cookies, "") end
end

local function build(verb, cookie, payload)
  local headers = {["OCS-APIRequest"] = "true", ["Accept"] = "application/json"}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if payload ~= "" then headers["Content-Type"] = "application/json" end
  return wrk.format(verb, path, headers, payload ~= "" and payload or nil)
end

function request()
  local count = #cookies
  local cookie = cookies[(n % count) + 1]
  local verb = method
  if mode == "joinleave" then
    if math.floor(n / count) % 2 == 0 then verb = "POST" else verb = "DELETE" end
  end
  n = n + 1
  return build(verb, cookie, verb == "DELETE" and "" or body)
end

-- Flat keys ("POST responses"): wrk 4.1 crashes copying nested tables between threads.
local function add(key, field, value)
  local name = key .. " " .. field
  stats[name] = (stats[name] or 0) + value
end

function response(status, headers, _)
  local key = headers["X-Bench-Method"] or "?"
  add(key, "responses", 1)
  if status < 200 or status > 299 then add(key, "bad", 1) end
  add(key, "queries", tonumber(headers["X-Bench-Queries"]) or 0)
  add(key, "server_us", tonumber(headers["X-Bench-Time-Us"]) or 0)
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for name, value in pairs(thread:get("stats")) do
      local key, field = name:match("^(%S+) (%S+)$")
      merged[key] = merged[key] or {responses = 0, bad = 0, queries = 0, server_us = 0}
      merged[key][field] = merged[key][field] + value
    end
  end
  local parts = {}
  for key, entry in pairs(merged) do
    table.insert(parts, string.format(
      '"%s": {"responses": %d, "bad": %d, "queries": %d, "server_us": %d}',
      key, entry.responses, entry.bad, entry.queries, entry.server_us))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"errors": %d, "methods": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect + errors.read + errors.write + errors.timeout, table.concat(parts, ", ")))
end
