-- Shared helpers for the wrk scripts of the load suite (the path CI uses when k6 is absent).
--
-- Contract: requiring this module installs wrk's setup(), init() and done() globals (scripts
-- define only request() and response()). done() prints ONE line
-- "FSVC_RESULT {json}" that stress-tests/lib/loadgen_wrk.py parses: counts, socket errors,
-- non-2xx count and 200 latency quantiles (microseconds), so stages of a ramp can be merged
-- into one distribution. Upload content is deterministic (fsvc.content): the verifier
-- regenerates it from the path, so a file swapped with another one is caught, not only a
-- truncated one. Acknowledged uploads are appended, one "path sha256" per line, to
-- $FSVC_ACK_DIR/acks-<thread>.txt. With FSVC_API_KEY set, every request carries
-- "Authorization: Bearer KEY" (M.headers for requests built with explicit headers).
local M = {}

M.boundary = "fsvcLoadBoundary7MA4YWxkTrZu0gW"
local pattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"

function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

-- Filler of at least n bytes, built once per thread (string.rep is O(n)).
local filler, filler_len = "", 0
local function ensure_filler(n)
  if filler_len < n then
    filler = string.rep(pattern, math.floor(n / #pattern) + 1)
    filler_len = #filler
  end
end

-- The bytes of a load-test file: "fsvc-load PATH\n" then the pattern, cut to `size`.
-- Mirrored by stress-tests/lib/payload.py and stress-tests/k6/lib/payload.js.
function M.content(path, size)
  local head = "fsvc-load " .. path .. "\n"
  if size <= #head then return string.sub(head, 1, size) end
  ensure_filler(size)
  return head .. string.sub(filler, 1, size - #head)
end

-- One multipart body: the `path` form field, then one `file` part per {name, bytes}.
function M.multipart(folder, files)
  local parts = { "--", M.boundary, "\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n",
                  folder, "\r\n" }
  for _, f in ipairs(files) do
    parts[#parts + 1] = "--" .. M.boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
      .. f[1] .. "\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    parts[#parts + 1] = f[2]
    parts[#parts + 1] = "\r\n"
  end
  parts[#parts + 1] = "--" .. M.boundary .. "--\r\n"
  return table.concat(parts)
end

local api_key = M.env("FSVC_API_KEY", nil)
if api_key then wrk.headers["Authorization"] = "Bearer " .. api_key end

-- Headers for wrk.format: `extra` plus the Authorization header (wrk.format does not merge
-- wrk.headers into headers it is given).
function M.headers(extra)
  local h = {}
  for k, v in pairs(extra) do h[k] = v end
  if api_key then h["Authorization"] = "Bearer " .. api_key end
  return h
end

M.multipart_headers = M.headers({ ["Content-Type"] = "multipart/form-data; boundary=" .. M.boundary })

-- Thread numbering: setup() runs in the main state once per thread.
local thread_count = 0
function M.setup(thread)
  thread_count = thread_count + 1
  thread:set("fsvc_tid", thread_count)
end

-- Per-thread identity, random seed and ack file (wrk's init()).
function M.init_thread()
  M.tid = fsvc_tid or 0
  math.randomseed(M.tid * 7919 + os.time())
  M.run = M.env("FSVC_RUN_ID", "run") .. "-s" .. M.env("FSVC_STAGE", "0")
  local dir = os.getenv("FSVC_ACK_DIR")
  if dir ~= nil and dir ~= "" then
    M.ack_file = io.open(dir .. "/acks-" .. M.tid .. ".txt", "a")
    M.ack_file:setvbuf("line")
  end
end

-- Records every file object ("path":..., "sha256":...) of a 2xx response that lies in the
-- scenario's own folder: wrk does not say which request a response answers, and a GET /list
-- of the seed folder lists file objects too, so the folder is what marks an upload's answer.
local own_prefix = M.env("FSVC_FOLDER", "load") .. "/"
function M.record_acks(status, body)
  if M.ack_file == nil or status < 200 or status > 299 or body == nil then return end
  for obj in string.gmatch(body, "{[^{}]*\"sha256\"[^{}]*}") do
    local path = string.match(obj, "\"path\":\"([^\"]*)\"")
    local sha = string.match(obj, "\"sha256\":\"(%x+)\"")
    if path and sha and string.sub(path, 1, #own_prefix) == own_prefix then
      M.ack_file:write(path, " ", sha, "\n")
    end
  end
end

local function quantiles(latency)
  local q = {}
  for i = 0, 199 do q[#q + 1] = latency:percentile((i + 0.5) / 2) end
  return table.concat(q, ",")
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "FSVC_RESULT {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,"
      .. "\"errors\":{\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d},"
      .. "\"latency_us\":{\"min\":%d,\"max\":%d,\"mean\":%.1f,\"p50\":%d,\"p95\":%d,\"p99\":%d,"
      .. "\"q200\":[%s]}}\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.min, latency.max, latency.mean, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), quantiles(latency)))
end

setup = M.setup
init = function(args) M.init_thread() end
done = M.done

return M
