-- One fixed request. Arguments: METHOD PATH [BODY] (BODY is sent as JSON).
function init(args)
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  local body = args[3]
  if body ~= nil then headers["Content-Type"] = "application/json" end
  bench_request = wrk.format(args[1], args[2], headers, body)
end

function request()
  return bench_request
end
