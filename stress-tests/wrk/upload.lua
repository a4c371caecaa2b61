-- POST /upload of one FILE_SIZE_KB file per request, each under a new name (cycling after
-- FSVC_MAX_FILES_PER_THREAD names per thread, so disk use stays bounded; a cycled name is
-- an overwrite with the same deterministic content). Acknowledged files are logged.
package.path = os.getenv("FSVC_WRK_DIR") .. "/?.lua;" .. package.path
local fsvc = require("fsvc")

local size = math.floor(tonumber(fsvc.env("FILE_SIZE_KB", "100")) * 1024)
local folder = fsvc.env("FSVC_FOLDER", "load/upload")
local max_files = tonumber(fsvc.env("FSVC_MAX_FILES_PER_THREAD", "5000"))
local n = 0

function request()
  local name = string.format("%s-t%d-%d.bin", fsvc.run, fsvc.tid, n % max_files)
  n = n + 1
  local body = fsvc.multipart(folder, { { name, fsvc.content(folder .. "/" .. name, size) } })
  return wrk.format("POST", "/upload", fsvc.multipart_headers, body)
end

function response(status, headers, body)
  fsvc.record_acks(status, body)
end
