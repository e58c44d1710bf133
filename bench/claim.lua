-- wrk script: POST /api/v1/coupons/{id}/claim, each request a (user, campaign) pair never used
-- before, so claims stay on their success path. Reads bench/claims.txt written by
-- bench/setup.py: first line the campaign ids, then one access token per line.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_CLAIMS") or "claims.txt"))
  campaigns = {}
  for id in f:read("*l"):gmatch("%d+") do table.insert(campaigns, id) end
  tokens = {}
  for line in f:lines() do table.insert(tokens, "Bearer " .. line) end
  f:close()
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  i = tid
end

function request()
  -- one campaign at a time, as in a real coupon event: every user claims it, then the next
  local u = tokens[(i % #tokens) + 1]
  local c = campaigns[(math.floor(i / #tokens) % #campaigns) + 1]
  i = i + nthreads
  return wrk.format("POST", "/api/v1/coupons/" .. c .. "/claim", {["Authorization"] = u})
end
