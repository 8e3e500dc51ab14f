#include "server/descriptor_budget.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace aikmock::server {

std::size_t raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;  // the usual default; nothing better is known
  if (lim.rlim_cur != lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur == RLIM_INFINITY) return static_cast<std::size_t>(1) << 20;
  return static_cast<std::size_t>(lim.rlim_cur);
}

std::size_t connection_cap(std::size_t configured, std::size_t descriptors) {
  const std::size_t reserve = std::max<std::size_t>(64, descriptors / 10);
  const std::size_t room = descriptors > reserve ? descriptors - reserve : 1;
  return std::max<std::size_t>(1, std::min(configured, room));
}

}  // namespace aikmock::server
