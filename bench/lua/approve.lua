-- Approve pending comments, each id once; the thread stops when ids run out.
-- Arguments: IDS_FILE TOKEN MODE [BATCH]
--   MODE "single": POST /v1/moderation/comments/{id}/approve
--   MODE "bulk":   POST /v1/moderation/actions with BATCH ids per request
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
end

function request()
  if bench_next > #bench_ids then
    wrk.thread:stop()
    bench_next = 1 -- keep wrk fed until the stop takes effect; repeats are no-op 200s
  end
  if bench_mode == "bulk" then
    local ids = {}
    for i = bench_next, math.min(bench_next + bench_batch - 1, #bench_ids) do
      table.insert(ids, '"' .. bench_ids[i] .. '"')
    end
    bench_next = bench_next + bench_batch
    local body = '{"action":"approve","ids":[' .. table.concat(ids, ",") .. ']}'
    return wrk.format("POST", "/v1/moderation/actions", bench_headers, body)
  end
  local id = bench_ids[bench_next]
  bench_next = bench_next + 1
  return wrk.format("POST", "/v1/moderation/comments/" .. id .. "/approve", bench_headers, "{}")
end
