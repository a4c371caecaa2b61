-- Read-heavy mix over the FSVC_FILE_COUNT files run.sh seeded as FSVC_FOLDER/r-<i>.bin:
-- one GET /list (a page of FSVC_PAGE_SIZE) for every FSVC_LIST_EVERY requests, the rest
-- GET /files/<path> of a random seeded file.
package.path = os.getenv("FSVC_WRK_DIR") .. "/?.lua;" .. package.path
local fsvc = require("fsvc")

local folder = fsvc.env("FSVC_FOLDER", "load/read")
local count = tonumber(fsvc.env("FSVC_FILE_COUNT", "100"))
local list_every = tonumber(fsvc.env("FSVC_LIST_EVERY", "2"))
local page = fsvc.env("FSVC_PAGE_SIZE", "50")
local n = 0

function request()
  n = n + 1
  if n % list_every == 0 then
    return wrk.format("GET", "/list?path=" .. folder .. "&pageSize=" .. page)
  end
  return wrk.format("GET", string.format("/files/%s/r-%d.bin", folder, math.random(0, count - 1)))
end
