-- wrk script: POST /api/v1/coupons/{id}/claim, each request a (user, campaign) pair never used
-- before, so claims stay on their success path. Reads bench/claims.txt written by
-- bench/setup.py: first line the campaign ids, then one access token per line.
-- The request line of each campaign and the header block of each user are built once in
-- init(): request() only joins two strings, so the load generator spends on a claim about what
-- it spends on a /livez request, and the CPU it shares with the stack is not the claim's cost.
function init(args)
  local f = assert(io.open(os.getenv("BENCH_CLAIMS") or "claims.txt"))
  lines = {}
  for id in f:read("*l"):gmatch("%d+") do
    table.insert(lines, "POST /api/v1/coupons/" .. id .. "/claim HTTP/1.1\r\n")
  end
  heads = {}
  local host = "Host: " .. wrk.headers["Host"] .. "\r\n"
  for line in f:lines() do
    table.insert(heads, host .. "Authorization: Bearer " .. line .. "\r\nContent-Length: 0\r\n\r\n")
  end
  f:close()
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  i = tid + tonumber(os.getenv("BENCH_START") or "0") -- turns before this one used the first pairs
end

function request()
  -- one campaign at a time, as in a real coupon event: every user claims it, then the next
  local h = heads[(i % #heads) + 1]
  local l = lines[(math.floor(i / #heads) % #lines) + 1]
  i = i + nthreads
  return l .. h
end

-- For the next turn (bench.sh runs claims in turns): the first pair index no thread has used.
-- Threads run at different speeds, so this is the furthest any got, not the requests counted.
function next_start()
  local furthest = 0
  for _, t in ipairs(threads) do furthest = math.max(furthest, t:get("i")) end
  return furthest
end
