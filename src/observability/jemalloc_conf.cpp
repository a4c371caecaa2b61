// jemalloc reads the global `malloc_conf` when it initialises (before main): heap profiling
// is compiled in and sampling is on from the start at 1 in 2^19 bytes (512 KiB), cheap
// enough to leave on in production. prof_accum keeps the allocated-since-start totals Go's
// alloc_space/alloc_objects report. MALLOC_CONF in the environment still overrides these.
//
// This object is linked only because heap_profiler.cpp references EmbeddedMallocConf():
// a static-library member nothing refers to would be dropped by the linker.
#include "observability/jemalloc_conf.h"

#ifdef FSVC_HAVE_JEMALLOC
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's contract.
extern const char* malloc_conf;
const char* malloc_conf = "prof:true,prof_active:true,lg_prof_sample:19,prof_accum:true";
}
#endif

namespace fsvc {

const char* EmbeddedMallocConf() {
#ifdef FSVC_HAVE_JEMALLOC
  return malloc_conf;
#else
  return "";
#endif
}

}  // namespace fsvc
