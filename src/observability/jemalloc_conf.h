// The jemalloc options compiled into the binary (see jemalloc_conf.cpp); "" without jemalloc.
#pragma once

namespace fsvc {

const char* EmbeddedMallocConf();

}  // namespace fsvc
