-- wrk script: POST /api/v1/rooms/{id}/join, each person once. Reads the file named by
-- BENCH_ROOM_TOKENS (written by `firstcome bench room`): the room id on its first line, then one
-- access token per line, in the order the people are meant to arrive. Thread t of n takes every
-- n-th person from the t-th on, in that order, and stops once every one of them has had the
-- answer to their join. A connection that is ready to send after its thread's last person was
-- sent looks at the room (GET /api/v1/rooms/{id}, as the waiting page does) instead: joining
-- someone again would be answered like a first join and could not be told apart. wrk's request
-- count includes those looks (at most one a connection at a time); the people joined are the
-- tokens' count.
function init(args)
  local f = assert(io.open(os.getenv("BENCH_ROOM_TOKENS")))
  local room = f:read("*l")
  line = "POST /api/v1/rooms/" .. room .. "/join HTTP/1.1\r\n"
  local host = "Host: " .. wrk.headers["Host"] .. "\r\n"
  look = "GET /api/v1/rooms/" .. room .. " HTTP/1.1\r\n" .. host .. "\r\n"
  local n, k = tonumber(os.getenv("BENCH_THREADS") or "2"), 0
  heads = {}
  for token in f:lines() do
    if k % n == tid then
      table.insert(heads, host .. "Authorization: Bearer " .. token .. "\r\nContent-Length: 0\r\n\r\n")
    end
    k = k + 1
  end
  f:close()
  sent, joined = 0, 0
  -- wrk asks the first thread for one request before it starts, to count what a request holds,
  -- and never sends that one: it must not use up a person.
  counted = tid ~= 0
end

function request()
  if not counted then
    counted = true
    return line .. heads[1]
  end
  sent = sent + 1
  if sent > #heads then
    return look
  end
  return line .. heads[sent]
end

function response(status, headers, body)
  if body:find('"place"', 1, true) then
    joined = joined + 1
    if joined >= #heads then
      wrk.thread:stop()
    end
  end
end
