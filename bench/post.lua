-- wrk script of the benchmark: POSTs one JSON body (the first argument after `--`) on every request, and when the
-- run is done prints one line `WRKJSON {...}` with the counts and latency percentiles (microseconds) that
-- bench/loadgen.py reads, so nothing depends on the layout of wrk's human-readable report.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  if args[1] ~= nil then
    wrk.body = args[1]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
