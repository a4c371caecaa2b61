-- Alternates POST /batch-upload (FSVC_BATCH_FILES files of FILE_SIZE_KB, acknowledged files
-- logged) with POST /batch-download {"paths":[...]} of seeded files FSVC_SEED_FOLDER/r-<i>.bin.
-- FSVC_BATCH_DOWNLOAD=0 (the route is missing on this server) sends only uploads.
package.path = os.getenv("FSVC_WRK_DIR") .. "/?.lua;" .. package.path
local fsvc = require("fsvc")

local size = math.floor(tonumber(fsvc.env("FILE_SIZE_KB", "50")) * 1024)
local folder = fsvc.env("FSVC_FOLDER", "load/batch")
local per_batch = tonumber(fsvc.env("FSVC_BATCH_FILES", "5"))
local max_batches = tonumber(fsvc.env("FSVC_MAX_FILES_PER_THREAD", "5000")) / per_batch
local with_download = fsvc.env("FSVC_BATCH_DOWNLOAD", "1") == "1"
local seed_folder = fsvc.env("FSVC_SEED_FOLDER", "load/read")
local seed_count = tonumber(fsvc.env("FSVC_FILE_COUNT", "100"))
local n, batches = 0, 0
local json_headers = fsvc.headers({ ["Content-Type"] = "application/json" })

local function upload()
  local files = {}
  for i = 1, per_batch do
    local name = string.format("%s-t%d-%d-%d.bin", fsvc.run, fsvc.tid, batches % max_batches, i)
    files[i] = { name, fsvc.content(folder .. "/" .. name, size) }
  end
  batches = batches + 1
  return wrk.format("POST", "/batch-upload", fsvc.multipart_headers, fsvc.multipart(folder, files))
end

local function download()
  local paths = {}
  for i = 1, per_batch do
    paths[i] = string.format("\"%s/r-%d.bin\"", seed_folder, math.random(0, seed_count - 1))
  end
  return wrk.format("POST", "/batch-download", json_headers,
                    "{\"paths\":[" .. table.concat(paths, ",") .. "]}")
end

function request()
  n = n + 1
  if with_download and n % 2 == 0 then return download() end
  return upload()
end

function response(status, headers, body)
  fsvc.record_acks(status, body)
end
