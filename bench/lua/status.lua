-- Counts responses by HTTP status and prints "STATUS 200=n 304=m" at the end.
-- bench/wrk.py appends this to every case script; case scripts must not
-- define setup(), response() or done().
local bench_threads = {}

function setup(thread)
  table.insert(bench_threads, thread)
end

function response(status, headers, body)
  if bench_statuses == nil then bench_statuses = {} end
  bench_statuses[status] = (bench_statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(bench_threads) do
    local s = t:get("bench_statuses")
    if s ~= nil then
      for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
    end
  end
  local parts = {}
  for code, n in pairs(total) do table.insert(parts, code .. "=" .. n) end
  table.sort(parts)
  io.write("STATUS " .. table.concat(parts, " ") .. "\n")
end
