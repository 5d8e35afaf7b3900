-- Moderator decisions on a pool of comments that were pending when the run began.
-- Arguments: IDS_FILE TOKEN MODE [BATCH]
--   MODE "single": POST /v1/moderation/comments/{id}/approve (one id per request)
--   MODE "bulk":   POST /v1/moderation/actions with BATCH ids per request
-- Every request is a real state change: the first pass approves (pending ->
-- approved); if the pool runs out, the next pass rejects (approved -> rejected),
-- the one after approves again (rejected -> approved), and so on. The harness
-- makes sure the pool is larger than what 32 connections hold in flight.
function init(args)
  bench_ids = {}
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(bench_ids, line) end
  end
  bench_headers = {
    ["Authorization"] = "Bearer " .. args[2],
    ["Content-Type"] = "application/json",
  }
  bench_mode = args[3]
  bench_batch = tonumber(args[4] or "1")
  bench_next = 1
  bench_pass = 1
end

local function take()
  if bench_next > #bench_ids then
    bench_next = 1
    bench_pass = bench_pass + 1
  end
  local last = math.min(bench_next + bench_batch - 1, #bench_ids)
  local ids = {}
  for i = bench_next, last do table.insert(ids, bench_ids[i]) end
  bench_next = last + 1
  return ids
end

function request()
  local action = (bench_pass % 2 == 1) and "approve" or "reject"
  local ids = take()
  if bench_mode == "bulk" then
    local body = '{"action":"' .. action .. '","ids":["' .. table.concat(ids, '","') .. '"]}'
    return wrk.format("POST", "/v1/moderation/actions", bench_headers, body)
  end
  local path = "/v1/moderation/comments/" .. ids[1] .. "/" .. action
  return wrk.format("POST", path, bench_headers, "{}")
end
