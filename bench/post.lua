-- wrk's request for the bench: one POST whose body is the file named by WRK_BODY_FILE, with an
-- optional `authorization` header from WRK_AUTHORIZATION. At the end it prints one line,
-- `WRK_JSON {...}`: the counts and 1000 latency quantiles (µs), which bench/wrk.ts reads.
local file = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["content-type"] = "application/json"
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["authorization"] = authorization
end

function done(summary, latency, requests)
  local quantiles = {}
  for i = 1, 1000 do
    quantiles[i] = string.format("%d", latency:percentile(i / 10))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"quantilesUs":[%s]}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    table.concat(quantiles, ",")))
end
