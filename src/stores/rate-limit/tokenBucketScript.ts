import { redisScript } from '../redis/runScript.js';

/**
 * tokenBucket.ts `takeAll`, in Lua, so that checking and charging every tier of a request is one
 * atomic step and one round trip, whatever the number of gateways. One call decides a batch of
 * requests over the same buckets, one after another, as if each had made its own call at the same
 * instant: the store sends the requests that arrive together as one call (redisRateLimitStore).
 *
 * KEYS[i]   bucket i: a hash { t = points left, u = epoch ms of the last charge }; absent = full.
 * ARGV[1]   now in epoch ms, or -1 for the Redis server's clock (one clock for the whole fleet).
 * ARGV[2]   m, the number of requests decided.
 * ARGV[2+j]   the cost of request j (1..m).
 * ARGV[2+m+2i-1], ARGV[2+m+2i]   limit and window (ms) of bucket i.
 * Returns   for each request in turn: 1 | 0 (admitted), then the points left in bucket 1, 2, …
 *           after its decision, with the points as strings: Lua numbers would be truncated to
 *           integers on their way back to the client, and %.17g keeps every bit of the double,
 *           so Redis and memory agree to the last digit.
 *
 * All keys of one call must live in one Cluster slot: the store puts the BFF name in braces (a
 * hash tag) in every key. Each charged bucket expires when it would be full again, so idle
 * buckets vanish and a missing bucket means exactly "full".
 */
export const TOKEN_BUCKET_SCRIPT = `
local now = tonumber(ARGV[1])
if now < 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local m = tonumber(ARGV[2])
local tokens, updated, limits, windows = {}, {}, {}, {}
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[1 + m + 2 * i]), tonumber(ARGV[2 + m + 2 * i])
  local state = redis.call('HMGET', KEYS[i], 't', 'u')
  local t, u = tonumber(state[1]), tonumber(state[2])
  if t == nil or u == nil then
    t, u = limit, now
  elseif now > u then
    t = math.min(limit, t + (now - u) * limit / window)
    u = now
  else
    t = math.min(t, limit)
  end
  tokens[i], updated[i], limits[i], windows[i] = t, u, limit, window
end
local reply, charged = {}, false
for j = 1, m do
  local cost = tonumber(ARGV[2 + j])
  local admitted = 1
  for i = 1, #KEYS do
    if tokens[i] < cost then admitted = 0 end
  end
  reply[#reply + 1] = admitted
  for i = 1, #KEYS do
    if admitted == 1 and cost > 0 then
      tokens[i] = tokens[i] - cost
      charged = true
    end
    reply[#reply + 1] = string.format('%.17g', tokens[i])
  end
end
if charged then
  for i = 1, #KEYS do
    redis.call('HSET', KEYS[i], 't', string.format('%.17g', tokens[i]), 'u', string.format('%.17g', updated[i]))
    redis.call('PEXPIRE', KEYS[i], math.ceil((limits[i] - tokens[i]) * windows[i] / limits[i]) + 1)
  end
end
return reply
`;

export const TOKEN_BUCKET = redisScript(TOKEN_BUCKET_SCRIPT);
