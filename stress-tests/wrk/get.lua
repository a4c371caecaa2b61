-- GET of the URL given to wrk (ping, breaking, compare, the /ping probe of `slow`).
package.path = os.getenv("FSVC_WRK_DIR") .. "/?.lua;" .. package.path
require("fsvc")
