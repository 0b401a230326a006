// Examples start members on loopback ports that are free when the example runs, so that
// several examples (and the tests) can run on one machine at once.

#ifndef RAFTKV_EXAMPLES_FREE_PORT_H_
#define RAFTKV_EXAMPLES_FREE_PORT_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

namespace examples {

// A loopback port nobody listens on now and that this process has not handed out before.
inline int FreePort() {
  static std::set<int> handed_out;
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) std::abort();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    if (port > 0 && handed_out.insert(port).second) return port;
  }
}

}  // namespace examples

#endif  // RAFTKV_EXAMPLES_FREE_PORT_H_
