-- wrk script: checkout then payment, alternately, on one connection per thread (-t N -c N):
-- POST /api/v1/orders (one unit of one of many products) and, from its answer, the order's
-- payment with the approving test card. Reads bench/checkout.txt written by bench/setup.py:
-- first line the product ids, then one access token per line.
function init(args)
  local f = assert(io.open(os.getenv("BENCH_CLAIMS") or "checkout.txt"))
  products = {}
  for id in f:read("*l"):gmatch("%d+") do table.insert(products, id) end
  tokens = {}
  for line in f:lines() do table.insert(tokens, line) end
  f:close()
  i = tid
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "1") -- each thread its own share of buyers
  pending = nil -- the order to pay next, if any
end

function request()
  local token = tokens[(i % #tokens) + 1]
  if pending then
    local body = '{"card_number":"4242424242424242"}'
    local req = wrk.format("POST", "/api/v1/orders/" .. pending .. "/payment",
                           {["Authorization"] = "Bearer " .. token,
                            ["Content-Type"] = "application/json"}, body)
    pending = nil
    i = i + nthreads
    return req
  end
  local p = products[(math.floor(i / #tokens) % #products) + 1]
  local body = '{"items":[{"product_id":' .. p .. ',"quantity":1}]}'
  return wrk.format("POST", "/api/v1/orders", {["Authorization"] = "Bearer " .. token,
                                                ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 201 then pending = body:match('"order":{"id":(%d+)') end
end
