-- The part every bench script ends with (bench.sh and `firstcome bench room` append it): each
-- thread's number as `tid` (0, 1, ...) for the scripts that split their users among threads,
-- and wrk's summary as one parsable line: exact p50/p99/p99.9 in milliseconds, and the CPU
-- seconds wrk itself spent (all its threads: done() runs once they have stopped).
threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f errors=%d non2xx=%d p50=%.3f p99=%.3f p999=%.3f next=%d cpu=%.3f\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, next_start and next_start() or 0, os.clock()))
end
