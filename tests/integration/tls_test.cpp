// TLS against the real binary, with certificates made at test time by the
// openssl CLI: PUT/GET/Range and several requests on one connection over
// HTTPS, 9 MiB each way with sha256 checks (the read+SSL_write path of
// downloads), a client that stops mid-handshake (closed at the header
// deadline, the server serving others meanwhile), plain HTTP to the TLS port
// (400 https_required in plain text, counted, no crash), the 503 over TLS
// past MAX_CONNECTIONS, and bad certificate settings (refused at start).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

// A self-signed P-256 certificate for 127.0.0.1 and its key, in `dir`.
bool MakeCert(const std::string& dir, const std::string& name) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      "-keyout " +
      dir + "/" + name + ".key -out " + dir + "/" + name + ".crt >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(19);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class TlsOn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = std::make_unique<TempDir>();
    ASSERT_TRUE(MakeCert(certs_->path(), "server"));
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{{"--header-timeout=2"},
                               {{"AUTH", "off"},
                                {"TLS_CERT_FILE", certs_->path() + "/server.crt"},
                                {"TLS_KEY_FILE", certs_->path() + "/server.key"}},
                               {},
                               {}});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() {
    server_.reset();
    certs_.reset();
  }
  static std::unique_ptr<httplib::SSLClient> Tls() {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
    c->set_ca_cert_path(certs_->path() + "/server.crt");
    c->enable_server_certificate_verification(true);
    c->set_keep_alive(true);
    c->set_read_timeout(30, 0);
    return c;
  }
  static double Metric(const std::string& name) {
    auto r = Tls()->Get("/metrics");
    return r ? MetricValue(r->body, name) : -1;
  }
  static std::unique_ptr<TempDir> certs_;
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<TempDir> TlsOn::certs_;
std::unique_ptr<ServerProcess> TlsOn::server_;

TEST_F(TlsOn, PutGetRangeAndKeepAliveOnOneConnection) {
  const double accepted = Metric("fsvc_server_accepted_connections_total");
  auto c = Tls();
  auto put = c->Put("/files/tls/a.txt", "hello over tls", "text/plain");
  ASSERT_TRUE(put) << httplib::to_string(put.error());
  EXPECT_EQ(put->status, 201);
  auto get = c->Get("/files/tls/a.txt");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "hello over tls");
  auto range = c->Get("/files/tls/a.txt", {{"Range", "bytes=6-9"}});
  ASSERT_TRUE(range);
  EXPECT_EQ(range->status, 206);
  EXPECT_EQ(range->body, "over");
  for (int i = 0; i < 5; ++i) {
    auto ping = c->Get("/ping");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->status, 200);
  }
  // All eight requests and this one came over one connection: the only one
  // accepted since Metric's own.
  auto metrics = c->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(MetricValue(metrics->body, "fsvc_server_accepted_connections_total"), accepted + 1);
}

TEST_F(TlsOn, LargeUploadAndDownloadKeepTheirBytes) {
  const std::string data = RandomBytes(9 << 20);
  auto c = Tls();
  auto put = c->Put("/files/tls/big.bin", data, "application/octet-stream");
  ASSERT_TRUE(put) << httplib::to_string(put.error());
  ASSERT_EQ(put->status, 201);
  auto get = c->Get("/files/tls/big.bin");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body.size(), data.size());
  EXPECT_EQ(Sha256Hex(get->body), Sha256Hex(data));
  // The range path too (a file body at an offset, through SSL_write).
  auto tail = c->Get("/files/tls/big.bin", {{"Range", "bytes=1000000-"}});
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->status, 206);
  EXPECT_EQ(Sha256Hex(tail->body), Sha256Hex(data.substr(1000000)));
}

TEST_F(TlsOn, ClientStoppingMidHandshakeIsClosedAndHoldsNothing) {
  UniqueFd stalled = ConnectRaw(server_->port());
  ASSERT_TRUE(stalled.valid());
  // The first bytes of a ClientHello record (handshake, TLS 1.0 record
  // version, 512 bytes announced), then nothing.
  const char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
  ASSERT_EQ(::send(stalled.get(), hello, sizeof hello, MSG_NOSIGNAL), 6);
  // Others are served meanwhile.
  auto ping = Tls()->Get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  // Closed by the 2 s header deadline (waited for up to 15 s).
  pollfd p{stalled.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 15000), 1);
  char byte;
  EXPECT_LE(::recv(stalled.get(), &byte, 1, MSG_DONTWAIT), 0);
  EXPECT_GE(Metric("fsvc_server_deadline_closes_total{kind=\"header\"}"), 1);
}

