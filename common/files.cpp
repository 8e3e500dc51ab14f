#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

namespace aikmock {

std::optional<bytes> read_file(const std::filesystem::path& path, std::size_t max_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  bytes out;
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    auto n = static_cast<std::size_t>(in.gcount());
    if (out.size() + n > max_size) return std::nullopt;
    out.insert(out.end(), buf, buf + n);
  }
  if (in.bad()) return std::nullopt;
  return out;
}

void write_file(const std::filesystem::path& path, byte_view data, unsigned mode, existing_file existing) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const int how = existing == existing_file::refuse ? O_EXCL : O_TRUNC;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | how | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  // An existing file keeps its old mode on O_CREAT; force the one asked for.
  if (::fchmod(fd, mode) != 0) {
    int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "chmod " + path.string());
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw std::system_error(e, std::generic_category(), "write " + path.string());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close " + path.string());
}

std::filesystem::path make_unique_directory(const std::filesystem::path& parent, const std::string& prefix) {
  std::filesystem::create_directories(parent);
  std::string name = (parent / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(name.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp " + name);
  return name;
}

}  // namespace aikmock
