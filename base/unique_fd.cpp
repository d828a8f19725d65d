#include "base/unique_fd.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/errors.hpp"

namespace tcplab {

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw SystemError(std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace tcplab