TEST_F(TlsOn, PlainHttpToTheTlsPortIsToldSoInPlainHttp) {
  const double failures = Metric("fsvc_server_tls_handshake_failures_total");
  const RawReply r = SendRaw(server_->port(), "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(r.status, 400) << r.text;
  EXPECT_NE(r.text.find("\"https_required\""), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("Connection: close"), std::string::npos) << r.text;
  // Bytes that are neither TLS nor a request line are closed without a word.
  const RawReply junk = SendRaw(server_->port(), std::string("\x01\x02garbage\r\n\r\n"));
  EXPECT_EQ(junk.status, 0) << junk.text;
  EXPECT_TRUE(junk.text.empty()) << junk.text;
  EXPECT_TRUE(server_->Running());
  EXPECT_EQ(Metric("fsvc_server_tls_handshake_failures_total"), failures + 2);
  auto ping = Tls()->Get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
}

// Over MAX_CONNECTIONS a TLS client gets the same 503 a plain one does: the
// handshake is finished first so that the refusal can be read.
TEST(TlsLimits, ConnectionOverTheLimitGets503OverTls) {
  TempDir certs;
  ASSERT_TRUE(MakeCert(certs.path(), "server"));
  ServerProcess server(ServerProcess::Options{{"--max-connections=2", "--header-timeout=10"},
                                              {{"AUTH", "off"},
                                               {"TLS_CERT_FILE", certs.path() + "/server.crt"},
                                               {"TLS_KEY_FILE", certs.path() + "/server.key"}},
                                              {},
                                              {}});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  // Two connections that say nothing hold the two places.
  UniqueFd a = ConnectRaw(server.port());
  UniqueFd b = ConnectRaw(server.port());
  ASSERT_TRUE(a.valid() && b.valid());
  httplib::SSLClient c("127.0.0.1", server.port());
  c.set_ca_cert_path(certs.path() + "/server.crt");
  c.enable_server_certificate_verification(true);
  c.set_read_timeout(10, 0);
  // The two raw sockets may still be in the accept queue: the third is
  // refused once they are counted.
  httplib::Result r = c.Get("/ping");
  for (int i = 0; i < 50 && r && r->status == 200; ++i) {
    ::usleep(20'000);
    r = c.Get("/ping");
  }
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  EXPECT_NE(r->body.find("\"unavailable\""), std::string::npos) << r->body;
  EXPECT_TRUE(server.Running());
}

std::string StartupError(std::map<std::string, std::string> env) {
  env["AUTH"] = "off";
  ServerProcess s(ServerProcess::Options{{}, env, {}, {}});
  if (s.Start()) return "started";
  return s.Stderr();
}

TEST(TlsConfig, RefusesToStartOnBadSettings) {
  TempDir dir;
  ASSERT_TRUE(MakeCert(dir.path(), "a"));
  ASSERT_TRUE(MakeCert(dir.path(), "b"));
  const std::string a_crt = dir.path() + "/a.crt";
  const std::string a_key = dir.path() + "/a.key";
  EXPECT_NE(StartupError({{"TLS_CERT_FILE", a_crt}}).find("go together"), std::string::npos);
  EXPECT_NE(StartupError({{"TLS_KEY_FILE", a_key}}).find("go together"), std::string::npos);
  EXPECT_NE(StartupError({{"TLS_CERT_FILE", dir.path() + "/none.crt"}, {"TLS_KEY_FILE", a_key}})
                .find("does not load"),
            std::string::npos);
  EXPECT_NE(StartupError({{"TLS_CERT_FILE", a_crt}, {"TLS_KEY_FILE", a_crt}}).find("does not load"),
            std::string::npos);
  EXPECT_NE(StartupError({{"TLS_CERT_FILE", a_crt}, {"TLS_KEY_FILE", dir.path() + "/b.key"}})
                .find("does not match"),
            std::string::npos);
}

}  // namespace
}  // namespace fsvc::testing
