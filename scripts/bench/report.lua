-- wrk reporter: one JSON line with p50/p95/p99 latency (ms), request rate and error counts.
-- Optional: WRK_METHOD / WRK_BODY / WRK_TOKEN environment variables shape the request.
local token = os.getenv("WRK_TOKEN")
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local counter = 0

request = function()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer " .. token }
  local b = nil
  if body then
    headers["Content-Type"] = "application/json"
    b = string.gsub(body, "{n}", tostring(counter))
  end
  return wrk.format(method, nil, headers, b)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    '{"requests":%d,"rps":%.1f,"p50_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"errors":%d,"non_2xx":%d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.status))
end
