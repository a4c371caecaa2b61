// The small /debug/pprof/ pages besides the profiles themselves, as Go serves them.
//
// Contract: IndexPage is the HTML index listing every endpoint with one line of help;
// CmdlinePage is the command line with arguments separated by NUL bytes (Go's format);
// SymbolPage implements Go's symbol protocol: an empty query answers "num_symbols: 1", a
// "0xADDR+0xADDR..." list (GET query or POST body) answers one "0xADDR name" line per address
// it can name. None of them fail.
#pragma once

#include <string_view>

#include "observability/pprof/render.h"

namespace fsvc::pprof {

HttpBody IndexPage();
HttpBody CmdlinePage();
HttpBody SymbolPage(std::string_view addresses);

}  // namespace fsvc::pprof
