-- Mixed traffic for the soak: per 10 requests, 5 GET /ping, 1 upload (FILE_SIZE_KB, logged),
-- 2 GET /list and 2 downloads of the files seeded as FSVC_SEED_FOLDER/r-<i>.bin.
package.path = os.getenv("FSVC_WRK_DIR") .. "/?.lua;" .. package.path
local fsvc = require("fsvc")

local size = math.floor(tonumber(fsvc.env("FILE_SIZE_KB", "100")) * 1024)
local folder = fsvc.env("FSVC_FOLDER", "load/soak")
local max_files = tonumber(fsvc.env("FSVC_MAX_FILES_PER_THREAD", "5000"))
local seed_folder = fsvc.env("FSVC_SEED_FOLDER", "load/read")
local seed_count = tonumber(fsvc.env("FSVC_FILE_COUNT", "100"))
local n, uploads = 0, 0

function request()
  n = n + 1
  local slot = n % 10
  if slot == 0 then
    local name = string.format("%s-t%d-%d.bin", fsvc.run, fsvc.tid, uploads % max_files)
    uploads = uploads + 1
    local body = fsvc.multipart(folder, { { name, fsvc.content(folder .. "/" .. name, size) } })
    return wrk.format("POST", "/upload", fsvc.multipart_headers, body)
  elseif slot == 1 or slot == 2 then
    return wrk.format("GET", "/list?path=" .. seed_folder .. "&pageSize=50")
  elseif slot == 3 or slot == 4 then
    return wrk.format("GET", string.format("/files/%s/r-%d.bin", seed_folder,
                                           math.random(0, seed_count - 1)))
  end
  return wrk.format("GET", "/ping")
end

function response(status, headers, body)
  fsvc.record_acks(status, body)
end
