-- POST a new comment with a unique body and e-mail on every request.
-- Arguments: PATH BODIES_FILE RUN_ID FLAVOUR
--   BODIES_FILE: one JSON-escaped comment body per line (the thread's texts).
--   FLAVOUR: "byline" ({"name","email","body"}) or "isso" ({"author","email","text"}).
function init(args)
  bench_path = args[1]
  bench_bodies = {}
  for line in io.lines(args[2]) do table.insert(bench_bodies, line) end
  bench_run = args[3]
  bench_flavour = args[4]
  bench_n = 0
  bench_headers = {["Content-Type"] = "application/json"}
end

function request()
  bench_n = bench_n + 1
  local text = bench_bodies[(bench_n % #bench_bodies) + 1]
    .. "\\n\\n(load test " .. bench_run .. "-" .. bench_n .. ")"
  local name = "Reader " .. bench_n
  local email = "reader-" .. bench_run .. "-" .. bench_n .. "@example.com"
  local body
  if bench_flavour == "isso" then
    body = '{"author":"' .. name .. '","email":"' .. email .. '","text":"' .. text .. '"}'
  else
    body = '{"name":"' .. name .. '","email":"' .. email .. '","body":"' .. text .. '"}'
  end
  return wrk.format("POST", bench_path, bench_headers, body)
end
