// File writes that cannot be redirected: no symbolic link followed, an
// existing file left alone when asked, private modes from the first byte, and
// directories made with unique names.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <system_error>

#include "common/files.hpp"

using namespace aikmock;
namespace fs = std::filesystem;

namespace {
struct scratch {
  fs::path dir = make_unique_directory(fs::temp_directory_path(), "aikmock-files-test-");
  ~scratch() { fs::remove_all(dir); }
};
unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("write_file: the mode from creation, replace or refuse an existing file") {
  scratch s;
  const auto key = s.dir / "key.pem";
  write_file(key, as_bytes(std::string_view("secret")), 0600);
  CHECK(mode_of(key) == 0600);
  CHECK(*read_file(key) == bytes{'s', 'e', 'c', 'r', 'e', 't'});
  write_file(key, as_bytes(std::string_view("new")), 0600);
  CHECK(read_file(key)->size() == 3);
  CHECK_THROWS_AS(write_file(key, as_bytes(std::string_view("x")), 0600, existing_file::refuse), std::system_error);
  CHECK(read_file(key)->size() == 3);
}

TEST_CASE("write_file never follows a symbolic link") {
  scratch s;
  const auto target = s.dir / "elsewhere";
  write_file(target, as_bytes(std::string_view("untouched")), 0644);
  const auto link = s.dir / "link";
  fs::create_symlink(target, link);
  CHECK_THROWS_AS(write_file(link, as_bytes(std::string_view("redirected")), 0600), std::system_error);
  CHECK_THROWS_AS(write_file(link, as_bytes(std::string_view("redirected")), 0600, existing_file::refuse),
                  std::system_error);
  CHECK(read_file(target)->size() == 9);
}

TEST_CASE("make_unique_directory: a new 0700 directory each time, its parents made") {
  scratch s;
  std::set<fs::path> made;
  for (int i = 0; i < 20; ++i) {
    auto d = make_unique_directory(s.dir, "tmp-");
    CHECK(fs::is_directory(d));
    CHECK(mode_of(d) == 0700);
    CHECK(d.filename().string().rfind("tmp-", 0) == 0);
    made.insert(d);
  }
  CHECK(made.size() == 20);
  CHECK(fs::is_directory(make_unique_directory(s.dir / "made" / "too", "tmp-")));  // parents are made
  write_file(s.dir / "plain-file", {}, 0600);
  CHECK_THROWS_AS(make_unique_directory(s.dir / "plain-file", "tmp-"), std::filesystem::filesystem_error);
}
