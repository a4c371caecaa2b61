// Secrets given to the real binary (the link secret, API keys) are never
// shown: not by --help, not by /debug/pprof/cmdline, /health or the metrics,
// and not in the server's log. Each test looks for the secret strings
// themselves in everything the service can be made to print.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "server_process.h"

namespace fsvc::testing {
namespace {

const std::string kLinkSecret = "S3CR3T-link-secret-of-the-secrets-test";
const std::string kAdminKey = "K3Y-admin-key-of-the-secrets-test";

httplib::Headers Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

// Fails the test where `text` (what `where` showed) holds either secret.
void ExpectNoSecret(const std::string& text, const std::string& where) {
  EXPECT_EQ(text.find(kLinkSecret), std::string::npos) << where << ":\n" << text;
  EXPECT_EQ(text.find(kAdminKey), std::string::npos) << where << ":\n" << text;
  // Parts of them too: a value cut short or quoted would still leak.
  EXPECT_EQ(text.find("S3CR3T"), std::string::npos) << where << ":\n" << text;
  EXPECT_EQ(text.find("K3Y"), std::string::npos) << where << ":\n" << text;
}

// Serves the secrets as given in `secret_args`, then reads every page that
// shows configuration or the command line, and the log.
void ExpectServedPagesAndLogHideSecrets(const std::vector<std::string>& secret_args) {
  ServerProcess::Options options;
  options.args = {"--auth=on"};
  options.args.insert(options.args.end(), secret_args.begin(), secret_args.end());
  options.env = {{"ENABLE_PROFILING", "true"}};
  ServerProcess server(options);
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();

  auto cmdline = c->Get("/debug/pprof/cmdline", Bearer(kAdminKey));
  ASSERT_TRUE(cmdline);
  ASSERT_EQ(cmdline->status, 200) << cmdline->body;
  ExpectNoSecret(cmdline->body, "/debug/pprof/cmdline");
  // The flags are still there, so the page says how the service was started.
  EXPECT_NE(cmdline->body.find("--link-secret"), std::string::npos) << cmdline->body;
  EXPECT_NE(cmdline->body.find("--api-keys"), std::string::npos) << cmdline->body;
  EXPECT_NE(cmdline->body.find("(redacted)"), std::string::npos) << cmdline->body;

  // The secret in use: a signed link is made with it.
  ASSERT_EQ(c->Put("/files/a.txt", Bearer(kAdminKey), "alpha", "text/plain")->status, 201);
  auto link = c->Get("/download?path=a.txt", Bearer(kAdminKey));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->status, 200) << link->body;
  ExpectNoSecret(link->body, "/download");

  for (const char* page : {"/health", "/metrics", "/metrics/requests", "/metrics/memory",
                           "/debug/pprof/", "/debug/pprof/threads"}) {
    auto res = c->Get(page, Bearer(kAdminKey));
    ASSERT_TRUE(res) << page;
    EXPECT_EQ(res->status, 200) << page << ": " << res->body;
    ExpectNoSecret(res->body, page);
  }

  const int ws = server.Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << ws;
  const std::string log = server.Stderr();
  EXPECT_NE(log.find("auth: 1 API keys loaded"), std::string::npos) << log;
  ExpectNoSecret(log, "the server's log");
}

TEST(SecretsTest, FlagsWithEqualsAreNotShownByPagesOrLog) {
  ExpectServedPagesAndLogHideSecrets(
      {"--link-secret=" + kLinkSecret, "--api-keys=admin:" + kAdminKey});
}

TEST(SecretsTest, FlagsWithTheValueAsNextWordAreNotShownByPagesOrLog) {
  ExpectServedPagesAndLogHideSecrets(
      {"--link-secret", kLinkSecret, "--api-keys", "admin:" + kAdminKey});
}

// Runs `command` through the shell; returns its stdout and stderr together.
std::string RunShell(const std::string& command, int& status) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

TEST(SecretsTest, HelpSaysSecretsAreSetWithoutShowingThem) {
  int status = -1;
  const std::string help =
      RunShell("LINK_SECRET='" + kLinkSecret + "' API_KEYS='admin:" + kAdminKey + "' '" +
                   std::string(FSVC_BINARY) + "' --help",
               status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << help;
  ExpectNoSecret(help, "--help");
  for (const char* v : {"(LINK_SECRET)", "(API_KEYS)"}) {
    const size_t line = help.find(v);
    ASSERT_NE(line, std::string::npos) << v << "\n" << help;
    EXPECT_NE(help.substr(line, help.find('\n', line) - line).find("[(set)]"), std::string::npos)
        << help;
  }
}

}  // namespace
}  // namespace fsvc::testing
